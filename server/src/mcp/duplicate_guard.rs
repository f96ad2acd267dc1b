//! "A retried tool call never charges twice", for chat apps that send no idempotency key: the same amount
//! from the same connection (spend key) within 2 minutes is held for the person's confirmation instead of
//! charged (docs/CONTRACT.md "Chat (MCP)"). The guard is a row taken by one upsert that only succeeds when
//! the previous top-up of that amount is older than 2 minutes, so two identical calls arriving together
//! cannot both pass — across servers too.

use app::error::AppError;
use app::money::Usd;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Whose top-up the guard is: one connection of one account, one amount.
pub struct TopUp {
    pub account_id: Uuid,
    pub spend_key_id: Uuid,
    pub amount: Usd,
}

pub enum Guard {
    /// This top-up may go ahead (it now holds the guard).
    Taken,
    /// The same amount was topped up (or is being) at this time, less than 2 minutes ago.
    HeldSince(DateTime<Utc>),
}

/// Takes the guard for `top_up`, charged under `idempotency_key`. `confirmed`: the person said yes to a
/// duplicate, so a recent one doesn't hold it back.
pub async fn take(
    pool: &PgPool,
    top_up: &TopUp,
    idempotency_key: &str,
    confirmed: bool,
) -> Result<Guard, AppError> {
    // A guard released between the upsert and the read is simply taken on the next turn.
    for _ in 0..3 {
        let taken: Option<bool> = sqlx::query_scalar(
            "INSERT INTO chat_top_up_guards AS g (account_id, spend_key_id, amount, idempotency_key)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, spend_key_id, amount)
             DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key, created_at = now()
              WHERE $5 OR g.created_at <= now() - interval '2 minutes'
             RETURNING true",
        )
        .bind(top_up.account_id)
        .bind(top_up.spend_key_id)
        .bind(top_up.amount.amount())
        .bind(idempotency_key)
        .bind(confirmed)
        .fetch_optional(pool)
        .await?;
        if taken.is_some() {
            return Ok(Guard::Taken);
        }
        let held_since: Option<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT created_at FROM chat_top_up_guards
              WHERE account_id = $1 AND spend_key_id = $2 AND amount = $3",
        )
        .bind(top_up.account_id)
        .bind(top_up.spend_key_id)
        .bind(top_up.amount.amount())
        .fetch_optional(pool)
        .await?;
        if let Some(at) = held_since {
            return Ok(Guard::HeldSince(at));
        }
    }
    Err(AppError::Busy)
}

/// Gives the guard back when the top-up charged nothing (declined, a checkout link, refused before the
/// charge): asking again is then not a duplicate. Only the guard this top-up took is released.
pub async fn release(pool: &PgPool, top_up: &TopUp, idempotency_key: &str) {
    let released = sqlx::query(
        "DELETE FROM chat_top_up_guards
          WHERE account_id = $1 AND spend_key_id = $2 AND amount = $3 AND idempotency_key = $4",
    )
    .bind(top_up.account_id)
    .bind(top_up.spend_key_id)
    .bind(top_up.amount.amount())
    .bind(idempotency_key)
    .execute(pool)
    .await;
    if let Err(err) = released {
        // The guard then simply expires after 2 minutes.
        tracing::warn!(error = %err, "chat top-up guard not released");
    }
}
