//! Reads for the wallet page. Every query is scoped by the signed-in account's id.

use super::api::{ActivityRow, WalletSummary};
use crate::error::AppError;
use crate::money::Usd;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

pub async fn summary(pool: &PgPool, account_id: Uuid) -> Result<WalletSummary, AppError> {
    let balance: Decimal = sqlx::query_scalar("SELECT balance FROM wallets WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(WalletSummary { balance: Usd::new(balance), currency: "USD".into() })
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
            // Formatted here, in UTC, so the server and the browser render the same text (hydration).
            when: at.format("%b %-d, %Y %H:%M UTC").to_string(),
            kind,
            amount: Usd::new(amount),
            balance_after: Usd::new(balance_after),
            reference,
        })
        .collect())
}
