//! The chat channel (docs/CONTRACT.md "Chat (MCP)"): Tollgate as an MCP server a chat app connects to, so a
//! person can say "Add $25 to my wallet" or "What's my balance?" in their own chat. Served by the official
//! Rust SDK (rmcp) over Streamable HTTP at `/mcp`.
//!
//! Stateless on purpose: every POST carries its credential and is answered as JSON, with no MCP session
//! kept in this process — so any of several servers on one database can answer any request, and the only
//! state that matters (balances, idempotency, the duplicate guard) is in PostgreSQL.

mod add_funds;
mod answer;
mod answers;
mod arguments;
mod ask_model;
mod auth;
mod tools;

use crate::config::MAX_BODY_BYTES;
use crate::state::AppState;
use axum::{middleware, Router};
use rmcp::transport::streamable_http_server::{
    session::never::NeverSessionManager, StreamableHttpServerConfig, StreamableHttpService,
};
use std::sync::Arc;

/// `/mcp`, behind the credential check.
pub fn router(state: &AppState) -> Router<AppState> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(MAX_BODY_BYTES);
    // rmcp refuses Hosts other than loopback unless told the site's name (DNS-rebinding protection for
    // servers without authentication). Every call here needs a bearer credential a rebinding page can't
    // have, so without a configured public URL any Host is served, like the rest of the site.
    let config = match state.public_url.as_deref().and_then(authority_of) {
        Some(authority) => config.with_allowed_hosts([authority]),
        None => config.disable_allowed_hosts(),
    };
    let tools_state = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(tools::ChatTools { state: tools_state.clone() }),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service("/mcp", service)
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_credential))
}

/// `example.com:8443` of `https://example.com:8443/`.
fn authority_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    (!authority.is_empty()).then(|| authority.to_ascii_lowercase())
}
