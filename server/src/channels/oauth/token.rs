//! `POST /oauth/token`: a code (with its PKCE verifier) or a refresh token, exchanged for a new access
//! token (1 hour) and refresh token (30 days, used once). The app proves itself as it registered
//! (`app_request`): public apps by their client id alone (PKCE is their proof), confidential ones with their
//! secret.

use super::{is_our_resource, within_limit, OAuthError, TOKEN_REQUESTS_PER_IP};
use crate::state::AppState;
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    Extension, Json,
};
use base64::Engine;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};
use tollgate_core::client_ip::ClientIp;
use tollgate_core::oauth::store::{self as db, GrantError, TokenPair, ACCESS_TOKEN_SECONDS};

#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    resource: Option<String>,
}

pub async fn token(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, OAuthError> {
    let (client_id, form) = app_request::<TokenForm>(&state, &ip, &headers, &body).await?;
    if !is_our_resource(&state, &headers, form.resource.as_deref()) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource must be this server's /mcp",
        ));
    }
    let required = |value: &Option<String>, name: &str| {
        value
            .clone()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
    };
    let pair = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = required(&form.code, "code")?;
            let redirect_uri = required(&form.redirect_uri, "redirect_uri")?;
            let verifier = required(&form.code_verifier, "code_verifier")?;
            db::redeem_code(&state.pool, &client_id, &code, &redirect_uri, &verifier).await
        }
        Some("refresh_token") => {
            let refresh_token = required(&form.refresh_token, "refresh_token")?;
            db::refresh(&state.pool, &client_id, &refresh_token).await
        }
        Some(_) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            ))
        }
        None => return Err(OAuthError::invalid_request("grant_type is required")),
    };
    match pair {
        Ok(TokenPair { access_token, refresh_token }) => Ok(Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh_token,
            "scope": "wallet",
        }))),
        Err(GrantError::Invalid(why)) => Err(OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", why)),
        Err(GrantError::App(err)) => Err(err.into()),
    }
}

/// How an app identifies itself in a form (`client_secret` only for `client_secret_post`).
#[derive(Deserialize)]
struct ClientFields {
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// A form an app posts to the token or revocation endpoint, admitted: within the address's limit (60 a
/// minute), readable as `F`, and from a client that proved itself as it registered — HTTP Basic
/// (`client_secret_basic`), or `client_id` (and `client_secret` for `client_secret_post`) in the form.
/// Unknown clients and wrong credentials are 401 `invalid_client`.
pub(super) async fn app_request<F: DeserializeOwned>(
    state: &AppState,
    ip: &ClientIp,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, F), OAuthError> {
    within_limit(state, &ip.limit_subject(), TOKEN_REQUESTS_PER_IP).await?;
    let unreadable = |_| OAuthError::invalid_request("the body must be application/x-www-form-urlencoded");
    let form: F = serde_urlencoded::from_bytes(body).map_err(unreadable)?;
    let fields: ClientFields = serde_urlencoded::from_bytes(body).map_err(unreadable)?;
    let invalid = || {
        OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client, or wrong client credentials",
        )
    };
    let (client_id, secret) = match basic_credentials(headers) {
        Some(Some(pair)) => (pair.0, Some(pair.1)),
        Some(None) => return Err(invalid()),
        None => (fields.client_id.ok_or_else(invalid)?, fields.client_secret),
    };
    if db::client_is_authentic(&state.pool, &client_id, secret.as_deref()).await? {
        Ok((client_id, form))
    } else {
        Err(invalid())
    }
}

/// `Authorization: Basic …` as (client id, secret), both form-decoded (RFC 6749 §2.3.1); `Some(None)` when
/// the header is there but unreadable; `None` without one.
fn basic_credentials(headers: &HeaderMap) -> Option<Option<(String, String)>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok();
    let encoded = value.and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok();
    let text = decoded.and_then(|bytes| String::from_utf8(bytes).ok());
    let Some((id, secret)) = text.as_deref().and_then(|t| t.split_once(':')) else { return Some(None) };
    let form_decode =
        |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some(form_decode(id).zip(form_decode(secret)))
}
