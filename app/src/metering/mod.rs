//! Metered calls: the service catalog, what a call costs, and the path that charges it (group-committed
//! per wallet) — used by `POST /v1/requests`.

pub mod call;
pub mod pricing;

#[cfg(feature = "ssr")]
pub mod catalog;
#[cfg(feature = "ssr")]
pub mod charge;
#[cfg(feature = "ssr")]
pub mod history;
#[cfg(feature = "ssr")]
pub mod meter;
