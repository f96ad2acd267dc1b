//! The Tollgate server: the process around the app and the money core. Its folders say what each part is
//! (docs/ARCHITECTURE.md "The server's modules, in layers"):
//! - `http/`: accepting connections, the layers every request passes (client address, cross-site and
//!   security headers, request spans, page rules) and `/healthz`;
//! - `channels/`: the ways in — `api/` (`/v1`), `mcp/` (`/mcp`), `oauth/` (connecting a chat app), `pages/`
//!   (the dashboard's form posts, downloads and page cache) — over `shared/`, what they all need (the
//!   credential check, the JSON error answer, idempotency keys, the public address, the funding order);
//!   channels never import each other;
//! - `workers/`: what runs beside requests (the webhook sender, the pending-payment sweeper, the
//!   maintenance pass; the auto top-up worker is the core's);
//! - `startup/`: connecting and migrating, the processor and recovery, sessions, the demo account;
//! - `cli.rs`: the commands besides serving (`tollgate staff …`);
//! - `config.rs`, `state.rs`, `router.rs`, and the card processors: the sandbox and Stripe (`stripe/`).

pub mod channels;
pub mod cli;
pub mod config;
pub mod http;
pub mod router;
pub mod sandbox_processor;
pub mod startup;
pub mod state;
pub mod statement_pdf;
pub mod stripe;
pub mod workers;

pub use config::Config;
pub use http::serve::{serve, ServeLimits};
pub use router::build_router;
pub use startup::{database::connect_database, prepare_payments, sessions::session_layer};
pub use state::AppState;
