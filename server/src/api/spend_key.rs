//! `Authorization: Bearer tg_sk_…` → the spend key and its account. Every `/v1` handler takes this
//! extractor, so no handler can run for an unknown, paused or revoked key (401).

use super::answer::ApiError;
use crate::startup::AppState;
use app::error::AppError;
use app::keys::db::{authenticate, AuthenticatedKey};
use axum::{extract::FromRequestParts, http::request::Parts};

pub struct SpendKey(pub AuthenticatedKey);

impl FromRequestParts<AppState> for SpendKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SpendKey, ApiError> {
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(AppError::UnknownSpendKey)?;
        Ok(SpendKey(authenticate(&state.pool, presented).await?))
    }
}
