//! Reads for the wallet page. Every query is scoped by the signed-in account's id.

use super::api::{ActivityRow, AttemptRow, PaymentMethodView, ReceiptView, WalletSummary};
use super::attempt::card_label;
use super::card::Expiry;
use crate::error::AppError;
use crate::money::Usd;
use crate::utc::shown_utc;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

/// Ledger entries the wallet page lists ("Recent activity").
pub const ACTIVITY_ROWS: i64 = 10;
/// Payment attempts the wallet page lists ("Deposits and failed attempts").
pub const DEPOSIT_ROWS: i64 = 10;

/// The fingerprint's one statement (`$1` account, `$2` = `DEPOSIT_ROWS`); the bench runs the same file.
pub const PAGE_FINGERPRINT_SQL: &str = include_str!("page_fingerprint.sql");

/// What the plain wallet page (`/dashboard/wallet`) is made of, as one string that changes whenever any of
/// it does, read in one statement; plus the account's timezone (the chart's days end at local midnight).
///
/// It lists the row versions (`xmin`: PostgreSQL gives a row a new one on every update) of everything the
/// page reads: the wallet row (every ledger entry, paid call and deposit moves its balance in the same
/// transaction, so the activity list and the chart's spend and deposits follow it), the account row
/// (alert threshold, timezone), every saved card (removal is an update too) and the deposit history's rows.
/// A page rendered after reading a fingerprint shows data at least that new; equal fingerprints mean
/// nothing the page shows has changed. (The server's page cache, `server/src/page_cache.rs`.)
pub async fn page_fingerprint(pool: &PgPool, account_id: Uuid) -> Result<(String, String), AppError> {
    sqlx::query_as(PAGE_FINGERPRINT_SQL)
        .bind(account_id)
        .bind(DEPOSIT_ROWS)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// The balance and whether it is below the account's alert threshold (the wallet banner and
/// `low_balance` in the API come from here).
pub async fn summary(pool: &PgPool, account_id: Uuid) -> Result<WalletSummary, AppError> {
    let (wallet_id, balance, threshold): (Uuid, Decimal, Option<Decimal>) = sqlx::query_as(
        "SELECT w.id, w.balance, a.low_balance_threshold
           FROM wallets w JOIN accounts a ON a.id = w.account_id
          WHERE w.account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(WalletSummary {
        wallet_id,
        balance: Usd::new(balance),
        currency: "USD".into(),
        low_balance_threshold: threshold.map(Usd::new),
        low_balance: threshold.is_some_and(|t| balance < t),
    })
}

/// Sets (or with `None` clears) the low-balance alert threshold.
pub async fn set_low_balance_threshold(
    pool: &PgPool,
    account_id: Uuid,
    threshold: Option<Usd>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE accounts SET low_balance_threshold = $2 WHERE id = $1")
        .bind(account_id)
        .bind(threshold.map(Usd::amount))
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn recent_activity(
    pool: &PgPool,
    account_id: Uuid,
    limit: i64,
) -> Result<Vec<ActivityRow>, AppError> {
    let rows: Vec<(i64, DateTime<Utc>, String, Decimal, Decimal, String)> = sqlx::query_as(
        "SELECT id, created_at, kind, amount, balance_after, reference
           FROM ledger_entries
          WHERE account_id = $1
          ORDER BY created_at DESC, id DESC
          LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at, kind, amount, balance_after, reference)| ActivityRow {
            id,
            when: shown_utc(at),
            kind,
            amount: Usd::new(amount),
            balance_after: Usd::new(balance_after),
            reference,
        })
        .collect())
}

/// Saved (not removed) cards, default first. `expired` is judged against today (UTC), so a card whose
/// expiry month has passed shows as expired before anyone tries it.
pub async fn payment_methods(pool: &PgPool, account_id: Uuid) -> Result<Vec<PaymentMethodView>, AppError> {
    type Row =
        (Uuid, String, String, i32, i32, String, bool, Option<String>, Option<String>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, brand, last4, expiry_month, expiry_year, billing_postal_code, is_default, error_message,
                error_code, error_at
           FROM payment_methods
          WHERE account_id = $1 AND removed_at IS NULL
          ORDER BY is_default DESC, created_at",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    let today = Utc::now().date_naive();
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                brand,
                last4,
                month,
                year,
                postal_code,
                is_default,
                error_message,
                error_code,
                error_at,
            )| {
                let expiry = Expiry { month: month as u32, year };
                PaymentMethodView {
                    id,
                    label: card_label(&brand, &last4),
                    brand,
                    last4,
                    expiry_month: expiry.month,
                    expiry_year: expiry.year,
                    error_code,
                    error_at,
                    expiry: expiry.display(),
                    expired: expiry.has_passed(today),
                    postal_code,
                    is_default,
                    error_message,
                }
            },
        )
        .collect())
}

