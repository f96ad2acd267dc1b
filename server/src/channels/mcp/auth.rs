//! Who is calling `/mcp`: `Authorization: Bearer <spend key>`, or a chat connection's OAuth access token
//! (`tg_at_…`, which stands for the connection's spend key). Either way the connection is a key, checked like
//! `/v1` — unknown credentials count against the address, the key's rate limit applies, a paused or revoked
//! key is refused at once — and the key is put on the request for the tools. Without a usable credential the
//! answer is 401 with the `WWW-Authenticate` challenge MCP's authorization spec asks for, pointing at the
//! protected-resource metadata.

use crate::channels::shared::error::{ApiError, ErrorBody};
use crate::channels::shared::public_url::public_base;
use crate::channels::shared::spend_key::{admitted, presented, SpendKey};
use crate::state::AppState;
use axum::{
    extract::{FromRequestParts, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use tollgate_core::keys::db as keys_db;
use tollgate_core::oauth::store as oauth_db;
use tollgate_domain::error::AppError;

pub async fn require_credential(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let key = match presented(&parts) {
        Ok(token) if token.starts_with(oauth_db::ACCESS_TOKEN_PREFIX) => {
            let found = match oauth_db::key_of_access_token(&state.pool, token).await {
                Ok(key_id) => keys_db::authenticate_by_id(&state.pool, key_id).await,
                Err(err) => Err(err),
            };
            admitted(&parts, &state, found).await
        }
        _ => SpendKey::from_request_parts(&mut parts, &state).await.map(|SpendKey(key)| key),
    };
    match key {
        Ok(key) => {
            parts.extensions.insert(key);
            next.run(Request::from_parts(parts, body)).await
        }
        // Paused is not "sign in again": a challenge would send the chat app through the consent page to
        // make a new, unpaused connection. The person resumes it on the Keys page instead.
        Err(ApiError::App(AppError::SpendKeyPaused)) => {
            let err = AppError::SpendKeyPaused;
            let body = ErrorBody { error: err.message(), code: StatusCode::FORBIDDEN.as_u16() };
            (StatusCode::FORBIDDEN, Json(body)).into_response()
        }
        Err(refusal) => {
            let mut res = refusal.into_response();
            if res.status() == StatusCode::UNAUTHORIZED {
                let metadata =
                    format!("{}/.well-known/oauth-protected-resource", public_base(&state, &parts.headers));
                let challenge = format!("Bearer resource_metadata=\"{metadata}\"");
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
            }
            res
        }
    }
}
