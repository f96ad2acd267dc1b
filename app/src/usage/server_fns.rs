//! Usage server functions: one read of everything the usage page shows for its URL, and "Set timezone".

use super::report::{UsageQuery, UsageView};
use leptos::prelude::*;
use tollgate_domain::error::AppError;

#[cfg(feature = "ssr")]
use {
    crate::charts::option::spend_option,
    crate::charts::spend::SpendChart,
    crate::server_fn_context::pool,
    crate::teams::member::{as_member, require_member},
    chrono::Duration,
    tollgate_core::accounts::store as accounts,
    tollgate_core::catalog,
    tollgate_core::reads::usage::{self as db, RequestFilter},
    tollgate_domain::metering::call::CallStatus,
    tollgate_domain::money::Usd,
    tollgate_domain::teams::role::Action,
};

/// Calls per page of the request list.
pub const PAGE_SIZE: i64 = 20;

/// The usage page for its query: days `since..=until` (default the last 7 days including today) in the
/// account's timezone, and a page of the calls of those days matching the filters.
#[server(endpoint = "usage/view")]
pub async fn get_usage(#[server(flatten)] query: UsageQuery) -> Result<UsageView, AppError> {
    let UsageQuery { since, until, service, model, status, cursor, request, member } = query;
    let user = require_member().await?;
    let pool = pool()?;
    let timezone = db::account_timezone(&pool, user.account_id).await?;
    let tz = db::parse_timezone(&timezone)?;
    let (since, until) = db::selected_days(since.as_deref(), until.as_deref(), tz)?;
    let some = |v: Option<String>| v.filter(|v| !v.is_empty());
    let member = db::usage_member(&pool, user.account_id, some(member).as_deref()).await?;
    let summary = db::daily_summary(&pool, user.account_id, (since, until), tz, member).await?;
    let (from, to) = db::day_range(since, until, tz);
    // A name with a control character (PostgreSQL text can't hold NUL) names no service or model.
    let name = |v: Option<String>| match some(v) {
        Some(v) if v.len() > 128 || v.chars().any(char::is_control) => Err(AppError::InvalidQuery),
        v => Ok(v),
    };
    let filter = RequestFilter {
        since: Some(from),
        until: Some(to),
        service: name(service)?,
        model: name(model)?,
        status: some(status)
            .map(|s| s.parse::<CallStatus>().map_err(|_| AppError::InvalidQuery))
            .transpose()?,
        member,
    };
    let requests = db::requests_page(&pool, user.account_id, &filter, PAGE_SIZE, cursor.as_deref()).await?;
    let times = requests
        .data
        .iter()
        .map(|r| r.created_at.with_timezone(&tz).format("%b %-d, %H:%M:%S").to_string())
        .collect();
    let detail = match request {
        Some(id) => Some(db::request_detail(&pool, user.account_id, id).await?),
        None => None,
    };
    let mut chart = SpendChart::of_usage(&summary, vec![Usd::ZERO; summary.items.len()]);
    chart.option = spend_option(&chart);
    Ok(UsageView {
        chart,
        timezone,
        since,
        until,
        summary,
        requests,
        times,
        services: catalog::db::services(&pool).await?,
        models: catalog::db::models(&pool).await?,
        members: match user.team {
            Some(_) => db::usage_members(&pool, user.account_id)
                .await?
                .into_iter()
                .map(|m| (m.user_id.to_string(), m.email))
                .collect(),
            None => Vec::new(),
        },
        detail,
    })
}

/// The "Timezone" select's choices: every IANA timezone both we and PostgreSQL know when `all`, else the
/// common ones (`db::COMMON_TIMEZONES`) — the page links to the whole list. The account's own timezone is
/// added by the page.
#[server(endpoint = "usage/timezones")]
pub async fn list_timezones(all: bool) -> Result<Vec<String>, AppError> {
    let every = db::selectable_timezones(&pool()?).await?;
    if all {
        return Ok(every);
    }
    Ok(every.into_iter().filter(|name| db::COMMON_TIMEZONES.contains(&name.as_str())).collect())
}

/// "Set timezone": the account's days, here and in `/v1/usage`, start at midnight in this timezone.
#[server(endpoint = "usage/timezone")]
pub async fn set_timezone(timezone: String) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |user| async move {
        let pool = pool()?;
        let tz = db::known_timezone(&pool, timezone.trim()).await?;
        accounts::set_timezone(&pool, &crate::teams::member::audit_actor(&user)?, tz).await
    })
    .await
}

/// The wallet page's recent-activity chart: the last 30 days (including today, in the account's timezone),
/// spend stacked by service, deposits marked. Read on the caller's connection (the wallet page reads all
/// its sections on one: `wallet::server_fns::get_wallet_sections`).
#[cfg(feature = "ssr")]
pub async fn wallet_chart(
    conn: &mut sqlx::PgConnection,
    account_id: uuid::Uuid,
) -> Result<SpendChart, AppError> {
    let tz = db::parse_timezone(&db::account_timezone(&mut *conn, account_id).await?)?;
    let until = db::today_in(tz);
    let since = until - Duration::days(29);
    let summary = db::daily_summary(&mut *conn, account_id, (since, until), tz, None).await?;
    let deposits = db::deposits_per_day(&mut *conn, account_id, since, until, tz).await?;
    let mut chart = SpendChart::of_usage(&summary, deposits);
    chart.option = spend_option(&chart);
    Ok(chart)
}
