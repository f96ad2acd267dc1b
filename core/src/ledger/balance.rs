//! Reading a balance, and checking the ledger's invariant.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use uuid::Uuid;

/// The account's balance as it stands (committed).
#[tracing::instrument(name = "ledger::balance_of", skip(pool))]
pub async fn balance_of(pool: &PgPool, account_id: Uuid) -> Result<Usd, AppError> {
    let balance: Decimal =
        sqlx::query_scalar!("SELECT balance FROM wallets WHERE account_id = $1", account_id,)
            .fetch_optional(pool)
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(Usd::new(balance))
}

/// Locks the account's wallet row — the lock every change of its money takes, and which a batch of paid
/// calls takes too — and answers its paid credit (`balance - promotional`): what a refund or a debiting
/// adjustment is checked against. `NotFound` without a wallet.
pub async fn lock_paid_credit(conn: &mut PgConnection, account_id: Uuid) -> Result<Decimal, AppError> {
    sqlx::query_scalar!(
        r#"SELECT balance - promotional AS "paid!" FROM wallets WHERE account_id = $1 FOR UPDATE"#,
        account_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound)
}

/// [`lock_paid_credit`] for a page: as committed, without the lock (a change checks again under it).
pub async fn paid_credit(conn: &mut PgConnection, account_id: Uuid) -> Result<Decimal, AppError> {
    sqlx::query_scalar!(
        r#"SELECT balance - promotional AS "paid!" FROM wallets WHERE account_id = $1"#,
        account_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound)
}

/// The invariant, checkable in one query: the cached balance and the sum of the ledger, per wallet.
#[tracing::instrument(name = "ledger::balance_and_ledger_sum", skip(conn))]
pub async fn balance_and_ledger_sum(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<(Decimal, Decimal), AppError> {
    let row = sqlx::query!(
        r#"SELECT w.balance,
                  COALESCE((SELECT SUM(amount) FROM ledger_entries e WHERE e.account_id = w.account_id), 0)
                    AS "ledger_sum!"
             FROM wallets w WHERE w.account_id = $1"#,
        account_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.balance, row.ledger_sum))
}
