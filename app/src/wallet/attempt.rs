//! An Add Funds attempt as pages and the API see it.

use crate::money::Usd;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Amount and card chosen; nothing charged yet (the confirm step).
    Draft,
    /// Confirmed; the charge is under way or its answer is being recorded.
    Pending,
    Succeeded,
    Failed,
}

impl AttemptStatus {
    pub fn parse(s: &str) -> Option<AttemptStatus> {
        match s {
            "draft" => Some(AttemptStatus::Draft),
            "pending" => Some(AttemptStatus::Pending),
            "succeeded" => Some(AttemptStatus::Succeeded),
            "failed" => Some(AttemptStatus::Failed),
            _ => None,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, AttemptStatus::Succeeded | AttemptStatus::Failed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub id: Uuid,
    pub status: AttemptStatus,
    pub amount: Usd,
    /// "Visa •••• 4242"
    pub card_label: String,
    pub payment_method_id: Option<Uuid>,
    pub decline_code: Option<String>,
    pub decline_message: Option<String>,
    /// The wallet balance right after this deposit was credited (succeeded attempts only).
    pub balance_after: Option<Usd>,
}

/// "Visa •••• 4242", the way a saved card is named everywhere (CONTRACT.md "Add Funds flow").
pub fn card_label(brand: &str, last4: &str) -> String {
    format!("{brand} •••• {last4}")
}
