//! What the ledger records (docs/CONTRACT.md "Wallet"): the kinds of entry, as stored and as shown. Posting
//! entries is `tollgate_core::ledger`.

pub mod entry;
pub mod promotional;
pub mod wallet;

pub use entry::EntryKind;
