//! What an agent may read of its account, as `/v1` and the chat channel both answer it (the chat tools
//! must say what `/v1` says): the usage report and the list of calls.

use crate::channels::shared::schema::{RequestList, RequestListQuery, UsageQuery, UsageReport};
use chrono::{Duration, NaiveDate};
use sqlx::PgPool;
use tollgate_core::reads::usage::{self as usage_db, requests_page, RequestFilter};
use tollgate_domain::error::AppError;
use uuid::Uuid;

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

/// A page of the account's calls, as `GET /v1/requests` (and the chat channel's `list_requests`) answer it.
pub async fn request_list(
    pool: &PgPool,
    account_id: Uuid,
    query: RequestListQuery,
) -> Result<RequestList, AppError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::InvalidQuery);
    }
    let all = RequestFilter::default();
    let page = requests_page(pool, account_id, &all, limit, query.cursor.as_deref()).await?;
    Ok(RequestList {
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
        data: page.data.into_iter().map(Into::into).collect(),
    })
}
