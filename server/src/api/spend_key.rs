//! `Authorization: Bearer tg_sk_…` → the spend key and its account. Every `/v1` handler takes one of these
//! extractors, so no handler can run for an unknown, paused or revoked key (401).

use super::error::ApiError;
use crate::state::AppState;
use app::error::AppError;
use app::keys::db::{authenticate, AuthenticatedKey};
use axum::{extract::FromRequestParts, http::request::Parts};

/// The key, checked against the database on this request.
pub struct SpendKey(pub AuthenticatedKey);

/// The key for `POST /v1/requests`, possibly remembered from an earlier call (`crate::call_cache`): that route's
/// charging transaction re-checks the key's status under its row lock, so a paused or revoked key is
/// still refused.
pub struct MeteringSpendKey(pub AuthenticatedKey);

fn presented(parts: &Parts) -> Result<&str, AppError> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or(AppError::UnknownSpendKey)
}

impl FromRequestParts<AppState> for SpendKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SpendKey, ApiError> {
        Ok(SpendKey(authenticate(&state.pool, presented(parts)?).await?))
    }
}

impl FromRequestParts<AppState> for MeteringSpendKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<MeteringSpendKey, ApiError> {
        Ok(MeteringSpendKey(state.call_cache.key(&state.pool, presented(parts)?).await?))
    }
}
