//! What a ledger entry records, shared by the server and the pages that list entries.

use serde::{Deserialize, Serialize};

/// Why the balance moved (`ledger_entries.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum EntryKind {
    /// Money in from a card (always positive).
    Deposit,
    /// A paid call (always negative).
    Usage,
    Refund,
    Adjustment,
    /// Promotional credit granted (always positive, all of it promotional).
    PromotionalGrant,
    /// The unspent rest of a promotional grant, gone at its expiry (always negative, all promotional).
    PromotionalExpiry,
    /// A card dispute took a deposit's amount back (always negative, paid credit, even below zero).
    Dispute,
    /// A won dispute returned it (always positive).
    DisputeWon,
}

impl EntryKind {
    /// How the wallet page names it.
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Deposit => "Deposit",
            EntryKind::Usage => "Usage",
            EntryKind::Refund => "Refund",
            EntryKind::Adjustment => "Adjustment",
            EntryKind::PromotionalGrant => "Promotional credit",
            EntryKind::PromotionalExpiry => "Promotional credit expired",
            EntryKind::Dispute => "Dispute",
            EntryKind::DisputeWon => "Dispute won",
        }
    }

    /// The CSS tag class suffix (`tag-deposit`).
    pub fn tag(self) -> &'static str {
        match self {
            EntryKind::Deposit => "deposit",
            EntryKind::Usage => "usage",
            EntryKind::Refund => "refund",
            EntryKind::Adjustment => "adjustment",
            EntryKind::PromotionalGrant | EntryKind::PromotionalExpiry => "promotional",
            EntryKind::Dispute | EntryKind::DisputeWon => "dispute",
        }
    }

    /// Whether an entry of this kind may take the balance below zero: only a dispute, which the card's bank
    /// takes back whatever the wallet holds (docs/CONTRACT.md "Disputes").
    pub fn may_go_below_zero(self) -> bool {
        self == EntryKind::Dispute
    }

    /// The promotional part of an entry of this kind moving `amount` (docs/CONTRACT.md "Promotional
    /// credit"): all of a grant or an expiry, none of money in or out of a card or of a correction, and for
    /// a paid call `None` — it depends on the wallet's promotional credit at the time (promotional first).
    pub fn promotional_part(self, amount: rust_decimal::Decimal) -> Option<rust_decimal::Decimal> {
        match self {
            EntryKind::PromotionalGrant | EntryKind::PromotionalExpiry => Some(amount),
            EntryKind::Deposit
            | EntryKind::Refund
            | EntryKind::Adjustment
            | EntryKind::Dispute
            | EntryKind::DisputeWon => Some(rust_decimal::Decimal::ZERO),
            EntryKind::Usage => None,
        }
    }
}
