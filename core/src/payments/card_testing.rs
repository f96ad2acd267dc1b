//! Card testing: someone with a list of stolen card numbers tries them one by one to learn which work.
//! Three limits stop it (docs/CONTRACT.md "Limits and account security"), all counted in Postgres so
//! they hold across restarts and app servers:
//! - per account: 5 processor declines within 10 minutes lock new attempts for 15 minutes. Checked under
//!   the account's row lock when a draft is claimed, counting charges still in flight on cards not yet
//!   proven good as possible declines, so N confirms fired at once at the 4th decline let at most one
//!   more reach the processor;
//! - per client IP, across accounts and the hosted checkout page: new-card tokenizations and confirms;
//! - site-wide: a burst of declines pauses new cards for everyone (saved cards still work).
//!
//! Validation errors never reach the processor or create an attempt, so they count nowhere.

use crate::audit::Channel;
use crate::client_ip::ClientIp;
use crate::throttle::{self, Limit};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use tollgate_domain::error::AppError;
use uuid::Uuid;

/// Who is paying, which decides the limits that apply.
#[derive(Clone, Copy, Debug)]
pub enum Payer {
    /// A person in a browser (the wallet page or a hosted checkout page).
    Person {
        ip: ClientIp,
        /// `TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN` (default 10).
        card_attempts_per_ip: u32,
    },
    /// An agent's spend key with "Allow adding funds" (saved cards only; its daily funding limit applies).
    Agent {
        spend_key_id: Uuid,
        /// Where the agent's request came from, and through what (`/v1` or the chat), for the audit log.
        ip: Option<ClientIp>,
        channel: Channel,
    },
}

impl Payer {
    /// Where the payer's request came from.
    pub fn ip(&self) -> Option<ClientIp> {
        match self {
            Payer::Person { ip, .. } => Some(*ip),
            Payer::Agent { ip, .. } => *ip,
        }
    }

    /// Through what the payer asked (the audit log's channel; a checkout page's attempts say so by
    /// their checkout).
    pub fn channel(&self) -> Channel {
        match self {
            Payer::Person { .. } => Channel::Dashboard,
            Payer::Agent { channel, .. } => *channel,
        }
    }
}

/// Declines of one account within 10 minutes that lock it for 15 minutes (`locked_until`).
const ACCOUNT_DECLINES: i64 = 5;

/// Site-wide declines within a minute that, once passed, pause new cards for 5 minutes.
const SITE_DECLINES_PER_MINUTE: i64 = 30;

/// Counts a new-card tokenization or a confirm from a person's address; refused over the limit.
pub async fn count_card_attempt(pool: &PgPool, payer: Payer) -> Result<(), AppError> {
    let Payer::Person { ip, card_attempts_per_ip } = payer else { return Ok(()) };
    let limit = Limit {
        bucket: "card_attempts_ip",
        max: card_attempts_per_ip,
        window: Duration::from_secs(10 * 60),
        block_for: Duration::from_secs(15 * 60),
    };
    throttle::take(pool, limit, &ip.limit_subject()).await?.or_refuse(AppError::CardAttemptsFromNetwork)
}

/// Refuses new cards for 5 minutes after more than 30 processor declines site-wide within a minute.
#[tracing::instrument(name = "card_testing::ensure_new_cards_allowed", skip(pool))]
pub async fn ensure_new_cards_allowed(pool: &PgPool) -> Result<(), AppError> {
    let tripped_at: Option<DateTime<Utc>> = sqlx::query_scalar!(
        r#"SELECT max(completed_at) AS "tripped_at: DateTime<Utc>" FROM (
             SELECT completed_at,
                    count(*) OVER (ORDER BY completed_at RANGE BETWEEN interval '1 minute' PRECEDING AND CURRENT ROW) AS in_minute
               FROM payment_attempts
              WHERE status = 'failed' AND completed_at > now() - interval '6 minutes'
         ) recent
          WHERE in_minute > $1"#,
        SITE_DECLINES_PER_MINUTE,
    )
    .fetch_one(pool)
    .await?;
    match tripped_at {
        Some(at) if at + chrono::Duration::minutes(5) > Utc::now() => Err(AppError::NewCardsPaused),
        _ => Ok(()),
    }
}

/// Until when the account is locked by its own declines, if it is (or was lately).
#[tracing::instrument(name = "card_testing::locked_until", skip(conn))]
pub async fn locked_until(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT max(d.completed_at) + interval '15 minutes' AS "until: DateTime<Utc>"
           FROM payment_attempts d
          WHERE d.account_id = $1 AND d.status = 'failed' AND d.completed_at > now() - interval '15 minutes'
            AND (SELECT count(*) FROM payment_attempts e
                  WHERE e.account_id = d.account_id AND e.status = 'failed'
                    AND e.completed_at BETWEEN d.completed_at - interval '10 minutes' AND d.completed_at) >= $2"#,
        account_id,
        ACCOUNT_DECLINES,
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// Refuses while the account is locked. A charge on a card not yet proven good (a new card, or a saved
/// one carrying a failure) is also refused while the account's recent declines plus its unproven charges
/// still in flight reach the lock's count, since each of those may yet be a decline. Call it in the
/// transaction that holds the account's row lock (`attempt_store::claim_draft`), so concurrent confirms
/// are counted one by one. Charges on a saved card that has worked are never held back: testing a card
/// that is known to work teaches an attacker nothing.
pub async fn ensure_account_unlocked(
    conn: &mut PgConnection,
    account_id: Uuid,
    card_proven: bool,
) -> Result<(), AppError> {
    if locked_until(conn, account_id).await?.is_some_and(|until| until > Utc::now()) {
        return Err(AppError::CardTestingLocked);
    }
    if card_proven {
        return Ok(());
    }
    let possible_declines: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM payment_attempts a
          WHERE a.account_id = $1
            AND ((a.status = 'failed' AND a.completed_at > now() - interval '10 minutes')
              OR (a.status = 'pending' AND a.confirmed_at > now() - interval '10 minutes'
                  AND NOT EXISTS (SELECT 1 FROM payment_methods p
                                   WHERE p.account_id = a.account_id AND p.id = a.payment_method_id AND NOT p.has_error)))"#,
        account_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    if possible_declines >= ACCOUNT_DECLINES {
        return Err(AppError::CardTestingLocked);
    }
    Ok(())
}

/// The same check outside a claim (before tokenizing a card for a draft), so a locked account gets its
/// answer at "Continue" already.
pub async fn ensure_not_locked(pool: &PgPool, account_id: Uuid) -> Result<(), AppError> {
    // Only the lock itself: whether the card is proven is decided at the claim.
    ensure_account_unlocked(&mut *pool.acquire().await?, account_id, true).await
}
