//! Monthly statements (docs/CONTRACT.md "Statements"): an account's ledger by calendar month of its own
//! timezone. The figures are sums of the ledger's entries by month and kind; a month's lines are the same
//! entries, oldest first, a page at a time. A month is the instants from its 1st's local midnight to the
//! next month's, as PostgreSQL turns them into instants (`'2026-12-01'::timestamp AT TIME ZONE tz`), so a
//! statement's lines add up to its figures. Each read is one snapshot (`REPEATABLE READ`): its figures are
//! of one moment even while calls are charged.

use super::usage::parse_timezone;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::attempt::receipt_number;
use tollgate_domain::statements::{
    csv_kind, month_statement, months, CsvLine, KindTotal, Month, MonthStatement, ServiceUsage,
};
use uuid::Uuid;

/// An account's statements, oldest month first, and the timezone they are in.
pub struct Statements {
    pub timezone: chrono_tz::Tz,
    pub months: Vec<MonthStatement>,
}

/// A read-only snapshot: every query of a statement sees the same moment.
async fn snapshot(pool: &PgPool) -> Result<Transaction<'static, Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    Ok(tx)
}

/// The account's timezone, its first month (when it opened, or its oldest entry if older), the current
/// month, and its wallet's balance.
struct AccountMonths {
    timezone: String,
    first: Month,
    current: Month,
    balance: Decimal,
}

