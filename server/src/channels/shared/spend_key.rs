//! `Authorization: Bearer tg_sk_…` → the spend key and its account. Every `/v1` handler takes one of these
//! extractors, so no handler can run for an unknown, paused or revoked key (401), nor for a key over its
//! "Rate limit" (429 + `Retry-After`). An address that presents more than 30 unknown keys within a minute
//! is answered 429 "Too many failed authentications" instead of 401 for a minute (docs/CONTRACT.md
//! "Limits and account security"): scanning for keys gets slow and loud, while a valid key never waits.

use crate::channels::shared::error::ApiError;
use crate::state::AppState;
use axum::{extract::FromRequestParts, http::request::Parts};
use std::time::Duration;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::keys::db::{authenticate, count_request, AuthenticatedKey};
use tollgate_core::throttle::{self, Limit, Verdict};
use tollgate_domain::error::AppError;

/// Unknown keys one address may present per minute before it is refused for a minute.
const FAILED_AUTHENTICATIONS_PER_IP: Limit = Limit {
    bucket: "failed_auth_ip",
    max: 30,
    window: Duration::from_secs(60),
    block_for: Duration::from_secs(60),
};

/// The key, checked against the database on this request.
pub struct SpendKey(pub AuthenticatedKey);

/// The key for `POST /v1/requests`, possibly remembered from an earlier call (`crate::state::call_cache`):
/// that route's charging transaction re-checks the key's status under its row lock, so a paused or revoked
/// key is still refused.
pub struct MeteringSpendKey(pub AuthenticatedKey);

/// The key as a provider's SDK sends it to the gateway: `Authorization: Bearer` (OpenAI's) or `x-api-key`
/// (Anthropic's), checked against the database on this request.
pub struct ProviderSdkKey(pub AuthenticatedKey);

pub(crate) fn presented(parts: &Parts) -> Result<&str, AppError> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or(AppError::UnknownSpendKey)
}

/// What a lookup found, after the per-address and per-key limits.
pub(crate) async fn admitted(
    parts: &Parts,
    state: &AppState,
    found: Result<AuthenticatedKey, AppError>,
) -> Result<AuthenticatedKey, ApiError> {
    let key = match found {
        Ok(key) => key,
        Err(AppError::UnknownSpendKey) => return Err(failed_authentication(parts, state).await),
        Err(err) => return Err(err.into()),
    };
    match count_request(&state.pool, &key).await? {
        Ok(()) => Ok(key),
        Err(retry_after) => Err(ApiError::RetryLater { error: AppError::RateLimitExceeded, retry_after }),
    }
}

/// Counts an unknown key against the client's address: 401, or 429 once the address is over its limit.
async fn failed_authentication(parts: &Parts, state: &AppState) -> ApiError {
    let Some(ip) = parts.extensions.get::<ClientIp>() else {
        return AppError::bug("no ClientIp on a /v1 request: the client_ip layer must run first").into();
    };
    match throttle::take(&state.pool, FAILED_AUTHENTICATIONS_PER_IP, &ip.limit_subject()).await {
        Ok(Verdict::Allowed) => AppError::UnknownSpendKey.into(),
        Ok(refused @ Verdict::Refused { .. }) => ApiError::RetryLater {
            error: AppError::TooManyFailedAuthentications,
            retry_after: u64::from(refused.minutes_left(chrono::Utc::now())) * 60,
        },
        Err(err) => err.into(),
    }
}

impl FromRequestParts<AppState> for SpendKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SpendKey, ApiError> {
        let found = match presented(parts) {
            Ok(secret) => authenticate(&state.pool, secret).await,
            Err(err) => Err(err),
        };
        Ok(SpendKey(admitted(parts, state, found).await?))
    }
}

impl FromRequestParts<AppState> for ProviderSdkKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ProviderSdkKey, ApiError> {
        let api_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
        let found = match presented(parts).ok().or(api_key) {
            Some(secret) => authenticate(&state.pool, secret).await,
            None => Err(AppError::UnknownSpendKey),
        };
        Ok(ProviderSdkKey(admitted(parts, state, found).await?))
    }
}

impl FromRequestParts<AppState> for MeteringSpendKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<MeteringSpendKey, ApiError> {
        let found = match presented(parts) {
            Ok(secret) => state.call_cache.key(&state.pool, secret).await,
            Err(err) => Err(err),
        };
        Ok(MeteringSpendKey(admitted(parts, state, found).await?))
    }
}
