//! `POST /oauth/register` (RFC 7591): a chat app registers itself. At most 20 registrations per address
//! (an IPv6 address by its /48) per hour; the body must be JSON sent as JSON (`Content-Type:
//! application/json`, which a web page can't send to another site without the site's consent, so no page
//! can register clients from its visitors' browsers) and at most 8 KB.

use super::{within_limit, OAuthError, REGISTRATIONS_PER_IP};
use crate::state::AppState;
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde_json::json;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::oauth::store as db;
use tollgate_domain::oauth::registration::{ClientAuthentication, ClientMetadata};

/// The largest registration body taken: client metadata is a few hundred bytes.
const MAX_BODY_BYTES: usize = 8 * 1024;

pub async fn register(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        let description = "send the client metadata as Content-Type: application/json";
        return Err(OAuthError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_client_metadata",
            description,
        ));
    }
    if body.len() > MAX_BODY_BYTES {
        let description = "the client metadata must be at most 8 KB";
        return Err(OAuthError::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid_client_metadata", description));
    }
    within_limit(&state, &ip.network_subject(), REGISTRATIONS_PER_IP).await?;
    let metadata: ClientMetadata = serde_json::from_slice(&body).map_err(|_| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "the body must be a JSON object of client metadata",
        )
    })?;
    let registration = metadata
        .check()
        .map_err(|refusal| OAuthError::new(StatusCode::BAD_REQUEST, refusal.error, refusal.description))?;
    let client = db::register(&state.pool, &registration).await?;
    let method: &'static str = registration.authentication.into();
    let mut answer = json!({
        "client_id": client.client_id,
        "client_id_issued_at": chrono::Utc::now().timestamp(),
        "client_name": registration.client_name,
        "redirect_uris": registration.redirect_uris.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    });
    if let (Some(secret), false) =
        (client.client_secret, registration.authentication == ClientAuthentication::None)
    {
        answer["client_secret"] = json!(secret);
        answer["client_secret_expires_at"] = json!(0);
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
