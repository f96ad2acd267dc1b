//! "Download PDF" and "Download CSV" on `/dashboard/statements` (docs/CONTRACT.md "Statements"):
//! `/dashboard/statements/2026-12.pdf` and `/dashboard/statements/2026-12.csv`, for the signed-in member's
//! account. A month outside the account's (before it opened, after the current one) or a name that isn't
//! `YYYY-MM.pdf` or `YYYY-MM.csv` is "not found".
//!
//! The CSV is streamed a page of entries at a time, no connection held between pages (a month of heavy use
//! has millions of paid calls): its first line is the month's opening balance, then every entry oldest first
//! with the balance after it, and its last line the closing balance, which is the next month's opening.

use crate::channels::pages::attachment::{attachment, CSV};
use crate::channels::pages::csv_field::text;
use crate::state::AppState;
use crate::statement_pdf::{self, StatementPdf};
use axum::{
    body::{Body, Bytes},
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use tollgate_core::accounts::billing;
use tollgate_core::reads::statements::{self as statements_db, After};
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::statements::{CsvLine, Month, MonthStatement};
use tower_sessions::Session;
use uuid::Uuid;

/// Entries per page of the CSV (about 1.5 MB).
const PAGE: i64 = 10_000;
pub const HEADER: &str = "date,kind,description,amount,balance_after\n";

pub async fn download(State(state): State<AppState>, session: Session, Path(file): Path<String>) -> Response {
    let member = match app::teams::member::from_session(&state.pool, &session).await {
        Ok(Some(member)) => member,
        Ok(None) => {
            return Redirect::to(&app::auth::return_to::login_path("/dashboard/statements")).into_response()
        }
        Err(err) => return failure(err),
    };
    let (month, pdf) = match file.rsplit_once('.').and_then(|(m, ext)| Some((Month::parse(m)?, ext))) {
        Some((month, "pdf")) => (month, true),
        Some((month, "csv")) => (month, false),
        _ => return failure(AppError::NotFound),
    };
    let (statement, timezone) = match statements_db::of_month(&state.pool, member.account_id, month).await {
        Ok(found) => found,
        Err(err) => return failure(err),
    };
    if pdf {
        match pdf_file(&state, member.account_id, statement, timezone).await {
            Ok(bytes) => {
                attachment("application/pdf", &format!("tollgate-statement-{month}.pdf"), Body::from(bytes))
            }
            Err(err) => failure(err),
        }
    } else {
        let body = Body::from_stream(csv_rows(state.pool.clone(), member.account_id, statement, timezone));
        attachment(CSV, &format!("tollgate-statement-{month}.csv"), body)
    }
}

fn failure(err: AppError) -> Response {
    (err.status_code(), err.message()).into_response()
}

async fn pdf_file(
    state: &AppState,
    account_id: Uuid,
    statement: MonthStatement,
    timezone: chrono_tz::Tz,
) -> Result<Vec<u8>, AppError> {
    let billed_to = billing::made_out_to(&state.pool, account_id).await?;
    let money_moves: Vec<CsvLine> =
        statements_db::money_moves(&state.pool, account_id, statement.month, timezone).await?;
    let issued = chrono::Utc::now().with_timezone(&timezone).format("%B %-d, %Y at %H:%M").to_string();
    tokio::task::spawn_blocking(move || {
        statement_pdf::render(&StatementPdf {
            statement: &statement,
            billed_to,
            account_id: account_id.to_string(),
            timezone: timezone.name().to_string(),
            issued,
            money_moves: &money_moves,
        })
    })
    .await
    .map_err(|err| AppError::internal("rendering a statement", err))?
}

/// The opening line, the month's entries page by page, then the closing line.
fn csv_rows(
    pool: sqlx::PgPool,
    account_id: Uuid,
    statement: MonthStatement,
    tz: chrono_tz::Tz,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    use futures::StreamExt;
    let month = statement.month;
    let start = month.first_day().format("%Y-%m-%d 00:00:00").to_string();
    let opening = CsvLine {
        date: start,
        kind: "opening",
        description: format!("Opening balance, {}", month.label()),
        amount: None,
        balance_after: statement.opening.amount(),
    };
    let head = futures::stream::once(async move { Ok(Bytes::from(format!("{HEADER}{}", line(&opening)))) });
    // The state: `Some((after, balance))` while there may be more entries. The last page ends with the
    // closing line, whose balance is the last line's: the current month's lines may include entries made
    // since its figures were read, and the file must add up on its own.
    let entries = futures::stream::unfold(Some((None::<After>, statement.opening.amount())), move |state| {
        let pool = pool.clone();
        let statement = statement.clone();
        async move {
            let (after, balance) = state?;
            match statements_db::month_lines(&pool, account_id, month, tz, after, balance, PAGE).await {
                Ok((lines, next)) => {
                    let balance = lines.last().map_or(balance, |l| l.balance_after);
                    let mut chunk: String = lines.iter().map(line).collect();
                    match next {
                        Some(next) => Some((Ok(Bytes::from(chunk)), Some((Some(next), balance)))),
                        None => {
                            chunk.push_str(&line(&closing(&statement, balance, tz)));
                            Some((Ok(Bytes::from(chunk)), None))
                        }
                    }
                }
                Err(err) => Some((Err(std::io::Error::other(err.message())), None)),
            }
        }
    });
    // Fused: a body may be polled again after its end (the gzip layer does), which `unfold` doesn't allow.
    head.chain(entries).fuse()
}

/// The month's closing line with its closing `balance`: dated the end of its last day (the current month:
/// now).
fn closing(statement: &MonthStatement, balance: rust_decimal::Decimal, tz: chrono_tz::Tz) -> CsvLine {
    let last_day = statement.month.next().first_day() - chrono::Duration::days(1);
    let (label, date) = if statement.to_date {
        (
            "Closing balance to date",
            chrono::Utc::now().with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    } else {
        ("Closing balance", last_day.format("%Y-%m-%d 23:59:59").to_string())
    };
    CsvLine {
        date,
        kind: "closing",
        description: format!("{label}, {}", statement.month.label()),
        amount: None,
        balance_after: balance,
    }
}

/// One CSV line: amounts exact to their last digit; the description is text people may have typed (an
/// adjustment's reason), so it is quoted and never a formula.
pub fn line(line: &CsvLine) -> String {
    format!(
        "{},{},{},{},{}\n",
        line.date,
        line.kind,
        text(&line.description),
        line.amount.map(|a| Usd::new(a).json_exact()).unwrap_or_default(),
        Usd::new(line.balance_after).json_exact(),
    )
}
