//! The discovery documents a chat app reads first: which authorization server protects `/mcp` (RFC 9728)
//! and where that server's endpoints are and what it supports (RFC 8414). Both are built from the public
//! URL (or the request's Host), so links work behind any address the site is served at.

use super::resource_url;
use crate::channels::shared::public_url::public_base;
use crate::state::AppState;
use axum::{extract::State, http::HeaderMap, Json};
use serde_json::{json, Value};

pub async fn protected_resource(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    Json(json!({
        "resource": resource_url(&state, &headers),
        "authorization_servers": [public_base(&state, &headers)],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["wallet"],
        "resource_name": "Tollgate wallet",
    }))
}

pub async fn authorization_server(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = public_base(&state, &headers);
    let client_auth = ["none", "client_secret_post", "client_secret_basic"];
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "scopes_supported": ["wallet"],
    }))
}