async fn account_months(conn: &mut PgConnection, account_id: Uuid) -> Result<AccountMonths, AppError> {
    let row = sqlx::query!(
        r#"SELECT a.timezone, w.balance,
                  to_char(date_trunc('month', LEAST(a.created_at,
                          (SELECT min(created_at) FROM ledger_entries WHERE account_id = a.id))
                          AT TIME ZONE a.timezone), 'YYYY-MM') AS "first!",
                  to_char(date_trunc('month', now() AT TIME ZONE a.timezone), 'YYYY-MM') AS "current!"
             FROM accounts a JOIN wallets w ON w.account_id = a.id
            WHERE a.id = $1"#,
        account_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(AccountMonths {
        timezone: row.timezone,
        first: month(&row.first)?,
        current: month(&row.current)?,
        balance: row.balance,
    })
}

fn month(raw: &str) -> Result<Month, AppError> {
    Month::parse(raw).ok_or_else(|| AppError::bug("a month PostgreSQL wrote is not YYYY-MM"))
}

/// Every month from the account's first to the current one. Reads the account's whole ledger once (a sum per
/// month and kind) and its paid calls' services: the statements page's cost grows with the account's history
/// (docs/ARCHITECTURE.md "Statements").
#[tracing::instrument(name = "statements::of_account", skip(pool))]
pub async fn of_account(pool: &PgPool, account_id: Uuid) -> Result<Statements, AppError> {
    let mut tx = snapshot(pool).await?;
    let account = account_months(&mut tx, account_id).await?;
    let totals = sqlx::query!(
        r#"SELECT to_char(date_trunc('month', e.created_at AT TIME ZONE $2), 'YYYY-MM') AS "month!",
                  e.kind AS "kind!: EntryKind", sum(e.amount) AS "total!"
             FROM ledger_entries e
            WHERE e.account_id = $1
            GROUP BY 1, 2"#,
        account_id,
        account.timezone,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| Ok(KindTotal { month: month(&row.month)?, kind: row.kind, total: row.total }))
    .collect::<Result<Vec<_>, AppError>>()?;
    let usage = sqlx::query!(
        r#"SELECT to_char(date_trunc('month', e.created_at AT TIME ZONE $2), 'YYYY-MM') AS "month!",
                  COALESCE(s.name, 'Other') AS "service!", count(*) AS "calls!", -sum(e.amount) AS "spent!"
             FROM ledger_entries e
             LEFT JOIN requests r ON r.account_id = $1 AND r.ledger_entry_id = e.id
             LEFT JOIN services s ON s.id = r.service_id
            WHERE e.account_id = $1 AND e.kind = 'usage'
            GROUP BY 1, 2"#,
        account_id,
        account.timezone,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| {
        let usage = ServiceUsage { service: row.service, calls: row.calls, spent: Usd::new(row.spent) };
        Ok((month(&row.month)?, usage))
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    tx.commit().await?;
    Ok(Statements {
        timezone: parse_timezone(&account.timezone)?,
        months: months(account.first, account.current, &totals, &usage),
    })
}

/// One month's statement, reading only the entries since it began: its opening balance is the wallet's
/// balance less everything since (the balance is the sum of the ledger), in one snapshot. So the current
/// month costs its own entries, whatever the account's history. A month before the account's first or after
/// the current one is not found.
#[tracing::instrument(name = "statements::of_month", skip(pool))]
pub async fn of_month(
    pool: &PgPool,
    account_id: Uuid,
    month: Month,
) -> Result<(MonthStatement, chrono_tz::Tz), AppError> {
    let mut tx = snapshot(pool).await?;
    let account = account_months(&mut tx, account_id).await?;
    if month < account.first || month > account.current {
        return Err(AppError::NotFound);
    }
    let since = sqlx::query!(
        r#"WITH bounds AS (
               SELECT ($2::text || '-01')::timestamp AT TIME ZONE $3 AS from_at,
                      (($2::text || '-01')::timestamp + interval '1 month') AT TIME ZONE $3 AS to_at)
           SELECT e.created_at < b.to_at AS "this_month!", e.kind AS "kind!: EntryKind", sum(e.amount) AS "total!"
             FROM ledger_entries e, bounds b
            WHERE e.account_id = $1 AND e.created_at >= b.from_at
            GROUP BY 1, 2"#,
        account_id,
        month.to_string(),
        account.timezone,
    )
    .fetch_all(&mut *tx)
    .await?;
    let moved_since: Decimal = since.iter().map(|row| row.total).sum();
    let totals: Vec<KindTotal> = since
        .into_iter()
        .filter(|row| row.this_month)
        .map(|row| KindTotal { month, kind: row.kind, total: row.total })
        .collect();
    let usage = sqlx::query!(
        r#"WITH bounds AS (
               SELECT ($2::text || '-01')::timestamp AT TIME ZONE $3 AS from_at,
                      (($2::text || '-01')::timestamp + interval '1 month') AT TIME ZONE $3 AS to_at)
           SELECT COALESCE(s.name, 'Other') AS "service!", count(*) AS "calls!", -sum(e.amount) AS "spent!"
             FROM bounds b
             JOIN ledger_entries e
               ON e.account_id = $1 AND e.kind = 'usage' AND e.created_at >= b.from_at AND e.created_at < b.to_at
             LEFT JOIN requests r
               ON r.account_id = $1 AND r.ledger_entry_id = e.id
              AND r.created_at >= b.from_at - interval '1 day' AND r.created_at < b.to_at + interval '1 day'
             LEFT JOIN services s ON s.id = r.service_id
            GROUP BY 1"#,
        account_id,
        month.to_string(),
        account.timezone,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| ServiceUsage { service: row.service, calls: row.calls, spent: Usd::new(row.spent) })
    .collect();
    tx.commit().await?;
    let opening = account.balance - moved_since;
    let statement = month_statement(month, month == account.current, opening, &totals, usage);
    Ok((statement, parse_timezone(&account.timezone)?))
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

/// A page of the month's entries (with or without paid calls), as CSV lines. The page is picked from the
/// ledger alone, in index order, before anything is joined to it: a month of millions of calls costs each
/// page only its own rows.
async fn entries(
    pool: &PgPool,
    account_id: Uuid,
    (month, tz): (Month, chrono_tz::Tz),
    (after, balance_before, limit): (Option<After>, Decimal, i64),
    with_usage: bool,
) -> Result<(Vec<CsvLine>, Option<After>), AppError> {
    let rows = sqlx::query!(
        r#"WITH bounds AS (
               SELECT ($2::text || '-01')::timestamp AT TIME ZONE $3 AS from_at,
                      (($2::text || '-01')::timestamp + interval '1 month') AT TIME ZONE $3 AS to_at),
           page AS MATERIALIZED (
               SELECT e.id, e.created_at, e.kind, e.amount, e.reference
                 FROM ledger_entries e, bounds b
                WHERE e.account_id = $1 AND e.created_at >= b.from_at AND e.created_at < b.to_at
                  AND e.created_at >= $4 AND (e.created_at, e.id) > ($4, $5)
                  AND ($7 OR e.kind <> 'usage')
                ORDER BY e.created_at, e.id
                LIMIT $6)
           SELECT p.id AS "id!", p.created_at AS "created_at!: DateTime<Utc>", p.kind AS "kind!: EntryKind",
                  p.amount AS "amount!", p.reference AS "reference!",
                  to_char(p.created_at AT TIME ZONE $3, 'YYYY-MM-DD HH24:MI:SS') AS "local!",
                  a.receipt_number AS "receipt_number?", s.name AS "service?", r.model AS "model?",
                  adj.reason AS "reason?", g.expires_at AS "grant_expires?: DateTime<Utc>"
             FROM page p
             LEFT JOIN payment_attempts a
                    ON p.kind = 'deposit' AND a.account_id = $1 AND a.ledger_entry_id = p.id
             LEFT JOIN LATERAL (
                    SELECT r.service_id, r.model FROM requests r
                     WHERE p.kind = 'usage' AND r.account_id = $1
                       AND r.id = (CASE WHEN p.kind = 'usage' THEN p.reference END)::uuid
                       AND r.created_at >= p.created_at - interval '1 day'
                       AND r.created_at < p.created_at + interval '1 day'
                     LIMIT 1) r ON true
             LEFT JOIN services s ON s.id = r.service_id
             LEFT JOIN adjustments adj
                    ON p.kind = 'adjustment' AND adj.account_id = $1 AND adj.ledger_entry_id = p.id
             LEFT JOIN promotional_grants g
                    ON p.kind = 'promotional_grant' AND g.account_id = $1 AND g.ledger_entry_id = p.id
            ORDER BY p.created_at, p.id"#,
        account_id,
        month.to_string(),
        tz.name(),
        // From the month's start (the epoch is before any month's) or the last entry given: a bound the
        // index scan starts at, so a page deep in a big month doesn't walk the rows before it.
        after.map_or(DateTime::<Utc>::UNIX_EPOCH, |a| a.at) as DateTime<Utc>,
        after.map_or(0, |a| a.id),
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
