//! What the team pages show, and the team name as the one type that can hold one.

use crate::error::AppError;
use crate::money::Usd;
use crate::teams::role::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A team's name: 1–100 characters once trimmed, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamName(String);

impl TeamName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<TeamName, AppError> {
        let name = raw.trim();
        let length = name.chars().count();
        if length == 0 || length > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(AppError::TeamNameInvalid);
        }
        Ok(TeamName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One entry of the header's "Account" switch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub id: Uuid,
    /// "Personal", or the team's name.
    pub label: String,
    pub is_team: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    /// The day they joined (UTC), "Dec 2, 2026".
    pub joined: String,
    /// What their keys and chat connections spent this calendar month (UTC).
    pub spend_this_month: Usd,
    /// Their "Monthly budget" (`None`: no limit).
    pub monthly_budget: Option<Usd>,
}

/// A member's "Monthly budget": $0.01–$1,000,000.00 in whole cents, or empty for none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyBudget(Usd);

impl MonthlyBudget {
    pub fn parse(raw: &str) -> Result<Option<MonthlyBudget>, AppError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let amount = crate::money::parse_dollars(raw).map_err(|_| AppError::BudgetInvalid)?;
        let max = rust_decimal::Decimal::from(1_000_000);
        if amount <= rust_decimal::Decimal::ZERO || amount > max {
            return Err(AppError::BudgetInvalid);
        }
        Ok(Some(MonthlyBudget(Usd::new(amount))))
    }

    pub fn usd(self) -> Usd {
        self.0
    }
}

/// An invite link not yet used, revoked or expired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvite {
    pub id: Uuid,
    pub role: Role,
    pub created_by: String,
    pub expires: String,
}

/// `/dashboard/team` on a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub name: String,
    pub members_can_fund: bool,
    pub members: Vec<MemberRow>,
    pub invites: Vec<PendingInvite>,
}

/// An invite link just made: its address is shown once (only a hash of its token is kept).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub path: String,
    /// The whole link to copy (this site's address and `path`), filled in by the server that answers.
    pub url: String,
    pub role: Role,
    pub expires: String,
}

/// What `/invite/{token}` shows: the team and role it offers, or why it can't be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub team_name: String,
    pub role: Role,
    /// Used, expired or revoked.
    pub unusable: Option<AppError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_are_trimmed_and_bounded() {
        assert_eq!(TeamName::parse("  Acme Research ").unwrap().as_str(), "Acme Research");
        assert_eq!(TeamName::parse("Équipe 東京 🚀").unwrap().as_str(), "Équipe 東京 🚀");
        assert_eq!(TeamName::parse(&"é".repeat(100)).unwrap().as_str().chars().count(), 100);
        for bad in ["", "   ", "a\u{0}b", "line\nbreak"] {
            assert_eq!(TeamName::parse(bad), Err(AppError::TeamNameInvalid), "{bad:?}");
        }
        assert_eq!(TeamName::parse(&"x".repeat(101)), Err(AppError::TeamNameInvalid));
    }

    #[test]
    fn a_budget_is_whole_cents_within_range_or_none() {
        assert_eq!(MonthlyBudget::parse("  ").unwrap(), None);
        assert_eq!(MonthlyBudget::parse("$1,250.50").unwrap().unwrap().usd().display(), "$1,250.50");
        assert_eq!(MonthlyBudget::parse("0.01").unwrap().unwrap().usd().display(), "$0.01");
        for bad in ["0", "-5", "0.001", "1000000.01", "ten", "１０", "1e3", &"9".repeat(40)] {
            assert_eq!(MonthlyBudget::parse(bad), Err(AppError::BudgetInvalid), "{bad:?}");
        }
    }
}
