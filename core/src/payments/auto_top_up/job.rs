//! An auto top-up job inside other money transactions: the debit that takes the balance below the
//! threshold enqueues it ([`enqueue`]); the settlement of its attempt finishes it ([`settle`]).

use crate::audit::{self, Actor, Channel, Event};
use crate::webhooks::outbox;
use serde_json::json;
use sqlx::PgConnection;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

/// The PostgreSQL notification channel a new job is announced on at commit; every server's worker
/// listens on it (`worker::run`), so whichever is free charges at once.
pub const NOTIFY_CHANNEL: &str = "tollgate_auto_top_up";

/// Declines in a row after which the rule turns itself off.
const DECLINES_TO_TURN_OFF: i32 = 2;

/// In the caller's transaction (a debit that crossed the threshold, or the rule turned on below it): a job
/// for the wallet, unless one is open — the unique index decides, so concurrent debits make one job.
/// Returns whether this call made it.
pub async fn enqueue(conn: &mut PgConnection, account_id: Uuid) -> Result<bool, AppError> {
    let made: Option<Uuid> = sqlx::query_scalar!(
        "WITH job AS (
            INSERT INTO auto_top_up_jobs (account_id) VALUES ($1)
            ON CONFLICT (account_id) WHERE state IN ('queued', 'charging') DO NOTHING
            RETURNING id)
         SELECT job.id FROM job CROSS JOIN LATERAL (SELECT pg_notify($2, job.id::text)) AS woken",
        account_id,
        NOTIFY_CHANNEL,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(made.is_some())
}

/// How an auto top-up's attempt settled.
pub enum Settled<'a> {
    Paid,
    /// Declined (or refused by the processor) with the message the person sees.
    Declined {
        message: &'a str,
    },
}

/// In the transaction that settles attempt `attempt_id` (`add_funds::record_outcome`,
/// `add_funds::record_refusal`): if it is an auto top-up's, its job ends with it, and the rule counts the
/// decline — the second in a row turns it off with the reason for the wallet page's banner (and a row in
/// the audit log). A success resets the count. Nothing ever turns the rule back on but a person.
pub async fn settle(conn: &mut PgConnection, attempt_id: Uuid, settled: Settled<'_>) -> Result<(), AppError> {
    let state = match settled {
        Settled::Paid => "succeeded",
        Settled::Declined { .. } => "failed",
    };
    let job = sqlx::query!(
        r#"UPDATE auto_top_up_jobs j SET state = $2, finished_at = now()
             FROM payment_attempts a, wallets w
            WHERE j.attempt_id = $1 AND j.state = 'charging' AND a.account_id = j.account_id AND a.id = j.attempt_id AND w.account_id = j.account_id
           RETURNING j.account_id, a.card_brand || ' •••• ' || a.card_last4 AS "card!", a.amount, w.balance"#,
        attempt_id,
        state,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(job) = job else { return Ok(()) };
    let (account_id, card, amount, balance) = (job.account_id, job.card, job.amount, job.balance);
    let Settled::Declined { message } = settled else {
        sqlx::query!(
            "UPDATE auto_top_up_settings SET consecutive_declines = 0 WHERE account_id = $1",
            account_id,
        )
        .execute(&mut *conn)
        .await?;
        let data = json!({
            "payment_id": attempt_id,
            "amount": Usd::new(amount).json_cents(),
            "balance": Usd::new(balance).json_cents(),
        });
        return outbox::emit(conn, account_id, EventType::AutoTopUpSucceeded, data).await;
    };
    let data = json!({
        "payment_id": attempt_id,
        "amount": Usd::new(amount).json_cents(),
        "card": card,
        "message": message,
    });
    outbox::emit(conn, account_id, EventType::AutoTopUpFailed, data).await?;
    let reason = format!(
        "Auto top-up was turned off because {card} was declined: {message} Update the card, then turn auto top-up back on."
    );
    let turned_off: Option<bool> = sqlx::query_scalar!(
        r#"UPDATE auto_top_up_settings s
            SET consecutive_declines = s.consecutive_declines + 1,
                enabled = s.enabled AND s.consecutive_declines + 1 < $3,
                disabled_reason = CASE WHEN s.enabled AND s.consecutive_declines + 1 >= $3 THEN $2
                                       ELSE s.disabled_reason END,
                updated_at = now()
           FROM (SELECT enabled FROM auto_top_up_settings WHERE account_id = $1 FOR UPDATE) AS before
          WHERE s.account_id = $1
         RETURNING before.enabled AND NOT s.enabled AS "turned_off!""#,
        account_id,
        reason,
        DECLINES_TO_TURN_OFF,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if turned_off == Some(true) {
        tracing::warn!(%account_id, "auto top-up turned off after repeated declines");
        announce_turned_off(conn, &rule_itself(account_id), &reason).await?;
    }
    Ok(())
}

/// In the transaction that turned the rule off on its own (declines here, its card removed in
/// `settings::card_removed`): the audit log's row and the `auto_top_up.disabled` event, both with the
/// banner's words.
pub(super) async fn announce_turned_off(
    conn: &mut PgConnection,
    actor: &Actor,
    reason: &str,
) -> Result<(), AppError> {
    audit::record(conn, actor, Event::AutoTopUpTurnedOff { reason }).await?;
    outbox::emit(conn, actor.account_id, EventType::AutoTopUpDisabled, json!({ "reason": reason })).await
}

/// The rule acting on its own (the audit log's "Who": "Auto top-up").
pub fn rule_itself(account_id: Uuid) -> Actor {
    Actor { account_id, user_id: None, key_id: None, channel: Channel::AutoTopUp, ip: None }
}
