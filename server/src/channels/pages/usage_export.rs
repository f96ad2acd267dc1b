//! "Export CSV" on `/dashboard/usage`: the selected days (in the account's timezone) as one CSV, streamed
//! so a year of heavy use (a million calls) never sits in memory. Every row has the same columns; `kind`
//! says what it is:
//! - `day`: one service's completed calls and spend on one local day (the daily summary);
//! - `total`: the range's completed calls and spend (the page's and `/v1/usage`'s totals);
//! - `request`: one call with its cost breakdown and how it came (`via`: `api` or `gateway`), newest first
//!   (the request list).
//!
//! The calls are written by PostgreSQL itself (`COPY … TO STDOUT (FORMAT csv)`): formatting a million rows in
//! Rust ran at a quarter of `psql \copy`'s speed (docs/BENCHMARKS.md "P7"). They go in pages of `PAGE` calls,
//! newest first: a cheap index read finds where a page ends, and the page's COPY is read whole before any of
//! it is sent (the next pages are read meanwhile, two at once). So memory stays flat, and no connection is
//! ever held while the person's download waits: a download that stalls (or a client that stops reading) must
//! not keep a connection from everyone else.

use crate::channels::pages::attachment::{attachment, CSV};
use crate::channels::pages::csv_field::field;
use crate::state::AppState;
use axum::{
    body::{Body, Bytes},
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::NaiveDate;
use serde::Deserialize;
use tollgate_core::reads::usage as usage_db;
use tollgate_core::reads::usage_export::{Calls, Position};
use tollgate_domain::error::AppError;
use tollgate_domain::metering::report::UsageSummary;
use tower_sessions::Session;
use uuid::Uuid;

/// Calls per page (about 3 MB of CSV; at most `PAGES_AT_ONCE` + 1 pages are in memory: those being read and
/// the one being sent).
const PAGE: i64 = 20_000;
/// Pages read at once, each on its own connection (two: one per core of a small machine).
const PAGES_AT_ONCE: usize = 2;
pub const HEADER: &str = "kind,date,request_id,created_at,service,model,status,input_tokens,output_tokens,requests,cost_input,cost_output,cost_fee,cost_total,via\n";

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
            let calls = Calls { account_id: user.account_id, from, to, tz, member };
            let body = Body::from_stream(rows(state.pool.clone(), calls, summary));
            attachment(CSV, &filename, body)
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

/// The summary rows, then the calls page by page, newest first.
fn rows(
    pool: sqlx::PgPool,
    calls: Calls,
    summary: UsageSummary,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    use futures::StreamExt;
    let mut head = String::from(HEADER);
    for day in &summary.items {
        for s in &day.services {
            head.push_str(&format!(
                "day,{},,,{},,,,,{},,,,{},\n",
                day.date,
                field(&s.service),
                s.requests,
                cost(s.cost)
            ));
        }
    }
    head.push_str(&format!("total,,,,,,,,,{},,,,{},\n", summary.totals.requests, cost(summary.totals.cost)));
    let first = futures::stream::once(async move { Ok(Bytes::from(head)) });
    // Pages are read `PAGES_AT_ONCE` at a time, each COPY on its own connection: PostgreSQL formats a page
    // on each core while this process sends the one before (docs/BENCHMARKS.md "P7"). Where each page ends
    // is found first, one after the other, by a cheap index read; the pages keep their order.
    let pages = page_bounds(pool.clone(), calls.clone())
        .map(move |bounds| match bounds {
            Ok((after, end)) => futures::future::Either::Left(PageCopy::start(&pool, &calls, after, end)),
            Err(err) => futures::future::Either::Right(futures::future::ready(Err(err))),
        })
        .buffered(PAGES_AT_ONCE)
        // The first failure ends the file (a body that fails is cut off; nothing after it is sent).
        .scan(false, |failed, page| {
            if *failed {
                return futures::future::ready(None);
            }
            *failed = page.is_err();
            futures::future::ready(Some(page.map_err(PageError::into_io)))
        });
    // Fused: a body may be polled again after its end (the gzip layer does), which `scan` doesn't allow.
    first.chain(pages).fuse()
}

/// Where each page starts and ends, in order: `(None, Some(p))` is the first page, `(Some(p), None)` the
/// last; one index read per page.
fn page_bounds(
    pool: sqlx::PgPool,
    calls: Calls,
) -> impl futures::Stream<Item = Result<(Option<Position>, Option<Position>), PageError>> {
    // The state is the next page's start; `None` once the last page was given.
    futures::stream::unfold(Some(None), move |next: Option<Option<Position>>| {
        let (pool, calls) = (pool.clone(), calls.clone());
        async move {
            let after = next?;
            // In its own task, like the pages: this future waits whenever the download does, and it must
            // not hold a connection meanwhile (a few milliseconds' read; it ends on its own).
            let end = tokio::spawn(async move { calls.page_end(&pool, after, PAGE).await });
            match end.await {
                Ok(Ok(end)) => Some((Ok((after, end)), end.map(Some))),
                Ok(Err(err)) => Some((Err(PageError::Query(err)), None)),
                Err(err) => Some((Err(PageError::Task(err)), None)),
            }
        }
    })
}

/// A page's COPY running in its own task; dropping it (the download ended or was closed) stops it.
struct PageCopy(tokio::task::JoinHandle<Result<Bytes, sqlx::Error>>);

impl PageCopy {
    fn start(pool: &sqlx::PgPool, calls: &Calls, after: Option<Position>, end: Option<Position>) -> PageCopy {
        let (pool, calls) = (pool.clone(), calls.clone());
        PageCopy(tokio::spawn(async move { Ok(Bytes::from(calls.copy_page(&pool, after, end).await?)) }))
    }
}

impl std::future::Future for PageCopy {
    type Output = Result<Bytes, PageError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(Ok(csv)) => Ok(csv),
            Ok(Err(err)) => Err(PageError::Query(err)),
            Err(err) => Err(PageError::Task(err)),
        })
    }
}

impl Drop for PageCopy {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why a page could not be read: its statement failed, or its task did.
enum PageError {
    Query(sqlx::Error),
    Task(tokio::task::JoinError),
}

impl PageError {
    /// The download gets the same message a page would show; the cause is logged with the error.
    fn into_io(self) -> std::io::Error {
        match self {
            PageError::Query(err) => std::io::Error::other(AppError::from(err).message()),
            PageError::Task(err) => {
                std::io::Error::other(AppError::internal("the usage export's page task", err).message())
            }
        }
    }
}

fn cost(amount: tollgate_domain::money::Usd) -> String {
    amount.amount().normalize().to_string()
}
