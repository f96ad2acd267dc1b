//! A grant's expiry: its unspent rest leaves the wallet by a ledger entry of its own.

use crate::ledger::{post, Posting};
use crate::webhooks::outbox;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::promotional::{share_out, GrantLeft};
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::Usd;
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

/// How many wallets one pass of [`expire_due`] takes at most (the next pass takes the rest).
const WALLETS_PER_PASS: i64 = 500;

/// A wallet's money right after its due grants expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditAfter {
    pub balance: Decimal,
    pub promotional: Decimal,
}

/// Locks the account's wallet row (the lock every change of its money takes) and answers the time, read
/// once the lock is held.
pub(super) async fn lock_wallet(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<DateTime<Utc>, AppError> {
    sqlx::query_scalar!(
        r#"SELECT clock_timestamp() AS "now!: DateTime<Utc>" FROM wallets WHERE account_id = $1 FOR UPDATE"#,
        account_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

/// For a wallet the caller's transaction holds locked: shares the promotional spending so far out over the
/// unexpired grants (soonest expiry first), then takes the unspent rest of every grant whose expiry is at
/// or before `now` out of the wallet — one "Promotional credit expired" entry and one `credit.expired`
/// event per grant with something left — and keeps the wallet's next expiry. Answers the wallet after it.
pub async fn expire_locked(
    conn: &mut PgConnection,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<CreditAfter, AppError> {
    let unspent = sqlx::query_scalar!("SELECT promotional FROM wallets WHERE account_id = $1", account_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let before: Vec<GrantLeft> = sqlx::query_as!(
        GrantLeft,
        r#"SELECT id, expires_at AS "expires_at: _", remaining FROM promotional_grants
            WHERE account_id = $1 AND expired_at IS NULL"#,
        account_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let had: Vec<(Uuid, Decimal)> = before.iter().map(|g| (g.id, g.remaining)).collect();
    let shared = share_out(before, unspent);
    let changed: Vec<&GrantLeft> =
        shared.iter().filter(|g| !had.contains(&(g.id, g.remaining)) && g.expires_at > now).collect();
    if !changed.is_empty() {
        let ids: Vec<Uuid> = changed.iter().map(|g| g.id).collect();
        let remaining: Vec<Decimal> = changed.iter().map(|g| g.remaining).collect();
        sqlx::query!(
            "UPDATE promotional_grants g SET remaining = s.remaining
               FROM unnest($2::uuid[], $3::numeric[]) AS s(id, remaining)
              WHERE g.account_id = $1 AND g.id = s.id",
            account_id,
            &ids,
            &remaining,
        )
        .execute(&mut *conn)
        .await?;
    }
    for due in shared.iter().filter(|g| g.expires_at <= now) {
        let entry_id = if due.remaining > Decimal::ZERO {
            let reference = format!("grant:{}", due.id);
            let posting = Posting {
                account_id,
                kind: EntryKind::PromotionalExpiry,
                amount: -due.remaining,
                reference: &reference,
                at: None,
            };
            Some(post(conn, posting).await?.entry_id)
        } else {
            None
        };
        sqlx::query!(
            "UPDATE promotional_grants SET remaining = 0, expired_at = $3, expired_entry_id = $4
              WHERE account_id = $1 AND id = $2",
            account_id,
            due.id,
            now as DateTime<Utc>,
            entry_id,
        )
        .execute(&mut *conn)
        .await?;
        if entry_id.is_some() {
            let data = json!({
                "grant_id": due.id,
                "amount": Usd::new(due.remaining).json_exact(),
                "expires_at": due.expires_at,
            });
            outbox::emit(&mut *conn, account_id, EventType::CreditExpired, data).await?;
        }
    }
    let after = sqlx::query_as!(
        CreditAfter,
        "UPDATE wallets SET promotional_expires_at = (
                SELECT min(expires_at) FROM promotional_grants WHERE account_id = $1 AND expired_at IS NULL)
          WHERE account_id = $1
          RETURNING balance, promotional",
        account_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(after)
}

/// Expires every grant past its expiry, wallet by wallet, each in a transaction of its own (the
/// maintenance worker's pass, for wallets no paid call has locked since). Safe on any number of servers:
/// a wallet taken by two passes at once is done by the first, and the second finds nothing due. Answers
/// how many wallets it looked at.
#[tracing::instrument(name = "credit::expire_due", skip_all)]
pub async fn expire_due(pool: &PgPool) -> Result<u64, AppError> {
    let due: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT DISTINCT account_id FROM promotional_grants
          WHERE expired_at IS NULL AND expires_at <= now() LIMIT $1",
        WALLETS_PER_PASS,
    )
    .fetch_all(pool)
    .await?;
    for account_id in &due {
        let mut tx = pool.begin().await?;
        let now = lock_wallet(&mut tx, *account_id).await?;
        expire_locked(&mut tx, *account_id, now).await?;
        tx.commit().await?;
    }
    Ok(due.len() as u64)
}
