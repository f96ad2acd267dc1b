//! The maintenance job: every few minutes, forgets what has outlived its promise — expired sessions and
//! sessions past their 30-day lifetime,
//! idempotency keys older than 24 h (docs/CONTRACT.md "JSON API"), rate-limit events, blocks and per-key
//! minute counts that can no longer refuse anything, webhook events past their 30 days, chat apps nobody
//! connected within a day, invite links a week past their expiry, holds past theirs (marked expired) — and
//! makes the
//! coming months' partitions of `requests`. Every server runs it; each statement is idempotent, so two at
//! once do no harm.
//! A failed pass is logged and the next one runs as usual: one database hiccup never stops the job.

use sqlx::PgPool;
use std::time::Duration;
use tollgate_core::accounts::sessions;
use tollgate_core::keys::db as keys_db;
use tollgate_core::metering::{self, holds, partitions};
use tollgate_core::oauth::store as oauth_store;
use tollgate_core::payments::{agent_funding, chat_top_up_guard, processor_records};
use tollgate_core::teams::store as teams_store;
use tollgate_core::throttle;
use tollgate_core::webhooks::outbox;
use tollgate_domain::error::AppError;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions_sqlx_store::PostgresStore;

const EVERY: Duration = Duration::from_secs(300);

pub fn spawn(pool: PgPool, sessions: PostgresStore) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            if let Err(err) = sessions.delete_expired().await {
                tracing::error!(error = %err, "deleting expired sessions failed; retrying next pass");
            }
            if let Err(err) = partitions::make_coming_months(&pool).await {
                tracing::warn!(
                    code = err.code(),
                    "making the coming months' request partitions failed; retrying next pass"
                );
            }
            match run_once(&pool).await {
                Ok(0) => {}
                Ok(forgotten) => tracing::info!(forgotten, "maintenance pass"),
                Err(err) => tracing::warn!(code = err.code(), "maintenance pass failed; retrying next pass"),
            }
        }
    });
}

/// One pass over the database's expiring records, each forgotten by the storage that owns it; how many
/// rows it forgot.
pub async fn run_once(pool: &PgPool) -> Result<u64, AppError> {
    Ok(throttle::purge_expired(pool).await?
        + sessions::forget_ended(pool).await?
        + keys_db::forget_expired(pool).await?
        + metering::forget_expired_keys(pool).await?
        + holds::expire_due(pool).await?
        + agent_funding::forget_expired_keys(pool).await?
        + oauth_store::forget_expired(pool).await?
        + teams_store::forget_expired_invites(pool).await?
        + chat_top_up_guard::forget_expired(pool).await?
        + outbox::forget_expired(pool).await?
        + processor_records::forget_expired(pool).await?)
}
