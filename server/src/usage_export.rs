//! "Export CSV" on `/dashboard/usage`: the selected days (in the account's timezone) as one CSV, streamed
//! so a year of heavy use (a million calls) never sits in memory. Every row has the same columns; `kind`
//! says what it is:
//! - `day`: one service's completed calls and spend on one local day (the daily summary);
//! - `total`: the range's completed calls and spend (the page's and `/v1/usage`'s totals);
//! - `request`: one call with its cost breakdown, newest first (the request list).
//!
//! Calls are read in pages of `PAGE` by the same keyset query as the request list, so no connection is
//! held for the whole download.

use crate::state::AppState;
use app::error::AppError;
use app::metering::call::CallRecord;
use app::usage::db::{self as usage_db, RequestFilter};
use app::usage::report::UsageSummary;
use axum::{
    body::{Body, Bytes},
    extract::{Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use chrono::NaiveDate;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

const PAGE: i64 = 5_000;
pub const HEADER: &str = "kind,date,request_id,created_at,service,model,status,input_tokens,output_tokens,requests,cost_input,cost_output,cost_fee,cost_total\n";

pub async fn export_csv(
    State(state): State<AppState>,
    session: Session,
    Query(range): Query<ExportRange>,
) -> Response {
    let user = match app::teams::member::from_session(&state.pool, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Redirect::to(&app::auth::return_to::login_path("/dashboard/usage")).into_response()
        }
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, err.message()).into_response(),
    };
    match prepare(&state, user.account_id, &range).await {
        Ok((summary, tz, since, until, member)) => {
            let filename = format!("tollgate-usage-{since}-to-{until}.csv");
            let (from, to) = usage_db::day_range(since, until, tz);
            let filter = RequestFilter { since: Some(from), until: Some(to), member, ..Default::default() };
            let body = Body::from_stream(rows(state.pool.clone(), user.account_id, filter, tz, summary));
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
                ],
                body,
            )
                .into_response()
        }
        Err(err) => Redirect::to(&format!("/dashboard/usage?error={}", err.code())).into_response(),
    }
}

/// The days to export: the usage page's "Since" and "Until" (YYYY-MM-DD; missing: the last 7 days).
#[derive(Deserialize)]
pub struct ExportRange {
    since: Option<String>,
    until: Option<String>,
    /// The usage page's "Member" (a user id; empty: everyone).
    member: Option<String>,
}

async fn prepare(
    state: &AppState,
    account_id: Uuid,
    range: &ExportRange,
) -> Result<(UsageSummary, chrono_tz::Tz, NaiveDate, NaiveDate, Option<Uuid>), AppError> {
    let tz = usage_db::parse_timezone(&usage_db::account_timezone(&state.pool, account_id).await?)?;
    let (since, until) = usage_db::selected_days(range.since.as_deref(), range.until.as_deref(), tz)?;
    let who = range.member.as_deref().filter(|m| !m.is_empty());
    let member = usage_db::usage_member(&state.pool, account_id, who).await?;
    let summary = usage_db::daily_summary(&state.pool, account_id, (since, until), tz, member).await?;
    Ok((summary, tz, since, until, member))
}

/// The summary rows, then the calls page by page.
fn rows(
    pool: sqlx::PgPool,
    account_id: Uuid,
    filter: RequestFilter,
    tz: chrono_tz::Tz,
    summary: UsageSummary,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let mut head = String::from(HEADER);
    for day in &summary.items {
        for s in &day.services {
            head.push_str(&format!(
                "day,{},,,{},,,,,{},,,,{}\n",
                day.date,
                field(&s.service),
                s.requests,
                cost(s.cost)
            ));
        }
    }
    head.push_str(&format!("total,,,,,,,,,{},,,,{}\n", summary.totals.requests, cost(summary.totals.cost)));
    let first = futures::stream::once(async move { Ok(Bytes::from(head)) });
    let calls = futures::stream::unfold(Some(None::<String>), move |cursor| {
        let (pool, filter) = (pool.clone(), filter.clone());
        async move {
            let cursor = cursor?;
            match usage_db::requests_page(&pool, account_id, &filter, PAGE, cursor.as_deref()).await {
                Ok(page) => {
                    let mut chunk = String::with_capacity(page.data.len() * 160);
                    for call in &page.data {
                        chunk.push_str(&request_row(call, tz));
                    }
                    let next = page.next_cursor.map(Some);
                    Some((Ok(Bytes::from(chunk)), next))
                }
                Err(err) => Some((Err(std::io::Error::other(err.message())), None)),
            }
        }
    });
    // Fused: a body may be polled again after its end (the gzip layer does), which `unfold` doesn't allow.
    futures::StreamExt::fuse(futures::StreamExt::chain(first, calls))
}

pub fn request_row(call: &CallRecord, tz: chrono_tz::Tz) -> String {
    format!(
        "request,{},{},{},{},{},{},{},{},,{},{},{},{}\n",
        call.created_at.with_timezone(&tz).date_naive(),
        call.request_id,
        call.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        field(&call.service),
        field(&call.model),
        call.status.as_str(),
        call.input_tokens,
        call.output_tokens,
        cost(call.cost.input),
        cost(call.cost.output),
        cost(call.cost.fee),
        cost(call.cost.total),
    )
}

fn cost(amount: app::money::Usd) -> String {
    amount.amount().normalize().to_string()
}

/// RFC 4180 quoting for a field that could hold a comma, quote or line break (ids can't, by their CHECKs;
/// this keeps the file valid if that ever changes).
fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}
