//! The signed-in person as a member of the account they act for. The session keeps only which account
//! that is; the role and the team's settings are read from the database on every request, so a role
//! change or a removal holds at once, on every server (docs/ARCHITECTURE.md "Teams").

use crate::error::AppError;
use crate::teams::role::{Action, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A team's facts that decide what its members may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamFacts {
    pub name: String,
    /// "Members can add funds" (off on a new team).
    pub members_can_fund: bool,
}

/// Who acts, for which account, as what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub account_id: Uuid,
    pub role: Role,
    /// `None` on a personal account.
    pub team: Option<TeamFacts>,
}

impl Member {
    pub fn may(&self, action: Action) -> bool {
        self.require(action).is_ok()
    }

    /// `Ok` when this member may do `action`; else the refusal the contract words for it.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        self.role.require(action, self.team.as_ref().is_some_and(|t| t.members_can_fund))
    }

    /// Whether this member may change a thing someone made (a key, a card): their own always (given
    /// `own_action`), anyone's with `any_action`.
    pub fn require_for(&self, made_by: Uuid, own_action: Action, any_action: Action) -> Result<(), AppError> {
        if made_by == self.user_id {
            self.require(own_action)
        } else {
            self.require(any_action)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, members_can_fund: bool) -> Member {
        Member {
            user_id: Uuid::from_u128(1),
            email: "a@b.test".into(),
            account_id: Uuid::from_u128(2),
            role,
            team: Some(TeamFacts { name: "Acme".into(), members_can_fund }),
        }
    }

    #[test]
    fn a_member_refused_funding_is_told_the_admin_must_enable_it() {
        let err = member(Role::Member, false).require(Action::AddFunds).unwrap_err();
        assert_eq!(err.message(), "Your team's admin must enable adding funds for members.");
        assert_eq!(member(Role::Member, true).require(Action::AddFunds), Ok(()));
        let err = member(Role::Member, true).require(Action::ManageMembers).unwrap_err();
        assert_eq!(err.message(), "You don't have permission to do that.");
    }

    #[test]
    fn own_things_need_the_own_permission_and_others_the_any_permission() {
        let m = member(Role::Member, false);
        assert_eq!(m.require_for(m.user_id, Action::ManageOwnKeys, Action::ManageAnyKey), Ok(()));
        assert_eq!(
            m.require_for(Uuid::from_u128(9), Action::ManageOwnKeys, Action::ManageAnyKey),
            Err(AppError::NotPermitted)
        );
        let admin = member(Role::Admin, false);
        assert_eq!(
            admin.require_for(Uuid::from_u128(9), Action::ManageOwnKeys, Action::ManageAnyKey),
            Ok(())
        );
    }

    #[test]
    fn a_personal_account_is_its_owners_to_do_everything_with() {
        let owner = Member { team: None, ..member(Role::Owner, false) };
        assert!(<Action as strum::IntoEnumIterator>::iter().all(|a| owner.may(a)));
    }
}
