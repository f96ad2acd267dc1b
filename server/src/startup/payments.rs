//! The card processor, and settling the payments and refunds an earlier stop (or a lost answer) left
//! `pending` (`tollgate_core::payments::recovery`, `tollgate_core::payments::refunds`).

use super::StartupError;
use crate::config::{Config, ProcessorChoice};
use crate::sandbox_processor::SandboxProcessor;
use crate::stripe::{api::StripeApi, processor::StripeProcessor};
use sqlx::PgPool;
use std::{sync::Arc, time::Duration};
use tollgate_core::payments::processor::PaymentProcessor;
use tollgate_core::payments::{recovery, refunds};

/// The card processor `TOLLGATE_PROCESSOR` names.
pub async fn processor(pool: &PgPool, config: &Config) -> Result<Arc<dyn PaymentProcessor>, StartupError> {
    match &config.processor {
        ProcessorChoice::Sandbox => {
            let sandbox = SandboxProcessor::install(pool.clone(), config.sandbox_latency)
                .await
                .map_err(StartupError::Processor)?;
            Ok(Arc::new(sandbox))
        }
        ProcessorChoice::Stripe(settings) => {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default();
            let api = StripeApi::new(http, &settings.api_base, &settings.secret_key);
            Ok(Arc::new(StripeProcessor::new(api, settings)))
        }
    }
}

/// Start-up recovery: every attempt and refund left pending, however recent (no request of this process is
/// handling it yet), is settled before the first request.
pub async fn recover_pending(pool: &PgPool, processor: &dyn PaymentProcessor) -> Result<(), StartupError> {
    let recovered =
        recovery::recover_pending(pool, processor, Duration::ZERO).await.map_err(StartupError::Recovery)?;
    if recovered > 0 {
        tracing::warn!(recovered, "settled payment attempts left pending by an earlier stop");
    }
    let refunds =
        refunds::recover_pending(pool, processor, Duration::ZERO).await.map_err(StartupError::Recovery)?;
    if refunds > 0 {
        tracing::warn!(refunds, "finished refunds left pending by an earlier stop");
    }
    Ok(())
}
