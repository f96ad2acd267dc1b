//! Connecting a chat app with OAuth 2.1, as MCP's authorization spec asks (docs/CONTRACT.md "Chat (MCP)",
//! docs/ARCHITECTURE.md "Connecting a chat app"): the two discovery documents, dynamic client
//! registration, the token and revocation endpoints, and the consent form's answer. The consent page itself
//! is a page of the app (`app::oauth::page`); the rules and the store are `app::oauth`.

mod consent;
mod metadata;
mod register;
mod revoke;
mod token;

use crate::channels::shared::public_url::public_base;
use crate::state::AppState;
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use std::time::Duration;
use tollgate_core::throttle::{self, Limit, Verdict};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/oauth-protected-resource", get(metadata::protected_resource))
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata::protected_resource))
        .route("/.well-known/oauth-authorization-server", get(metadata::authorization_server))
        .route("/oauth/register", post(register::register))
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(revoke::revoke))
        .route("/oauth/authorize", post(consent::decide))
}

/// The MCP endpoint's address, which tokens are for (RFC 8707's `resource`).
pub fn resource_url(state: &AppState, headers: &HeaderMap) -> String {
    format!("{}/mcp", public_base(state, headers))
}

/// Whether a `resource` an app named is this server's MCP endpoint (or the site itself).
fn is_our_resource(state: &AppState, headers: &HeaderMap, resource: Option<&str>) -> bool {
    let base = public_base(state, headers);
    resource.is_none_or(|r| {
        let r = r.trim_end_matches('/');
        r == base || r == format!("{base}/mcp")
    })
}

/// An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2): `{"error": code, "error_description": text}`.
/// Its codes are the RFCs' own wire vocabulary, which apps match on — not Tollgate's error codes.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError { status, error, description: description.into(), retry_after: None }
    }

    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn server(err: tollgate_domain::error::AppError) -> OAuthError {
        OAuthError::new(err.status_code(), "server_error", err.message())
    }
}

impl From<tollgate_domain::error::AppError> for OAuthError {
    fn from(err: tollgate_domain::error::AppError) -> OAuthError {
        OAuthError::server(err)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.error, "error_description": self.description }));
        let mut res = (self.status, body).into_response();
        if let Some(seconds) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"tollgate\""));
        }
        res
    }
}

/// Counts one request of `subject` (an address, a person) against `limit`; over it, 429 with `Retry-After`.
async fn within_limit(state: &AppState, subject: &str, limit: Limit) -> Result<(), OAuthError> {
    match throttle::take(&state.pool, limit, subject).await? {
        Verdict::Allowed => Ok(()),
        refused @ Verdict::Refused { .. } => {
            let minutes = refused.minutes_left(chrono::Utc::now());
            let mut err = OAuthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_request",
                format!("Too many requests from this address. Try again in {minutes} minutes."),
            );
            err.retry_after = Some(u64::from(minutes) * 60);
            Err(err)
        }
    }
}

/// Registrations one address may make per hour: a chat app registers once per installation.
const REGISTRATIONS_PER_IP: Limit = Limit {
    bucket: "oauth_register_ip",
    max: 20,
    window: Duration::from_secs(3600),
    block_for: Duration::from_secs(3600),
};
/// Token requests one address may make per minute (codes, refreshes and guesses alike).
const TOKEN_REQUESTS_PER_IP: Limit = Limit {
    bucket: "oauth_token_ip",
    max: 60,
    window: Duration::from_secs(60),
    block_for: Duration::from_secs(60),
};
/// Consent answers one person may give per 10 minutes (each "Allow" creates a key).
const CONSENTS_PER_USER: Limit = Limit {
    bucket: "oauth_consent_user",
    max: 20,
    window: Duration::from_secs(600),
    block_for: Duration::from_secs(600),
};
