//! A wallet as the pages, `/v1/wallet` and the chat show it: the balance with its alert, and the latest
//! ledger entries.

use crate::error::AppError;
use crate::ledger::EntryKind;
use crate::money::Usd;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The balance as the header, the wallet page and `/v1/balance` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletSummary {
    pub wallet_id: Uuid,
    pub balance: Usd,
    /// Reserved by holds for calls in progress (docs/CONTRACT.md "Holds"): part of `balance` a new call
    /// can't spend until the holds are captured, voided or expire.
    #[serde(default)]
    pub held: Usd,
    pub currency: String,
    /// The account's alert threshold, if one is set.
    pub low_balance_threshold: Option<Usd>,
    /// The balance is below the threshold (the banner and the API's `low_balance`).
    pub low_balance: bool,
    /// Why the person looking can't add funds to this account (a team Member while "Members can add
    /// funds" is off), or `None` when they can. Only the dashboard fills it in.
    #[serde(default)]
    pub funding_refused: Option<AppError>,
}

impl WalletSummary {
    /// What a new call may spend: the balance less what holds reserve.
    pub fn available(&self) -> Usd {
        Usd::new(self.balance.amount() - self.held.amount())
    }
}

/// One ledger entry as the activity list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub id: i64,
    pub when: String,
    pub kind: EntryKind,
    pub amount: Usd,
    pub balance_after: Usd,
    pub reference: String,
}
