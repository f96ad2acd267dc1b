//! Start-up, in order, each step in its own file: connect and migrate (`database`), the card processor and
//! the recovery of payments an earlier stop left half-done (`payments`), the demo account (`demo_seed`,
//! development only), and sessions (`sessions`). It starts the workers (`crate::workers`). `main.rs` runs
//! it, then serves the router.

pub mod database;
pub mod demo_seed;
pub mod payments;
pub mod sessions;

use crate::config::{Config, ProcessorChoice};
use crate::workers::webhook_sender::SenderSettings;
use sqlx::PgPool;
use std::sync::Arc;
use tollgate_core::payments::processor::PaymentProcessor;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to PostgreSQL at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("session store set-up failed: {0}")]
    Sessions(String),
    #[error("demo seed failed: {0}")]
    Seed(tollgate_domain::error::AppError),
    #[error("payment processor set-up failed: {0}")]
    Processor(sqlx::Error),
    #[error("recovering pending payments failed: {0}")]
    Recovery(tollgate_domain::error::AppError),
}

/// Everything money needs before the first request: the processor, start-up recovery of payments left
/// between "charged" and "credited", the periodic sweep that settles later ones, the auto top-up worker,
/// the expiry of promotional credit, the webhook sender, then (development only) the demo account.
pub async fn prepare_payments(
    pool: &PgPool,
    config: &Config,
) -> Result<Arc<dyn PaymentProcessor>, StartupError> {
    let processor = payments::processor(pool, config).await?;
    payments::recover_pending(pool, &*processor).await?;
    crate::workers::sweeper::spawn(pool.clone(), processor.clone());
    crate::workers::promotional_expiry::spawn(pool.clone());
    tollgate_core::payments::auto_top_up::worker::spawn(pool.clone(), processor.clone());
    let webhooks = SenderSettings {
        // Loopback endpoints only when asked for, and only with the sandbox (development and tests).
        allow_loopback: config.webhook_allow_loopback && matches!(config.processor, ProcessorChoice::Sandbox),
        timeout: config.webhook_timeout,
        first_retry: config.webhook_first_retry,
    };
    crate::workers::webhook_sender::spawn(pool.clone(), webhooks);
    if config.seed_demo {
        demo_seed::seed_demo_account(pool, &*processor).await.map_err(StartupError::Seed)?;
    }
    Ok(processor)
}
