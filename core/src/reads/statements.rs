//! Monthly statements (docs/CONTRACT.md "Statements"): an account's ledger by calendar month of its own
//! timezone. The figures are sums of the ledger's entries, grouped in PostgreSQL by month and kind; a month's
//! lines come from the same entries, oldest first, a page at a time. Both decide an entry's month the same
//! way (`date_trunc('month', created_at AT TIME ZONE timezone)`), so a statement's lines add up to its figures.

use super::usage::{day_range, parse_timezone};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::attempt::receipt_number;
use tollgate_domain::statements::{
    csv_kind, months, CsvLine, KindTotal, Month, MonthStatement, ServiceUsage,
};
use uuid::Uuid;

/// An account's statements, oldest month first, and the timezone they are in.
pub struct Statements {
    pub timezone: chrono_tz::Tz,
    pub months: Vec<MonthStatement>,
}

impl Statements {
    /// One month's statement; a month before the account's first or after the current one is not found.
    pub fn month(self, month: Month) -> Result<MonthStatement, AppError> {
        self.months.into_iter().find(|m| m.month == month).ok_or(AppError::NotFound)
    }
}

/// Every month from the account's first (when it opened, or its oldest entry if older) to the current one.
/// Reads the account's whole ledger once (a sum per month and kind) and its paid calls' services.
#[tracing::instrument(name = "statements::of_account", skip(pool))]
pub async fn of_account(pool: &PgPool, account_id: Uuid) -> Result<Statements, AppError> {
    let account = sqlx::query!(
        r#"SELECT a.timezone,
                  to_char(date_trunc('month', LEAST(a.created_at,
                          (SELECT min(created_at) FROM ledger_entries WHERE account_id = a.id))
                          AT TIME ZONE a.timezone), 'YYYY-MM') AS "first!",
                  to_char(date_trunc('month', now() AT TIME ZONE a.timezone), 'YYYY-MM') AS "current!"
             FROM accounts a WHERE a.id = $1"#,
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let month =
        |raw: &str| Month::parse(raw).ok_or_else(|| AppError::bug("a month PostgreSQL wrote is not YYYY-MM"));
    let totals = sqlx::query!(
        r#"SELECT to_char(date_trunc('month', e.created_at AT TIME ZONE a.timezone), 'YYYY-MM') AS "month!",
                  e.kind AS "kind!: EntryKind", sum(e.amount) AS "total!"
             FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
            WHERE e.account_id = $1
            GROUP BY 1, 2"#,
        account_id,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| Ok(KindTotal { month: month(&row.month)?, kind: row.kind, total: row.total }))
    .collect::<Result<Vec<_>, AppError>>()?;
    let usage = sqlx::query!(
        r#"SELECT to_char(date_trunc('month', e.created_at AT TIME ZONE a.timezone), 'YYYY-MM') AS "month!",
                  s.name AS service, count(*) AS "calls!", -sum(e.amount) AS "spent!"
             FROM ledger_entries e
             JOIN accounts a ON a.id = e.account_id
             JOIN requests r ON r.account_id = e.account_id AND r.ledger_entry_id = e.id
             JOIN services s ON s.id = r.service_id
            WHERE e.account_id = $1 AND e.kind = 'usage' AND r.account_id = $1
            GROUP BY 1, 2"#,
        account_id,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| {
        let usage = ServiceUsage { service: row.service, calls: row.calls, spent: Usd::new(row.spent) };
        Ok((month(&row.month)?, usage))
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Statements {
        timezone: parse_timezone(&account.timezone)?,
        months: months(month(&account.first)?, month(&account.current)?, &totals, &usage),
    })
}

/// Where a month's lines continue from: the last entry given (its time and id).
#[derive(Clone, Copy, Debug)]
pub struct After {
    pub at: DateTime<Utc>,
    pub id: i64,
}

/// A page of a month's ledger entries as CSV lines, oldest first, after `after` (the month's start when
/// `None`), each with the balance after it counted on from `balance_before` (the month's opening balance,
/// then the last line's balance). Answers the lines and where the next page starts (`None`: the month is
/// done).
pub async fn month_lines(
    pool: &PgPool,
    account_id: Uuid,
    month: Month,
    tz: chrono_tz::Tz,
    after: Option<After>,
    balance_before: Decimal,
    limit: i64,
) -> Result<(Vec<CsvLine>, Option<After>), AppError> {
    entries(pool, account_id, (month, tz), (after, balance_before, limit), true).await
}

/// Most of a month's entries a PDF lists.
const MOST_MONEY_MOVES: i64 = 10_000;

/// The month's entries other than paid calls (deposits, refunds, promotional credit, adjustments,
/// disputes), oldest first, for the PDF's list. Their `balance_after` counts only them.
pub async fn money_moves(
    pool: &PgPool,
    account_id: Uuid,
    month: Month,
    tz: chrono_tz::Tz,
) -> Result<Vec<CsvLine>, AppError> {
    Ok(entries(pool, account_id, (month, tz), (None, Decimal::ZERO, MOST_MONEY_MOVES), false).await?.0)
}

/// A page of the month's entries (with or without paid calls), as CSV lines.
async fn entries(
    pool: &PgPool,
    account_id: Uuid,
    (month, tz): (Month, chrono_tz::Tz),
    (after, balance_before, limit): (Option<After>, Decimal, i64),
    with_usage: bool,
) -> Result<(Vec<CsvLine>, Option<After>), AppError> {
    let last_day = month.next().first_day() - Duration::days(1);
    let (from, to) = day_range(month.first_day(), last_day, tz);
    // Before every entry the query can find (it looks a day either side of the month, then by month).
    let after = after.unwrap_or(After { at: from - Duration::days(2), id: 0 });
    let rows = sqlx::query!(
        r#"SELECT e.id, e.created_at AS "created_at: DateTime<Utc>", e.kind AS "kind: EntryKind", e.amount,
                  e.reference,
                  to_char(e.created_at AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24:MI:SS') AS "local!",
                  p.receipt_number AS "receipt_number?", s.name AS "service?", r.model AS "model?",
                  adj.reason AS "reason?", g.expires_at AS "grant_expires?: DateTime<Utc>"
             FROM ledger_entries e
             JOIN accounts a ON a.id = e.account_id
             LEFT JOIN payment_attempts p
                    ON e.kind = 'deposit' AND p.account_id = e.account_id AND p.ledger_entry_id = e.id
             LEFT JOIN requests r
                    ON e.kind = 'usage' AND r.account_id = e.account_id
                   AND r.id = (CASE WHEN e.kind = 'usage' THEN e.reference END)::uuid
                   AND r.created_at >= $2::timestamptz - interval '1 day'
                   AND r.created_at < $3::timestamptz + interval '1 day'
             LEFT JOIN services s ON s.id = r.service_id
             LEFT JOIN adjustments adj
                    ON e.kind = 'adjustment' AND adj.account_id = e.account_id AND adj.ledger_entry_id = e.id
             LEFT JOIN promotional_grants g
                    ON e.kind = 'promotional_grant' AND g.account_id = e.account_id AND g.ledger_entry_id = e.id
            WHERE e.account_id = $1
              AND e.created_at >= $2::timestamptz - interval '1 day' AND e.created_at < $3::timestamptz + interval '1 day'
              AND to_char(date_trunc('month', e.created_at AT TIME ZONE a.timezone), 'YYYY-MM') = $4
              AND (e.created_at, e.id) > ($5, $6)
              AND ($8 OR e.kind <> 'usage')
            ORDER BY e.created_at, e.id
            LIMIT $7"#,
        account_id,
        from as DateTime<Utc>,
        to as DateTime<Utc>,
        month.to_string(),
        after.at as DateTime<Utc>,
        after.id,
        limit,
        with_usage,
    )
    .fetch_all(pool)
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|row| After { at: row.created_at, id: row.id }))
        .flatten();
    let mut balance = balance_before;
    let lines = rows
        .into_iter()
        .map(|row| {
            balance += row.amount;
            let description = match row.kind {
                EntryKind::Deposit => match row.receipt_number {
                    Some(n) => format!("Deposit, receipt {}", receipt_number(n)),
                    None => "Deposit".to_string(),
                },
                EntryKind::Usage => match (row.service, row.model) {
                    (Some(service), Some(model)) => format!("{service} {model}"),
                    _ => "Paid call".to_string(),
                },
                EntryKind::Refund if row.reference.ends_with(":returned") => {
                    "Refund refused by the bank, money returned".to_string()
                }
                EntryKind::Refund => "Refund to the card".to_string(),
                EntryKind::Adjustment => match row.reason {
                    Some(reason) => format!("Adjustment: {reason}"),
                    None => "Adjustment".to_string(),
                },
                EntryKind::PromotionalGrant => match row.grant_expires {
                    Some(at) => {
                        format!("Promotional credit (expires {})", at.with_timezone(&tz).format("%b %-d, %Y"))
                    }
                    None => "Promotional credit".to_string(),
                },
                EntryKind::PromotionalExpiry => "Promotional credit expired".to_string(),
                EntryKind::Dispute => "Card dispute opened".to_string(),
                EntryKind::DisputeWon => "Card dispute won".to_string(),
            };
            CsvLine {
                date: row.local,
                kind: csv_kind(row.kind),
                description,
                amount: Some(row.amount),
                balance_after: balance,
            }
        })
        .collect();
    Ok((lines, next))
}