/// Deposits and failed attempts, newest first (drafts and in-flight attempts are not history yet).
pub async fn recent_attempts(
    pool: &PgPool,
    account_id: Uuid,
    limit: i64,
) -> Result<Vec<AttemptRow>, AppError> {
    type Row = (Uuid, DateTime<Utc>, Decimal, String, String, String, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, COALESCE(completed_at, created_at), amount, card_brand, card_last4, status, decline_message
           FROM payment_attempts
          WHERE account_id = $1 AND status IN ('succeeded', 'failed')
          ORDER BY COALESCE(completed_at, created_at) DESC
          LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at, amount, brand, last4, status, reason)| AttemptRow {
            id,
            when: shown_utc(at),
            amount: Usd::new(amount),
            card_label: card_label(&brand, &last4),
            succeeded: status == "succeeded",
            reason,
        })
        .collect())
}

/// Makes one saved card the default (and no other).
pub async fn make_default(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_saved_card(&mut tx, account_id, id).await?;
    sqlx::query("UPDATE payment_methods SET is_default = false WHERE account_id = $1 AND is_default")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE payment_methods SET is_default = true, updated_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a saved card (kept for history, never charged again). If it was the default, the oldest
/// remaining card becomes the default.
pub async fn remove(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let was_default = lock_saved_card(&mut tx, account_id, id).await?;
    sqlx::query(
        "UPDATE payment_methods SET removed_at = now(), is_default = false, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if was_default {
        sqlx::query(
            "UPDATE payment_methods SET is_default = true
              WHERE id = (SELECT id FROM payment_methods WHERE account_id = $1 AND removed_at IS NULL
                           ORDER BY created_at LIMIT 1)",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Locks a saved card of this account for the rest of the transaction and tells whether it is the
/// default. Another account's card, or a removed one, is "not found".
async fn lock_saved_card(
    conn: &mut sqlx::PgConnection,
    account_id: Uuid,
    id: Uuid,
) -> Result<bool, AppError> {
    sqlx::query_scalar(
        "SELECT is_default FROM payment_methods WHERE id = $1 AND account_id = $2 AND removed_at IS NULL FOR UPDATE",
    )
    .bind(id)
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

/// A successful deposit of this account, for its receipt.
pub async fn receipt(pool: &PgPool, account_id: Uuid, attempt_id: Uuid) -> Result<ReceiptView, AppError> {
    type Row = (Uuid, DateTime<Utc>, Decimal, String, String, Option<String>, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT a.id, a.completed_at, a.amount, a.card_brand, a.card_last4, a.processor_charge_id, u.email
           FROM payment_attempts a
           JOIN accounts ac ON ac.id = a.account_id
           JOIN memberships m ON m.account_id = a.account_id AND m.role = 'owner'
           JOIN users u ON u.id = m.user_id
          WHERE a.id = $1 AND a.account_id = $2 AND a.status = 'succeeded'
          LIMIT 1",
    )
    .bind(attempt_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    let (id, at, amount, brand, last4, charge_id, email) = row.ok_or(AppError::NotFound)?;
    Ok(ReceiptView {
        id,
        when: at.format("%B %-d, %Y at %H:%M UTC").to_string(),
        amount: Usd::new(amount),
        card_label: card_label(&brand, &last4),
        charge_id: charge_id.unwrap_or_default(),
        billed_to: email,
    })
}
