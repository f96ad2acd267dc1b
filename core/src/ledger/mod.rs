//! The ledger: the only code that changes a wallet balance.
//!
//! Invariant kept here: for every wallet, `wallets.balance = Σ ledger_entries.amount`, and the balance is
//! never negative. A balance change and the entry that explains it are written in the caller's one
//! transaction ([`post`], or a metered batch's [`UsageDebits`]); the table itself is append-only (a trigger
//! refuses UPDATE and DELETE). See docs/ARCHITECTURE.md "The money core".
//!
//! Below every feature: payments (deposits), metering (paid calls) and the wallet page use it; it uses
//! nothing of theirs.

//!
//! What kinds of entry there are: `tollgate_domain::ledger::EntryKind`.

mod balance;
mod posting;
mod usage_debits;

pub use {
    balance::{balance_and_ledger_sum, balance_of, lock_paid_credit, paid_credit},
    posting::{post, Posted, Posting},
    usage_debits::{PostedUsage, UsageDebits},
};
