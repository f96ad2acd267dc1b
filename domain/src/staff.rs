//! Tollgate's staff (docs/CONTRACT.md "Back office"): their roles, and what each role may do under `/admin`.

use crate::error::AppError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The most support may grant at a time (docs/CONTRACT.md "Back office").
pub const SUPPORT_GRANT_LIMIT: Decimal = Decimal::from_parts(100, 0, 0, false, 0);
/// A refund or adjustment above this (either sign) waits for a second finance or admin person's approval.
pub const TWO_PERSON_ABOVE: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// Whether moving `amount` (either sign) needs a second person's approval first.
pub fn needs_second_person(amount: Decimal) -> bool {
    amount.abs() > TWO_PERSON_ABOVE
}

/// Whether `approver` may decide a refund or adjustment that `requested_by` asked for and that stands at
/// `status`: only one still waiting, and only by someone else.
pub fn may_decide(status: &str, requested_by: uuid::Uuid, approver: uuid::Uuid) -> Result<(), AppError> {
    if status != "awaiting_approval" {
        return Err(AppError::AlreadyDecided);
    }
    if requested_by == approver {
        return Err(AppError::SecondPersonRequired);
    }
    Ok(())
}

/// The longest reason kept, in characters.
pub const LONGEST_REASON: usize = 500;

/// The "Reason" every staff action needs: trimmed, 1–500 characters (any script).
pub fn reason(raw: &str) -> Result<&str, AppError> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > LONGEST_REASON {
        return Err(AppError::ReasonRequired);
    }
    Ok(reason)
}

/// A staff member's role (`staff.role`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum StaffRole {
    /// Answers customers: looks accounts up, grants promotional credit (up to $100.00 a grant), pauses keys.
    Support,
    /// Moves money: refunds, adjustments, disputes' outcomes, and approves another's large one.
    Finance,
    /// Everything, and the staff list.
    Admin,
}

/// What a staff member may do (each action checks it on the server, whatever the page showed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffPower {
    /// Find accounts and read them (every role).
    Look,
    GrantPromotionalCredit,
    PauseKey,
    Refund,
    Adjust,
    SettleDispute,
    /// Approve another person's refund or adjustment above $1,000.00.
    Approve,
    ManageStaff,
}

impl StaffRole {
    /// The name on the command line and in the database (`finance`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How pages name it ("Finance").
    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Support => "Support",
            StaffRole::Finance => "Finance",
            StaffRole::Admin => "Admin",
        }
    }

    pub fn may(self, power: StaffPower) -> bool {
        match self {
            StaffRole::Admin => true,
            StaffRole::Support => {
                matches!(power, StaffPower::Look | StaffPower::GrantPromotionalCredit | StaffPower::PauseKey)
            }
            StaffRole::Finance => {
                matches!(
                    power,
                    StaffPower::Look
                        | StaffPower::Refund
                        | StaffPower::Adjust
                        | StaffPower::SettleDispute
                        | StaffPower::Approve
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_the_contract_gives_it_and_no_more() {
        use StaffPower::*;
        let all =
            [Look, GrantPromotionalCredit, PauseKey, Refund, Adjust, SettleDispute, Approve, ManageStaff];
        let allowed = |role: StaffRole| all.iter().copied().filter(|p| role.may(*p)).collect::<Vec<_>>();
        assert_eq!(allowed(StaffRole::Support), [Look, GrantPromotionalCredit, PauseKey]);
        assert_eq!(allowed(StaffRole::Finance), [Look, Refund, Adjust, SettleDispute, Approve]);
        assert_eq!(allowed(StaffRole::Admin), all);
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for (name, role) in
            [("support", StaffRole::Support), ("finance", StaffRole::Finance), ("admin", StaffRole::Admin)]
        {
            assert_eq!(name.parse::<StaffRole>(), Ok(role));
            assert_eq!(role.as_str(), name);
        }
        for bad in ["Admin", "owner", "", "admin "] {
            assert!(bad.parse::<StaffRole>().is_err(), "{bad}");
        }
    }
}
