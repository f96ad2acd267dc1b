//! Settling payments and refunds whose processor answer was lost while this server kept running (the
//! start-up recovery finishes those an earlier stop left: `crate::startup::payments`). Any server may settle
//! any of them: settling one is a locked, once-only transaction (`tollgate_core::payments::recovery`,
//! `tollgate_core::payments::refunds`).

use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tollgate_core::payments::processor::PaymentProcessor;
use tollgate_core::payments::{recovery, refunds};

/// Every 30 s, settles attempts and refunds pending for over a minute (an answer lost while this server
/// kept running), so nobody waits for a restart to see their deposit or refund.
pub fn spawn(pool: PgPool, processor: Arc<dyn PaymentProcessor>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.tick().await;
        loop {
            tick.tick().await;
            match recovery::recover_pending(&pool, &*processor, Duration::from_secs(60)).await {
                Ok(0) => {}
                Ok(settled) => tracing::warn!(settled, "sweeper settled pending payment attempts"),
                Err(err) => tracing::warn!(code = err.code(), "pending-payment sweep failed"),
            }
            match refunds::recover_pending(&pool, &*processor, Duration::from_secs(60)).await {
                Ok(0) => {}
                Ok(finished) => tracing::warn!(finished, "sweeper finished pending refunds"),
                Err(err) => tracing::warn!(code = err.code(), "pending-refund sweep failed"),
            }
        }
    });
}
