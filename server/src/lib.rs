//! The Tollgate server: configuration, start-up (database, migrations, payment recovery, demo seed), the
//! router that serves the Leptos app and its server functions, the `/v1` JSON API, and the sandbox card
//! processor. Kept thin: the features live in the `app` crate.

pub mod api;
pub mod audit_export;
pub mod call_cache;
pub mod client_ip;
pub mod config;
pub mod cross_site;
pub mod csv_field;
pub mod health;
pub mod invite_form;
pub mod key_form;
pub mod mcp;
pub mod oauth;
pub mod page_cache;
pub mod page_guard;
pub mod request_span;
pub mod router;
pub mod sandbox_processor;
pub mod security_headers;
pub mod serve;
pub mod shown_once;
pub mod startup;
pub mod state;
pub mod usage_export;
pub mod webhook_form;
pub mod webhook_sender;

pub use config::Config;
pub use router::build_router;
pub use serve::{serve, ServeLimits};
pub use startup::{database::connect_database, prepare_payments, sessions::session_layer};
pub use state::AppState;
