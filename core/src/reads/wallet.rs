//! Reads for the wallet page (SSR only). Every query is scoped by the signed-in account's id. Cards and
//! deposits are read through `payments`, the balance's history through the ledger's table.

use crate::credit::{self, PromotionalCredit};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sqlx::{PgExecutor, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::wallet::{ActivityRow, PromotionalExpiring, WalletSummary};
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::Usd;
use tollgate_domain::utc::shown_utc;
use uuid::Uuid;

/// Ledger entries the wallet page lists ("Recent activity").
pub const ACTIVITY_ROWS: i64 = 10;
/// Payment attempts the wallet page lists ("Deposits and failed attempts").
pub const DEPOSIT_ROWS: i64 = 10;

/// What the plain wallet page (`/dashboard/wallet`) is made of, as one string that changes whenever any of
/// it does, read in one statement; plus the account's timezone (the chart's days end at local midnight).
///
/// It lists the row versions (`xmin`: PostgreSQL gives a row a new one on every update) of everything the
/// page reads: the wallet row (every ledger entry, paid call and deposit moves its balance in the same
/// transaction, so the activity list and the chart's spend and deposits follow it), the account row (alert
/// threshold, timezone), every saved card (removal is an update too), the auto top-up rule and the deposit
/// history's rows, and the header's list of `viewer`'s accounts (their memberships and those accounts' rows).
/// A page rendered after reading a fingerprint shows data at least that new; equal fingerprints mean nothing
/// the page shows has changed. (The server's page cache, `server/src/state/page_cache.rs`.)
#[tracing::instrument(name = "wallet::page_fingerprint", skip(pool))]
pub async fn page_fingerprint(
    pool: &PgPool,
    account_id: Uuid,
    viewer: Uuid,
) -> Result<(String, String), AppError> {
    // One statement (`$1` account, `$2` = `DEPOSIT_ROWS`, `$3` viewer); the bench runs the same file.
    let row = sqlx::query_file!("src/reads/wallet_page_fingerprint.sql", account_id, DEPOSIT_ROWS, viewer)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((row.timezone, row.fingerprint))
}

struct SummaryRow {
    wallet_id: Uuid,
    balance: Decimal,
    promotional: Decimal,
    timezone: String,
    held: Decimal,
    low_balance_threshold: Option<Decimal>,
}

/// The balance with its promotional part and what holds reserve of it, and whether it is below the
/// account's alert threshold (the wallet banner and `low_balance` in the API come from here).
#[tracing::instrument(name = "wallet::summary", skip(pool))]
pub async fn summary(pool: &PgPool, account_id: Uuid) -> Result<WalletSummary, AppError> {
    let row: SummaryRow = sqlx::query_as!(
        SummaryRow,
        r#"SELECT w.id AS wallet_id, w.balance, w.promotional, a.timezone, a.low_balance_threshold,
                  CASE WHEN w.open_holds = 0 THEN 0
                       ELSE (SELECT COALESCE(sum(h.amount), 0) FROM holds h
                              WHERE h.account_id = w.account_id AND h.status = 'held' AND h.expires_at > now())
                  END AS "held!"
           FROM wallets w JOIN accounts a ON a.id = w.account_id
          WHERE w.account_id = $1"#,
        account_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    // Only a wallet with promotional credit costs a statement more.
    let promotional = if row.promotional.is_zero() {
        PromotionalCredit::default()
    } else {
        credit::promotional_credit(pool, account_id).await?
    };
    Ok(WalletSummary {
        wallet_id: row.wallet_id,
        balance: Usd::new(row.balance),
        held: Usd::new(row.held),
        promotional: Usd::new(promotional.unspent),
        promotional_expiring: expiring(&promotional, &row.timezone),
        currency: "USD".into(),
        low_balance_threshold: row.low_balance_threshold.map(Usd::new),
        low_balance: row.low_balance_threshold.is_some_and(|t| row.balance < t),
        funding_refused: None,
    })
}

/// How long before its expiry the wallet page warns of a grant's.
const EXPIRY_WARNING_DAYS: i64 = 7;

/// What is left of each grant, with its expiry's date in the account's timezone.
fn expiring(promotional: &PromotionalCredit, timezone: &str) -> Vec<PromotionalExpiring> {
    let tz = timezone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC);
    let warn_from = Utc::now() + Duration::days(EXPIRY_WARNING_DAYS);
    promotional
        .left
        .iter()
        .map(|g| PromotionalExpiring {
            amount: Usd::new(g.remaining),
            expires_at: g.expires_at,
            expires_on: g.expires_at.with_timezone(&tz).format("%b %-d, %Y").to_string(),
            expires_soon: g.expires_at <= warn_from,
        })
        .collect()
}

struct EntryRow {
    id: i64,
    created_at: DateTime<Utc>,
    kind: EntryKind,
    amount: Decimal,
    balance_after: Decimal,
    reference: String,
}

/// The latest ledger entries, newest first.
#[tracing::instrument(name = "wallet::recent_activity", skip(db))]
pub async fn recent_activity(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    limit: i64,
) -> Result<Vec<ActivityRow>, AppError> {
    let rows: Vec<EntryRow> = sqlx::query_as!(
        EntryRow,
        r#"SELECT id, created_at AS "created_at: _", kind AS "kind: EntryKind", amount, balance_after, reference
           FROM ledger_entries
          WHERE account_id = $1
          ORDER BY created_at DESC, id DESC
          LIMIT $2"#,
        account_id,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ActivityRow {
            id: row.id,
            when: shown_utc(row.created_at),
            kind: row.kind,
            amount: Usd::new(row.amount),
            balance_after: Usd::new(row.balance_after),
            reference: row.reference,
        })
        .collect())
}
