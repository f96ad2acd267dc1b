//! Expiring promotional credit (docs/CONTRACT.md "Promotional credit") in wallets nobody spends from: a
//! paid call takes a grant past its expiry out of its wallet itself, before it spends; this worker does it
//! for the others within a minute, so their balance, statements and the `credit.expired` event follow the
//! expiry even when the wallet is idle. Every server runs it; a wallet is expired under its row lock, once.

use sqlx::PgPool;
use std::time::Duration;
use tollgate_core::credit;

const EVERY: Duration = Duration::from_secs(30);

pub fn spawn(pool: PgPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            match credit::expire_due(&pool).await {
                Ok(0) => {}
                Ok(wallets) => tracing::info!(wallets, "promotional credit expired"),
                Err(err) => tracing::warn!(
                    code = err.code(),
                    "expiring promotional credit failed; retrying next pass"
                ),
            }
        }
    });
}
