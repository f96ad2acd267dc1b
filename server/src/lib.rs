//! The Tollgate server: configuration, start-up (database, migrations, demo seed), and the router that
//! serves the Leptos app, its server functions and the health check. Kept thin: the features live in
//! the `app` crate.

pub mod api;
pub mod config;
pub mod cross_site;
pub mod demo_seed;
pub mod health;
pub mod key_form;
pub mod page_cache;
pub mod page_guard;
pub mod sandbox_processor;
pub mod startup;
pub mod usage_export;

pub use config::Config;
pub use startup::{build_router, connect_database, payment_processor, session_layer, AppState};
