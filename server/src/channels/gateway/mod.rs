//! The gateway (docs/CONTRACT.md "Gateway", docs/ARCHITECTURE.md "The gateway"): Tollgate runs the paid
//! call itself. A provider's own API, at `/gateway/<provider>/…`, authenticated by spend key: each call is
//! held for the most it can cost before it is forwarded (refused with 402 when the wallet can't cover that,
//! and the provider never sees it), then captured at the usage the provider reports, the rest released.

mod anthropic;
mod openai;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The gateway's routes. They stream for as long as the provider takes, so the router mounts them outside
/// the request timeout.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gateway/openai/v1/chat/completions", post(openai::chat_completions))
        .route("/gateway/openai/v1/models", get(openai::models))
        .route("/gateway/anthropic/v1/messages", post(anthropic::messages))
}
