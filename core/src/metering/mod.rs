//! Metered calls: what a call is recorded as, and the path that charges it — group-committed across wallets,
//! refused with 402 before it runs when the balance (or the key's limit) can't cover it. Used by
//! `POST /v1/requests`; prices come from the catalog, debits go through the ledger. What a call is recorded as:
//! `tollgate_domain::metering::call`.

mod batch;
pub mod charge;
mod decide;
pub mod holds;
mod locks;
pub mod meter;
pub mod partitions;
pub mod past_calls;
mod record;

pub use record::forget_expired_keys;
