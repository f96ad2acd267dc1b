//! Promotional credit (docs/CONTRACT.md "Promotional credit", docs/ARCHITECTURE.md "Promotional credit"):
//! granting it, taking each grant's unspent rest at its expiry, and reading what a wallet has of it.
//!
//! A wallet's balance is paid credit plus promotional credit; `wallets.promotional` is the promotional part,
//! moved by the ledger with every entry (`ledger::post`, a batch's `UsageDebits`). A paid call takes
//! promotional credit first, soonest expiry first, without touching the grants: which grants the spending
//! came out of is worked out here (`share_out`) under the wallet's lock, whenever the set of unexpired
//! grants changes — when one is granted or expires. Paid credit never expires.
//!
//! Above the ledger and the webhooks' outbox (an expiry emits `credit.expired`); metering calls
//! [`expire_locked`] for a wallet it locked with a grant past its expiry, before it spends from it.

mod expiry;
mod grants;
mod reads;

pub use expiry::{expire_due, expire_locked, CreditAfter};
pub use grants::{grant, Grant, NewGrant, MAX_GRANT};
pub use reads::{promotional_credit, PromotionalCredit};
