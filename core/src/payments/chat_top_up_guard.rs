//! "A retried tool call never charges twice", for chat apps that send no idempotency key: the same amount
//! from the same connection (spend key) within 2 minutes of the last is held for the person's confirmation
//! instead of charged (docs/CONTRACT.md "Chat (MCP)"). Each top-up leaves a row; taking the guard reads the
//! recent rows and adds one under a transaction-scoped advisory lock per connection and amount, so two
//! identical calls arriving together cannot both pass — across servers too.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use uuid::Uuid;

/// How the idempotency key of a confirmed repeat starts (then the confirmation's id).
const CONFIRMED_PREFIX: &str = "chat-confirm-";

/// Whose top-up the guard is: one connection of one account, one amount.
pub struct TopUp {
    pub account_id: Uuid,
    pub spend_key_id: Uuid,
    pub amount: Usd,
}

/// What the caller said about a recent identical top-up.
#[derive(Clone, Copy)]
pub enum Confirmation {
    /// Nothing: a recent identical top-up holds this one back.
    None,
    /// `confirm_duplicate: true` alone: go ahead under a fresh key (a retry of this call can't be told from
    /// a third top-up, so the answer's `confirmation_id` is the safer way).
    Confirmed,
    /// `confirm_duplicate: true` with the `confirmation_id` it was asked with: charged under
    /// `chat-confirm-<id>`, so the same confirmation retried is the same top-up.
    Of(Uuid),
}

pub enum Guard {
    /// This top-up may go ahead, charged under this idempotency key.
    Taken { idempotency_key: String },
    /// The same amount was topped up (or is being) at `at`, less than 2 minutes ago.
    HeldSince { at: DateTime<Utc>, confirmation_id: Uuid },
}

/// Takes the guard for `top_up`.
pub async fn take(pool: &PgPool, top_up: &TopUp, confirmation: Confirmation) -> Result<Guard, AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "SELECT FROM pg_advisory_xact_lock(hashtextextended($1::uuid::text || ':' || $2::numeric::text, 0))",
        top_up.spend_key_id,
        top_up.amount.amount(),
    )
    .execute(&mut *tx)
    .await?;
    let recent: Option<(DateTime<Utc>, Uuid)> = sqlx::query!(
        r#"SELECT created_at AS "created_at: DateTime<Utc>", confirmation_id FROM chat_top_up_guards
            WHERE account_id = $1 AND spend_key_id = $2 AND amount = $3 AND created_at > now() - interval '2 minutes'
            ORDER BY created_at DESC LIMIT 1"#,
        top_up.account_id,
        top_up.spend_key_id,
        top_up.amount.amount(),
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| (row.created_at, row.confirmation_id));
    let confirmed_id = match confirmation {
        Confirmation::Of(id) => known_confirmation(&mut tx, top_up, id).await?,
        _ => None,
    };
    let idempotency_key = match (recent, confirmation, confirmed_id) {
        (_, Confirmation::Of(_), Some(id)) => format!("{CONFIRMED_PREFIX}{id}"),
        (Some((at, confirmation_id)), Confirmation::None | Confirmation::Of(_), None) => {
            return Ok(Guard::HeldSince { at, confirmation_id })
        }
        _ => format!("chat-{}", Uuid::new_v4()),
    };
    sqlx::query!(
        "INSERT INTO chat_top_up_guards (account_id, spend_key_id, amount, idempotency_key)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        top_up.account_id,
        top_up.spend_key_id,
        top_up.amount.amount(),
        idempotency_key,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Guard::Taken { idempotency_key })
}

/// `id`, if it is a confirmation this connection was asked for this amount (a made-up id confirms nothing).
async fn known_confirmation(
    tx: &mut sqlx::PgConnection,
    top_up: &TopUp,
    id: Uuid,
) -> Result<Option<Uuid>, AppError> {
    let known: Option<bool> = sqlx::query_scalar!(
        r#"SELECT true AS "known!" FROM chat_top_up_guards
            WHERE account_id = $1 AND spend_key_id = $2 AND amount = $3 AND confirmation_id = $4"#,
        top_up.account_id,
        top_up.spend_key_id,
        top_up.amount.amount(),
        id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(known.map(|_| id))
}

/// Gives the guard back when the top-up charged nothing (declined, a checkout link, refused before the
/// charge): asking again is then not a duplicate. Only this top-up's own row goes. A confirmed repeat that
/// charged nothing also retires the confirmation it used, so confirming again (after fixing the card) is a
/// new top-up rather than a replay of that answer.
pub async fn release(pool: &PgPool, top_up: &TopUp, idempotency_key: &str) {
    let released = sqlx::query!(
        "DELETE FROM chat_top_up_guards WHERE account_id = $1 AND spend_key_id = $2 AND idempotency_key = $3",
        top_up.account_id,
        top_up.spend_key_id,
        idempotency_key,
    )
    .execute(pool)
    .await;
    let confirmed = idempotency_key.strip_prefix(CONFIRMED_PREFIX).and_then(|id| Uuid::parse_str(id).ok());
    let retired = match (released, confirmed) {
        (Ok(_), Some(id)) => {
            sqlx::query!(
                "UPDATE chat_top_up_guards SET confirmation_id = gen_random_uuid()
              WHERE account_id = $1 AND spend_key_id = $2 AND confirmation_id = $3",
                top_up.account_id,
                top_up.spend_key_id,
                id,
            )
            .execute(pool)
            .await
        }
        (result, _) => result,
    };
    if let Err(err) = retired {
        // The row then simply stops counting after 2 minutes.
        tracing::warn!(error = %err, "chat top-up guard not released");
    }
}

/// Forgets guards older than the 2 minutes they refuse for (the maintenance pass); how many.
pub async fn forget_expired(pool: &PgPool) -> Result<u64, AppError> {
    Ok(sqlx::query!("DELETE FROM chat_top_up_guards WHERE created_at < now() - interval '2 minutes'")
        .execute(pool)
        .await?
        .rows_affected())
}
