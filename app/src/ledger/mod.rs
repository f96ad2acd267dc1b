//! The ledger: the only code that changes a wallet balance.
//!
//! Invariant kept here: for every wallet, `wallets.balance = Σ ledger_entries.amount`, and the balance is
//! never negative. A balance change and the entry that explains it are written in the caller's one
//! transaction ([`post`], or a metered batch's [`UsageDebits`]); the table itself is append-only (a trigger
//! refuses UPDATE and DELETE). See docs/ARCHITECTURE.md "The money core".
//!
//! Below every feature: payments (deposits), metering (paid calls) and the wallet page use it; it uses
//! nothing of theirs.

pub mod entry;

#[cfg(feature = "ssr")]
mod balance;
#[cfg(feature = "ssr")]
mod posting;
#[cfg(feature = "ssr")]
mod usage_debits;

pub use entry::EntryKind;

#[cfg(feature = "ssr")]
pub use {
    balance::{balance_and_ledger_sum, balance_of},
    posting::{post, Posted, Posting},
    usage_debits::{PostedUsage, UsageDebits},
};
