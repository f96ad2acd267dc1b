//! Metered calls: the service catalog and what a call costs (the spend-keys issue builds the metered
//! `POST /v1/requests` path on this).

pub mod pricing;

#[cfg(feature = "ssr")]
pub mod catalog;
