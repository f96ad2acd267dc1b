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
}

impl EntryKind {
    /// How the wallet page names it.
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Deposit => "Deposit",
            EntryKind::Usage => "Usage",
            EntryKind::Refund => "Refund",
            EntryKind::Adjustment => "Adjustment",
        }
    }

    /// The CSS tag class suffix (`tag-deposit`).
    pub fn tag(self) -> &'static str {
        match self {
            EntryKind::Deposit => "deposit",
            EntryKind::Usage => "usage",
            EntryKind::Refund => "refund",
            EntryKind::Adjustment => "adjustment",
        }
    }
}
