//! Roles and what each may do: docs/CONTRACT.md "Teams", the permission table, in one function. Every
//! server function and `/v1` route asks [`Role::may`] before it acts; pages only mirror the answer (a
//! hidden button is a courtesy, the refusal is here).

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A member's role on an account (`memberships.role`, posted by the role selects as the same snake_case
/// name). A personal account's person is its Owner.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum Role {
    Owner,
    Admin,
    Member,
}

/// Something a person does to an account, as the permission table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Action {
    /// See the balance, usage and the audit log.
    See,
    /// Create, pause, resume or revoke one's own keys and chat connections.
    ManageOwnKeys,
    /// Pause, resume or revoke anyone's keys.
    ManageAnyKey,
    /// Add funds (dashboard, `/v1/wallet/fund`, the chat's `add_funds`) and save a card to pay with.
    AddFunds,
    /// Remove a card one saved oneself: always, even when one may no longer add funds (a card is its
    /// saver's to take back).
    RemoveOwnCard,
    /// Update, remove or make default a card someone else saved (updating one's own: with
    /// [`Action::AddFunds`]; removing it: [`Action::RemoveOwnCard`]).
    ManageAnyCard,
    /// Invite, remove and change the role of Admins and Members, set budgets and team settings (the account's
    /// timezone, alert and billing details among them).
    ManageMembers,
    /// Make someone an Owner, change or remove an Owner, delete the team.
    ManageOwners,
}

impl Role {
    /// Whether this role may do `action` on an account whose "Members can add funds" is `members_can_fund`.
    pub fn may(self, action: Action, members_can_fund: bool) -> bool {
        match (self, action) {
            (_, Action::See | Action::ManageOwnKeys | Action::RemoveOwnCard) => true,
            (Role::Owner, _) => true,
            (Role::Admin, Action::ManageOwners) => false,
            (Role::Admin, _) => true,
            (Role::Member, Action::AddFunds) => members_can_fund,
            (Role::Member, _) => false,
        }
    }

    /// [`Role::may`] as an answer: `Ok`, or the refusal the contract words for `action` (a Member's funding
    /// has its own sentence, everything else "You don't have permission to do that.").
    pub fn require(self, action: Action, members_can_fund: bool) -> Result<(), AppError> {
        if self.may(action, members_can_fund) {
            Ok(())
        } else if action == Action::AddFunds {
            Err(AppError::MembersMayNotFund)
        } else {
            Err(AppError::NotPermitted)
        }
    }

    /// The roles an Admin or Owner may hand out by invitation (an Owner is made by transfer, not invite).
    pub const INVITABLE: [Role; 2] = [Role::Admin, Role::Member];

    /// The stored and posted name (`owner`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Role {
    /// "Owner", "Admin", "Member": the role as pages and the audit log name it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// docs/CONTRACT.md "Teams", row by row: ✓ is `true`; the Member's funding row depends on the setting.
    #[test]
    fn the_permission_table_of_the_contract() {
        use Action::*;
        let table: [(Action, [bool; 3]); 8] = [
            (See, [true, true, true]),
            (ManageOwnKeys, [true, true, true]),
            (ManageAnyKey, [true, true, false]),
            (AddFunds, [true, true, false]),
            (RemoveOwnCard, [true, true, true]),
            (ManageAnyCard, [true, true, false]),
            (ManageMembers, [true, true, false]),
            (ManageOwners, [true, false, false]),
        ];
        assert_eq!(table.len(), Action::iter().count());
        for (action, expected) in table {
            for (role, may) in Role::iter().zip(expected) {
                assert_eq!(role.may(action, false), may, "{role} {action:?} with member funding off");
                let with_funding = may || (role == Role::Member && action == AddFunds);
                assert_eq!(role.may(action, true), with_funding, "{role} {action:?} with member funding on");
            }
        }
    }

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        let names: Vec<&str> = Role::iter().map(Role::as_str).collect();
        assert_eq!(names, ["owner", "admin", "member"]);
        for role in Role::iter() {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{}\"", role.as_str()));
        }
        assert!("Owner".parse::<Role>().is_err());
        assert!("".parse::<Role>().is_err());
    }
}
