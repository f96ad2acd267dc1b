//! Tollgate's web app: pages, components and server functions, one folder per feature, over the money core
//! (`tollgate_core`) and the vocabulary both sides share (`tollgate_domain`). Compiled twice: with `ssr`
//! into the server, with `hydrate` into the browser bundle (which carries none of the core). How the folders
//! depend on each other: docs/ARCHITECTURE.md "Layout".
#![recursion_limit = "256"]

// Foundations: no feature, no database.
pub mod content_security_policy;

// Features: each folder holds its page, components, server functions and (SSR only) queries.
pub mod admin;
pub mod audit_log;
pub mod auth;
pub mod charts;
pub mod checkout;
pub mod keys;
pub mod oauth;
pub mod settings;
pub mod statements;
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
pub mod server_fn_context;

pub use routes::App;
pub use shell::shell;
