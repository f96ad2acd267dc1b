//! Recovery: settling attempts left `pending` — by a crash between "charged" and "credited", or by a charge
//! whose answer never came. Run once at start-up and then periodically (`server/src/startup/payments.rs`).

use super::add_funds::{presence_of, record_refusal, settle, ChargedCard, AUTHENTICATION_WAIT};
use super::processor::{ChargeOutcome, PaymentProcessor};
use crate::audit::Channel;
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::time::Duration;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use uuid::Uuid;

struct PendingAttempt {
    id: Uuid,
    idempotency_key: String,
    processor_token: String,
    amount: Decimal,
    channel: Option<Channel>,
    /// Set while the charge waits for the person to answer their bank.
    waiting_charge: Option<String>,
    forget_card_after: bool,
    /// The charge has waited for the person longer than [`AUTHENTICATION_WAIT`].
    waited_enough: bool,
}

/// Settles the attempts pending since at least `confirmed_before` ago (start-up uses zero; the periodic
/// sweep leaves recent ones to the request still handling them). A charge whose id is known (it waits for
/// the person or for the processor) is asked for (`payment_state`); one waiting for the person to answer
/// their bank is left for [`AUTHENTICATION_WAIT`], then stopped at the processor (declined as
/// `authentication_required`, or credited if they completed it meanwhile). The processor is asked by idempotency
/// key; a charge it never saw is made now with the same key (the person had confirmed it). Each attempt is
/// credited exactly once, however often and wherever this runs. An attempt the processor can't answer for
/// now stays pending for the next pass; one it refuses for good is settled as failed. A failure with one
/// attempt (even the database's) is logged and the pass goes on with the next. Returns how many were
/// settled.
#[tracing::instrument(name = "payments::recover_pending", skip(pool, processor))]
pub async fn recover_pending(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    confirmed_before: Duration,
) -> Result<usize, AppError> {
    let pending: Vec<PendingAttempt> = sqlx::query_as!(
        PendingAttempt,
        r#"SELECT id, idempotency_key, processor_token, amount, channel AS "channel: Channel",
                  processor_charge_id AS waiting_charge,
                  payment_method_id IS NULL AND NOT save_card AS "forget_card_after!",
                  confirmed_at <= now() - make_interval(secs => $2) AS "waited_enough!"
             FROM payment_attempts
            WHERE status = 'pending' AND confirmed_at <= now() - make_interval(secs => $1)
            ORDER BY confirmed_at"#,
        confirmed_before.as_secs_f64(),
        AUTHENTICATION_WAIT.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?;
    let mut settled = 0;
    for attempt in pending {
        let key = &attempt.idempotency_key;
        let outcome = match &attempt.waiting_charge {
            // A charge whose id is known is asked for; one still waiting for the person is given up on
            // once they had time to answer their bank.
            Some(charge_id) => match processor.payment_state(charge_id).await {
                Ok(ChargeOutcome::NeedsAuthentication { .. }) if !attempt.waited_enough => continue,
                Ok(ChargeOutcome::NeedsAuthentication { .. }) => processor.stop_waiting(charge_id).await,
                other => other,
            },
            // The same presence as the first charge: a processor compares a repeated charge's parameters.
            None => match processor.find_charge(key).await {
                Ok(Some(outcome)) => Ok(outcome),
                Ok(None) => {
                    let presence = presence_of(attempt.channel);
                    processor.charge(&attempt.processor_token, Usd::new(attempt.amount), key, presence).await
                }
                Err(err) => Err(err),
            },
        };
        let recorded = match outcome {
            // A charge still waiting (for the person, or for the processor) is kept and asked for next pass.
            Ok(outcome) => {
                let card =
                    ChargedCard { token: &attempt.processor_token, forget_after: attempt.forget_card_after };
                settle(pool, processor, attempt.id, card, outcome).await.map(|settled| settled.recorded)
            }
            Err(err) if err.is_permanent() => {
                tracing::error!(attempt_id = %attempt.id, error = %err, "the processor refused a pending charge for good");
                record_refusal(pool, attempt.id, &err).await
            }
            Err(err) => {
                tracing::warn!(attempt_id = %attempt.id, error = %err, "pending attempt not settled yet; next pass retries");
                continue;
            }
        };
        match recorded {
            Ok(true) => {
                settled += 1;
                tracing::info!(attempt_id = %attempt.id, "recovered a pending payment attempt");
            }
            Ok(false) => {}
            Err(err) => {
                tracing::error!(attempt_id = %attempt.id, error = %err, "settling a pending attempt failed; next pass retries")
            }
        }
    }
    Ok(settled)
}
