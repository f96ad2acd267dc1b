//! Metered calls: what a call is recorded as, and the path that charges it — group-committed across wallets,
//! refused with 402 before it runs when the balance (or the key's limit) can't cover it. Used by
//! `POST /v1/requests`; prices come from the catalog, debits go through the ledger.

pub mod call;

#[cfg(feature = "ssr")]
mod batch;
#[cfg(feature = "ssr")]
pub mod charge;
#[cfg(feature = "ssr")]
mod decide;
#[cfg(feature = "ssr")]
mod locks;
#[cfg(feature = "ssr")]
pub mod meter;
#[cfg(feature = "ssr")]
pub mod past_calls;
#[cfg(feature = "ssr")]
mod record;
