//! Tollgate's web app: pages, components and server functions, one folder per feature, over the money core
//! (`ledger`, `payments`, `metering`). Compiled twice: with `ssr` into the server, with `hydrate` into the
//! browser bundle. How the folders depend on each other: docs/ARCHITECTURE.md "Layout".
#![recursion_limit = "256"]

// Foundations: no feature, no database.
pub mod error;
pub mod money;
pub mod page_policy;
pub mod url_query;
pub mod utc;

// The money core and what it prices.
#[cfg(feature = "ssr")]
pub mod audit;
pub mod catalog;
pub mod ledger;
pub mod metering;
pub mod payments;
pub mod webhooks;

// Features: each folder holds its page, components, server functions and (SSR only) queries.
pub mod audit_log;
pub mod auth;
pub mod charts;
pub mod checkout;
pub mod keys;
pub mod oauth;
pub mod settings;
pub mod teams;
pub mod usage;
pub mod wallet;

// The frame around pages, shared form pieces, the route table and the document.
pub mod assets;
pub mod layout;
pub mod routes;
pub mod shell;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod pg_liveness;
#[cfg(feature = "ssr")]
pub mod pg_wakeup;
#[cfg(feature = "ssr")]
pub mod random;
#[cfg(feature = "ssr")]
pub mod server_fn_context;
#[cfg(feature = "ssr")]
pub mod throttle;

pub use routes::App;
pub use shell::shell;
