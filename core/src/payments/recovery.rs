//! Recovery: settling attempts left `pending` — by a crash between "charged" and "credited", or by a charge
//! whose answer never came. Run once at start-up and then periodically (`server/src/startup/payments.rs`).

use super::add_funds::{record_outcome, record_refusal};
use super::processor::PaymentProcessor;
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
}

/// Settles the attempts pending since at least `confirmed_before` ago (start-up uses zero; the periodic
/// sweep leaves recent ones to the request still handling them). The processor is asked by idempotency
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
        "SELECT id, idempotency_key, processor_token, amount FROM payment_attempts
          WHERE status = 'pending' AND confirmed_at <= now() - make_interval(secs => $1)
          ORDER BY confirmed_at",
        confirmed_before.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?;
    let mut settled = 0;
    for attempt in pending {
        let key = &attempt.idempotency_key;
        let outcome = match processor.find_charge(key).await {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => processor.charge(&attempt.processor_token, Usd::new(attempt.amount), key).await,
            Err(err) => Err(err),
        };
        let recorded = match outcome {
            Ok(outcome) => record_outcome(pool, attempt.id, &outcome).await,
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
