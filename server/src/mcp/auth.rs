//! Who is calling `/mcp`: `Authorization: Bearer <spend key>` (the connection is that key). Checked like
//! `/v1` — unknown keys count against the address, the key's rate limit applies — and the key is put on
//! the request for the tools. Without a usable credential the answer is 401 with the `WWW-Authenticate`
//! challenge MCP's authorization spec asks for, pointing at the protected-resource metadata.

use crate::api::spend_key::SpendKey;
use crate::api::wallet::public_base;
use crate::state::AppState;
use axum::{
    extract::{FromRequestParts, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn require_credential(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    match SpendKey::from_request_parts(&mut parts, &state).await {
        Ok(SpendKey(key)) => {
            parts.extensions.insert(key);
            next.run(Request::from_parts(parts, body)).await
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
