//! Tollgate's vocabulary: amounts, the error every channel answers with, and the value types the pages and
//! the money core share — a saved card's view, an attempt's status, a key's settings, a role, a price. It
//! is compiled into the browser bundle too, so nothing here touches a database or a network; with the
//! `sqlx` feature its enums and rows are also the money core's column types. See docs/ARCHITECTURE.md
//! "Layout".

// Foundations.
pub mod error;
pub mod money;
pub mod oauth;
pub mod url_query;
pub mod utc;

// Each aggregate's shared types, named as the money core's modules are.
pub mod accounts;
pub mod audit_log;
pub mod back_office;
pub mod catalog;
pub mod keys;
pub mod ledger;
pub mod metering;
pub mod payments;
pub mod staff;
pub mod statements;
pub mod teams;
pub mod webhooks;

#[cfg(feature = "sqlx")]
pub mod pg_liveness;
