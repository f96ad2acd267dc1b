//! `/v1/requests`: metered calls (create) and the account's calls (list), and `/v1/usage`.

use super::answer::{idempotency_key, parse_body, ApiResult};
use super::schema::{CreateRequestBody, CreatedRequest, ErrorBody, RequestList, UsageReport};
use super::spend_key::{MeteringSpendKey, SpendKey};
use crate::startup::AppState;
use app::error::AppError;
use app::metering::charge::MeteredCall;
use app::metering::pricing::Usage;
use app::usage::db as usage_db;
use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use chrono::{Duration, NaiveDate};
use serde_json::Value;
use std::collections::HashMap;

/// Charges one call to the wallet, before it runs. Over the balance: 402 `Insufficient wallet balance`,
/// nothing charged (the call is recorded as rejected at cost 0). Free services run whatever the balance.
#[utoipa::path(post, path = "/v1/requests", tag = "requests", security(("spend_key" = [])),
    request_body = CreateRequestBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional. Same key, same answer; other parameters → 409.")),
    responses((status = 201, body = CreatedRequest), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, description = "Insufficient wallet balance, or Spend key limit reached", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_request(
    State(state): State<AppState>,
    MeteringSpendKey(key): MeteringSpendKey,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CreatedRequest>)> {
    let idempotency_key = idempotency_key(&headers)?;
    let body = parse_body(&body)?;
    let text = |name: &str| match body.get(name) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 128 => Ok(s.clone()),
        _ => Err(AppError::UnknownService),
    };
    let (service, model) = (text("service")?, text("model")?);
    let usage = parse_usage(body.get("usage"))?;
    let price =
        state.call_cache.price(&state.pool, &service, &model).await?.ok_or(AppError::UnknownService)?;
    if !key.may_call(&service) {
        return Err(AppError::ServiceNotAllowed.into());
    }
    let call = MeteredCall {
        account_id: key.account_id,
        key_id: key.key_id,
        service,
        model,
        usage,
        price,
        idempotency_key,
    };
    let record = state.meter.charge(call).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// `{"input_tokens": 1000, "output_tokens": 500}`: whole, non-negative numbers; missing ones are 0.
fn parse_usage(usage: Option<&Value>) -> Result<Usage, AppError> {
    let usage = match usage {
        None | Some(Value::Null) => return Ok(Usage::default()),
        Some(Value::Object(usage)) => usage,
        Some(_) => return Err(AppError::InvalidUsage),
    };
    let tokens = |name: &str| match usage.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_u64().ok_or(AppError::InvalidUsage),
        Some(_) => Err(AppError::InvalidUsage),
    };
    Usage::new(tokens("input_tokens")?, tokens("output_tokens")?).ok_or(AppError::InvalidUsage)
}

/// The account's calls, newest first, `limit` (≤ 100, default 20) per page; pass `next_cursor` back as
/// `cursor` for the next page.
#[utoipa::path(get, path = "/v1/requests", tag = "requests", security(("spend_key" = [])),
    params(("limit" = Option<i64>, Query, description = "1–100, default 20"),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, body = RequestList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_requests(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<RequestList>> {
    let limit = match query.get("limit") {
        None => 20,
        Some(l) => l.parse::<i64>().ok().filter(|l| (1..=100).contains(l)).ok_or(AppError::InvalidQuery)?,
    };
    let all = usage_db::RequestFilter::default();
    let cursor = query.get("cursor").map(String::as_str);
    let page = usage_db::requests_page(&state.pool, key.account_id, &all, limit, cursor).await?;
    Ok(Json(RequestList {
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
        data: page.data.into_iter().map(Into::into).collect(),
    }))
}

/// Spend and completed calls per day (every day listed, empty ones with zeros), by service, with totals.
/// Defaults: the last 7 days including today, in the account's timezone; `end` is inclusive.
#[utoipa::path(get, path = "/v1/usage", tag = "usage", security(("spend_key" = [])),
    params(("start" = Option<String>, Query, description = "YYYY-MM-DD"),
           ("end" = Option<String>, Query, description = "YYYY-MM-DD, inclusive"),
           ("tz" = Option<String>, Query, description = "IANA timezone, e.g. Asia/Kathmandu")),
    responses((status = 200, body = UsageReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<UsageReport>> {
    let tz_name = match query.get("tz") {
        Some(tz) => tz.clone(),
        None => usage_db::account_timezone(&state.pool, key.account_id).await?,
    };
    let tz = usage_db::parse_timezone(&tz_name)?;
    let date = |name: &str| {
        query
            .get(name)
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| AppError::InvalidQuery))
            .transpose()
    };
    let end = date("end")?.unwrap_or_else(|| usage_db::today_in(tz));
    let start = date("start")?.unwrap_or(end - Duration::days(6));
    let summary = usage_db::daily_summary(&state.pool, key.account_id, start, end, tz).await?;
    Ok(Json(summary.into()))
}
