//! A saved card as the wallet page and the API show it.

use super::card::CardBrand;
use super::decline::DeclineCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethodView {
    pub id: Uuid,
    /// "Visa •••• 4242"
    pub label: String,
    pub brand: CardBrand,
    pub last4: String,
    pub expiry_month: u32,
    /// Four digits.
    pub expiry_year: i32,
    /// "12/30"
    pub expiry: String,
    /// Its expiry month has passed (judged today, UTC): it would be declined.
    pub expired: bool,
    pub postal_code: String,
    pub is_default: bool,
    /// The card's last failure, until a later success clears it.
    pub error_message: Option<String>,
    pub error_code: Option<DeclineCode>,
    pub error_at: Option<DateTime<Utc>>,
}
