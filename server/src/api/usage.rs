//! `/v1/usage`: spend per day, the same summary as the usage page.

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::schema::{UsageQuery, UsageReport};
use super::spend_key::SpendKey;
use crate::state::AppState;
use app::usage::db as usage_db;
use axum::{extract::State, Json};
use chrono::{Duration, NaiveDate};
use sqlx::PgPool;
use tollgate_domain::error::AppError;
use uuid::Uuid;

/// Spend and completed calls per day (every day listed, empty ones with zeros), by service, with totals —
/// of the account, or with `member` of one member's keys and chat connections. Defaults: the last 7 days
/// including today, in the account's timezone; `end` is inclusive.
#[utoipa::path(get, path = "/v1/usage", tag = "usage", security(("spend_key" = [])),
    params(UsageQuery),
    responses((status = 200, body = UsageReport), (status = 400, description = "a bad date, timezone or member", body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> ApiResult<Json<UsageReport>> {
    Ok(Json(report(&state.pool, key.account_id, query).await?))
}

/// The usage report of `/v1/usage` (and the chat channel's `get_usage`, which must answer the same).
pub async fn report(pool: &PgPool, account_id: Uuid, query: UsageQuery) -> Result<UsageReport, AppError> {
    let tz = match query.tz {
        Some(tz) => usage_db::known_timezone(pool, &tz).await?,
        None => usage_db::parse_timezone(&usage_db::account_timezone(pool, account_id).await?)?,
    };
    // Days outside 2000–2100 are refused before any date arithmetic (docs/CONTRACT.md "Limits and account
    // security").
    let in_bounds = |day: Option<NaiveDate>| match day {
        Some(day) if !usage_db::is_within_bounds(day) => Err(AppError::InvalidQuery),
        day => Ok(day),
    };
    let end = in_bounds(query.end)?.unwrap_or_else(|| usage_db::today_in(tz));
    let start = in_bounds(query.start)?.unwrap_or(end - Duration::days(6));
    let member = usage_db::usage_member(pool, account_id, query.member.as_deref()).await?;
    Ok(usage_db::daily_summary(pool, account_id, (start, end), tz, member).await?.into())
}
