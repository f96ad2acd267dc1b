//! The money core (docs/ARCHITECTURE.md "The money core"): every change to a wallet, a card, a key or a
//! webhook endpoint, each in one transaction with the ledger entries and audit rows that explain it, and
//! the queries behind them. No Leptos and no HTTP here: the pages' server functions, `/v1`, `/mcp` and the
//! workers call these functions; the types they share with the browser are `tollgate_domain`. How the
//! folders depend on each other: docs/ARCHITECTURE.md "Layout".

// Foundations: identifiers, client addresses, throttles, waking on notifications.
pub mod client_ip;
pub mod pg_wakeup;
pub mod random;
pub mod throttle;

// The audit log every change writes into.
pub mod audit;

// The aggregates, lowest first.
pub mod accounts;
pub mod catalog;
pub mod credit;
pub mod keys;
pub mod ledger;
pub mod metering;
pub mod oauth;
pub mod payments;
pub mod staff;
pub mod teams;
pub mod webhooks;

// The back office: staff actions on an account.
pub mod back_office;

// Reads for views that span aggregates.
pub mod reads;
