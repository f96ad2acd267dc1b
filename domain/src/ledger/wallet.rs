//! A wallet as the pages, `/v1/wallet` and the chat show it: the balance with its alert, and the latest
//! ledger entries.

use crate::error::AppError;
use crate::ledger::EntryKind;
use crate::money::Usd;
use chrono::{DateTime, Utc};
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
    /// The promotional credit in `balance` (docs/CONTRACT.md "Promotional credit"): spent first, and what
    /// is left of it leaves at each grant's expiry. The rest of the balance is paid credit.
    #[serde(default)]
    pub promotional: Usd,
    /// What is left of each promotional grant, soonest expiry first.
    #[serde(default)]
    pub promotional_expiring: Vec<PromotionalExpiring>,
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

    /// The paid credit in the balance: what never expires, and what a refund can give back.
    pub fn paid(&self) -> Usd {
        Usd::new(self.balance.amount() - self.promotional.amount())
    }
}

/// What is left of one promotional grant, and when it leaves the wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionalExpiring {
    pub amount: Usd,
    pub expires_at: DateTime<Utc>,
    /// The expiry's date in the account's timezone, as the page writes it ("Jan 6, 2027").
    pub expires_on: String,
    /// It expires within the week: the wallet page says so.
    pub expires_soon: bool,
}

impl WalletSummary {
    /// "Includes $5.00 promotional credit (expires Jan 6, 2027)"; with several grants, each part's expiry.
    /// `None` without promotional credit.
    pub fn promotional_note(&self) -> Option<String> {
        let expiring = match self.promotional_expiring.as_slice() {
            [] => return None,
            [one] => format!("expires {}", one.expires_on),
            several => several
                .iter()
                .map(|p| format!("{} expires {}", p.amount.exact(), p.expires_on))
                .collect::<Vec<_>>()
                .join("; "),
        };
        Some(format!("Includes {} promotional credit ({expiring})", self.promotional.exact()))
    }
}

impl PromotionalExpiring {
    /// "$5.00 of promotional credit expires on Jan 6, 2027", for a part that expires within the week.
    pub fn soon_note(&self) -> Option<String> {
        self.expires_soon
            .then(|| format!("{} of promotional credit expires on {}", self.amount.exact(), self.expires_on))
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
