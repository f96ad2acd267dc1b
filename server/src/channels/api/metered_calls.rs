//! `/v1/requests`: charging a metered call (create), and the account's calls (list).

use super::extract::{ApiJson, ApiQuery, IdempotencyKey};
use crate::channels::shared::error::{ApiError, ApiResult, ErrorBody};
use crate::channels::shared::reads::request_list;
use crate::channels::shared::schema::{
    could_be_catalog_name, CreateRequestBody, CreatedRequest, RequestList, RequestListQuery,
};
use crate::channels::shared::spend_key::{MeteringSpendKey, SpendKey};
use crate::state::AppState;
use axum::{extract::State, http::StatusCode, Json};
use tollgate_core::keys::db::count_free_call;
use tollgate_core::metering::charge::MeteredCall;
use tollgate_domain::catalog::pricing::Usage;
use tollgate_domain::error::AppError;

/// Charges one call to the wallet, before it runs. Over the balance: 402 `Insufficient wallet balance`,
/// nothing charged (the call is recorded as rejected at cost 0). Free services run whatever the balance.
#[utoipa::path(post, path = "/v1/requests", tag = "requests", security(("spend_key" = [])),
    request_body = CreateRequestBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; 1–255 visible ASCII characters. Same key, same answer; other parameters → 409.", min_length = 1, max_length = 255, pattern = r"^[!-~]+( +[!-~]+)*$")),
    responses((status = 201, body = CreatedRequest), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, description = "Insufficient wallet balance, or Spend key limit reached", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_request(
    State(state): State<AppState>,
    MeteringSpendKey(key): MeteringSpendKey,
    IdempotencyKey(idempotency_key): IdempotencyKey,
    ApiJson(body): ApiJson<CreateRequestBody>,
) -> ApiResult<(StatusCode, Json<CreatedRequest>)> {
    if !could_be_catalog_name(&body.service) || !could_be_catalog_name(&body.model) {
        return Err(AppError::UnknownService.into());
    }
    let usage = match &body.usage {
        None => Usage::default(),
        Some(usage) => Usage::new(usage.input_tokens.unwrap_or(0), usage.output_tokens.unwrap_or(0))
            .ok_or(AppError::InvalidUsage)?,
    };
    let price = state
        .call_cache
        .price(&state.pool, &body.service, &body.model)
        .await?
        .ok_or(AppError::UnknownService)?;
    if !key.may_call(&body.service) {
        return Err(AppError::ServiceNotAllowed.into());
    }
    if price.cost(usage).total.amount().is_zero() {
        if let Err(retry_after) = count_free_call(&state.pool, &key).await? {
            return Err(ApiError::RetryLater { error: AppError::RateLimitExceeded, retry_after });
        }
    }
    let call = MeteredCall {
        account_id: key.account_id,
        key_id: key.key_id,
        service: body.service,
        model: body.model,
        usage,
        price,
        idempotency_key,
        reserved: None,
        via: tollgate_domain::metering::call::Via::Api,
    };
    let record = state.meter.charge(call).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// The account's calls, newest first, `limit` (≤ 100, default 20) per page; pass `next_cursor` back as
/// `cursor` for the next page.
#[utoipa::path(get, path = "/v1/requests", tag = "requests", security(("spend_key" = [])),
    params(RequestListQuery),
    responses((status = 200, body = RequestList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_requests(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    ApiQuery(query): ApiQuery<RequestListQuery>,
) -> ApiResult<Json<RequestList>> {
    Ok(Json(request_list(&state.pool, key.account_id, query).await?))
}
