//! The card-testing lock (docs/CONTRACT.md "Add Funds flow"): 5 processor declines within 10 minutes lock
//! new attempts for 15 minutes from the fifth. Counted from `payment_attempts` in Postgres, so it holds
//! across restarts and app servers. Validation errors never create an attempt, so they don't count.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Until when the account is locked, if it is (or was lately).
#[tracing::instrument(name = "payments::locked_until", skip(pool))]
pub async fn locked_until(pool: &PgPool, account_id: Uuid) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT max(d.completed_at) + interval '15 minutes'
           FROM payment_attempts d
          WHERE d.account_id = $1 AND d.status = 'failed' AND d.completed_at > now() - interval '15 minutes'
            AND (SELECT count(*) FROM payment_attempts e
                  WHERE e.account_id = d.account_id AND e.status = 'failed'
                    AND e.completed_at BETWEEN d.completed_at - interval '10 minutes' AND d.completed_at) >= 5",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await?)
}

/// Refuses with "Too many declined attempts…" while the account is locked.
pub async fn ensure_not_locked(pool: &PgPool, account_id: Uuid) -> Result<(), AppError> {
    match locked_until(pool, account_id).await? {
        Some(until) if until > Utc::now() => Err(AppError::CardTestingLocked),
        _ => Ok(()),
    }
}
