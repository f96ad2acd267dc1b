//! `POST /oauth/revoke` (RFC 7009): the app disconnects. Revoking the refresh token ends the connection
//! (its key shows as revoked on the Keys page); an access token just stops working. The answer is 200
//! whether or not the token was known, so it tells a guesser nothing.

use super::token::app_request;
use super::OAuthError;
use crate::state::AppState;
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    Extension,
};
use serde::Deserialize;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::oauth::store as db;

#[derive(Deserialize)]
pub struct RevokeForm {
    token: Option<String>,
}

pub async fn revoke(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, OAuthError> {
    let (client_id, form) = app_request::<RevokeForm>(&state, &ip, &headers, &body).await?;
    let token = form
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    db::revoke(&state.pool, &client_id, &token).await?;
    Ok(StatusCode::OK)
}
