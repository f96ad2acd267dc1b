//! Tollgate's web app: pages, components and server functions, one folder per feature.
//! Compiled twice: with `ssr` into the server, with `hydrate` into the browser bundle.
#![recursion_limit = "256"]

pub mod auth;
pub mod charts;
pub mod checkout;
pub mod error;
pub mod keys;
pub mod layout;
pub mod metering;
pub mod money;
pub mod url_query;
pub mod usage;
pub mod utc;
pub mod wallet;

#[cfg(feature = "ssr")]
pub mod request;

pub use layout::shell::{shell, App};
