//! Usage reads. The daily summary reads only the 15-minute rollups (never scans `requests`); the request
//! list pages by `seq` (commit order), so a page boundary never moves when new calls arrive.

use super::report::{DailyUsage, RequestPage, ServiceUsage, UsageSummary, UsageTotals, MAX_RANGE_DAYS};
use crate::error::AppError;
use crate::metering::call::RequestRow;
use crate::money::Usd;
use chrono::{Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::collections::BTreeMap;
use uuid::Uuid;

/// An IANA timezone name Postgres and chrono-tz both know (`UTC`, `Asia/Kathmandu`).
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, AppError> {
    name.parse::<chrono_tz::Tz>().map_err(|_| AppError::InvalidQuery)
}

pub async fn account_timezone(pool: &PgPool, account_id: Uuid) -> Result<String, AppError> {
    sqlx::query_scalar("SELECT timezone FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// Today in `tz`.
pub fn today_in(tz: chrono_tz::Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// Spend and completed calls per local day of `start..=end` in `tz`, by service, with totals. Exact in
/// every timezone: a local day is a whole number of 15-minute UTC buckets.
pub async fn daily_summary(
    pool: &PgPool,
    account_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<UsageSummary, AppError> {
    if end < start || (end - start).num_days() >= MAX_RANGE_DAYS {
        return Err(AppError::InvalidQuery);
    }
    let rows: Vec<(NaiveDate, String, i64, Decimal)> = sqlx::query_as(
        "SELECT (r.bucket AT TIME ZONE $4)::date AS day, r.service_id, sum(r.requests)::bigint, sum(r.cost)
           FROM usage_rollups r
          WHERE r.account_id = $1
            AND r.bucket >= ($2::date::timestamp AT TIME ZONE $4)
            AND r.bucket < (($3::date + 1)::timestamp AT TIME ZONE $4)
          GROUP BY 1, 2
         HAVING sum(r.requests) > 0 OR sum(r.cost) > 0
          ORDER BY 1, 2",
    )
    .bind(account_id)
    .bind(start)
    .bind(end)
    .bind(tz.name())
    .fetch_all(pool)
    .await?;
    let mut by_day: BTreeMap<NaiveDate, Vec<ServiceUsage>> = BTreeMap::new();
    for (day, service, requests, cost) in rows {
        by_day.entry(day).or_default().push(ServiceUsage { service, requests, cost: Usd::new(cost) });
    }
    let mut items = Vec::new();
    let mut day = start;
    while day <= end {
        let services = by_day.remove(&day).unwrap_or_default();
        items.push(DailyUsage {
            date: day,
            requests: services.iter().map(|s| s.requests).sum(),
            cost: Usd::new(services.iter().map(|s| s.cost.amount()).sum()),
            services,
        });
        day += Duration::days(1);
    }
    let totals = UsageTotals {
        requests: items.iter().map(|d| d.requests).sum(),
        cost: Usd::new(items.iter().map(|d| d.cost.amount()).sum()),
    };
    Ok(UsageSummary { timezone: tz.name().to_string(), items, totals })
}

/// Up to `limit` calls older than `cursor` (newest first).
pub async fn requests_page(
    pool: &PgPool,
    account_id: Uuid,
    limit: i64,
    cursor: Option<&str>,
) -> Result<RequestPage, AppError> {
    let before: i64 = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => c.parse().map_err(|_| AppError::InvalidQuery)?,
        None => i64::MAX,
    };
    let mut rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "SELECT {} FROM requests WHERE account_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        RequestRow::COLUMNS
    ))
    .bind(account_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = has_more.then(|| rows.last().map(|r| r.seq.to_string())).flatten();
    let data = rows.iter().map(RequestRow::record).collect::<Result<Vec<_>, AppError>>()?;
    Ok(RequestPage { data, next_cursor })
}
