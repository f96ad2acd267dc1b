//! An Add Funds attempt as pages and the API see it: its state, a history row, a receipt.

use super::card::CardBrand;
use super::decline::DeclineCode;
use crate::money::Usd;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an attempt stands (`payment_attempts.status`; docs/ARCHITECTURE.md "Add Funds: atomic phases").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum AttemptStatus {
    /// Amount and card chosen; nothing charged yet (the confirm step).
    Draft,
    /// Confirmed; the charge is under way or its answer is being recorded.
    Pending,
    Succeeded,
    Failed,
}

impl AttemptStatus {
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
    pub decline_code: Option<DeclineCode>,
    pub decline_message: Option<String>,
    /// The wallet balance right after this deposit was credited (succeeded attempts only).
    pub balance_after: Option<Usd>,
    /// While the person's bank wants them to confirm the payment (3-D Secure): what the processor's script
    /// in their browser completes it with. Only in the answer to the person who confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticate_with: Option<String>,
}

/// A deposit or failed attempt in the wallet's history list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRow {
    pub id: Uuid,
    pub when: String,
    pub amount: Usd,
    pub card_label: String,
    pub succeeded: bool,
    pub reason: Option<String>,
    /// Made by the auto top-up rule ("Auto top-up" in the list), not by a person or an agent.
    #[serde(default)]
    pub auto_top_up: bool,
    /// A failed attempt whose card the account still keeps: that card, which "Retry" charges again
    /// and "Update card" fixes (`None` for successes and for cards removed or never saved).
    #[serde(default)]
    pub retry_card: Option<Uuid>,
    /// What of a deposit was refunded to its card (or is on its way back).
    #[serde(default)]
    pub refunded: Usd,
}

/// A successful deposit's receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptView {
    pub id: Uuid,
    /// "TG-000123" ([`receipt_number`]).
    pub number: String,
    /// Who it is made out to: the account's billing details, when it has them.
    pub billed_to_details: Option<crate::accounts::billing::BillingDetails>,
    pub when: String,
    pub amount: Usd,
    pub card_label: String,
    pub charge_id: String,
    pub billed_to: String,
    /// Made by the auto top-up rule.
    #[serde(default)]
    pub auto_top_up: bool,
    /// Its refunds, oldest first: "Refunded $12.50 on December 9, 2026" (or "… on its way" while the
    /// processor hasn't answered).
    #[serde(default)]
    pub refunds: Vec<String>,
}

/// A receipt's number as printed: `TG-000123` — the account's receipts are numbered 1, 2, 3 … in the order
/// its deposits succeeded, without gaps (docs/CONTRACT.md "Statements").
pub fn receipt_number(n: i32) -> String {
    format!("TG-{n:06}")
}

/// "Visa •••• 4242", the way a card is named everywhere (docs/CONTRACT.md "Add Funds flow").
pub fn card_label(brand: CardBrand, last4: &str) -> String {
    format!("{} •••• {last4}", brand.as_str())
}
