//! The maintenance job: every few minutes, forgets what has outlived its promise — expired sessions and
//! sessions past their 30-day lifetime,
//! idempotency keys older than 24 h (docs/CONTRACT.md "JSON API"), rate-limit events, blocks and per-key
//! minute counts that can no longer refuse anything, webhook events past their 30 days, chat apps nobody
//! connected within a day, invite links a week past their expiry — and makes the
//! coming months' partitions of `requests`. Every server runs it; each statement is idempotent, so two at
//! once do no harm.
//! A failed pass is logged and the next one runs as usual: one database hiccup never stops the job.

use sqlx::PgPool;
use std::time::Duration;
use tollgate_core::throttle;
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
            if let Err(err) = make_request_months(&pool).await {
                tracing::error!(error = %err, "making the coming months' request partitions failed; retrying next pass");
            }
            match run_once(&pool).await {
                Ok(0) => {}
                Ok(forgotten) => tracing::info!(forgotten, "maintenance pass"),
                Err(err) => tracing::error!(error = %err, "maintenance pass failed; retrying next pass"),
            }
        }
    });
}

/// Keeps `requests` partitioned three months ahead (the requests_by_month migration; docs/SCALING.md
/// "Step 2"): pg_partman's maintenance makes a month's partition when it comes within reach, and runs in
/// one server at a time (it takes an advisory lock; the others return at once). Making a partition briefly
/// locks `requests` against every other use; a lock that isn't granted within a second (a long export
/// reading the table) gives up rather than queue the meter's writes behind it, and the next pass tries
/// again, months before the partition is needed.
pub async fn make_request_months(pool: &PgPool) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET LOCAL lock_timeout = '1s'").execute(&mut *tx).await?;
    sqlx::query!("SELECT FROM partman.run_maintenance('public.requests', p_jobmon := false)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// One pass over the database's expiring records (each record past its promise, forgotten by one
/// statement); how many rows it forgot.
pub async fn run_once(pool: &PgPool) -> Result<u64, AppError> {
    let mut forgotten = throttle::purge_expired(pool).await?;
    // Checked at run time: the session store makes `tower_sessions.session` at start-up, not a migration.
    forgotten += sqlx::query(
        "DELETE FROM tower_sessions.session WHERE id IN (
             SELECT session_id FROM user_sessions WHERE created_at < now() - make_interval(days => $1))",
    )
    .bind(app::auth::session::SESSION_LIFETIME.num_days() as i32)
    .execute(pool)
    .await?
    .rows_affected();
    // Sessions the store already ended.
    forgotten += sqlx::query(
        "DELETE FROM user_sessions us
          WHERE NOT EXISTS (SELECT 1 FROM tower_sessions.session s WHERE s.id = us.session_id)",
    )
    .execute(pool)
    .await?
    .rows_affected();
    // A key's per-minute count only matters in its minute.
    forgotten += sqlx::query!("DELETE FROM spend_key_minutes WHERE minute < now() - interval '2 minutes'")
        .execute(pool)
        .await?
        .rows_affected();
    // An idempotency key is kept for 24 hours (docs/CONTRACT.md "JSON API").
    forgotten += sqlx::query!("DELETE FROM api_idempotency WHERE created_at < now() - interval '24 hours'")
        .execute(pool)
        .await?
        .rows_affected();
    forgotten +=
        sqlx::query!("DELETE FROM request_idempotency WHERE created_at < now() - interval '24 hours'")
            .execute(pool)
            .await?
            .rows_affected();
    // A chat connection whose code expired unused never started (the app didn't finish): it ends, so the
    // Keys page doesn't list a connection that can never be used as active.
    forgotten += sqlx::query!(
        "UPDATE spend_keys k SET status = 'revoked', revoked_at = now()
         WHERE k.oauth_client_id IS NOT NULL AND k.status <> 'revoked'
           AND EXISTS (SELECT 1 FROM oauth_codes c WHERE c.spend_key_id = k.id AND c.expires_at < now() AND c.used_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.spend_key_id = k.id)"
    )
    .execute(pool)
    .await?
    .rows_affected();
    // Expired OAuth codes and tokens can no longer be used (a day's grace keeps a replayed code detectable).
    forgotten += sqlx::query!("DELETE FROM oauth_codes WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    forgotten += sqlx::query!("DELETE FROM oauth_tokens WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    // A chat app no person connected within a day of registering never will: it is forgotten (anyone may
    // register, so unused registrations would otherwise pile up without bound).
    forgotten += sqlx::query!(
        "DELETE FROM oauth_clients c WHERE c.created_at < now() - interval '24 hours'
           AND NOT EXISTS (SELECT 1 FROM spend_keys k WHERE k.oauth_client_id = c.client_id)"
    )
    .execute(pool)
    .await?
    .rows_affected();
    // An invite link that expired a week ago has said "expired" long enough; unused, it is forgotten.
    forgotten += sqlx::query!(
        "DELETE FROM team_invitations WHERE accepted_at IS NULL AND expires_at < now() - interval '7 days'"
    )
    .execute(pool)
    .await?
    .rows_affected();
    // A chat top-up guard only refuses for 2 minutes (`crate::channels::mcp::duplicate_guard`).
    forgotten +=
        sqlx::query!("DELETE FROM chat_top_up_guards WHERE created_at < now() - interval '2 minutes'")
            .execute(pool)
            .await?
            .rows_affected();
    // A deleted endpoint's deliveries that were still waiting are never sent.
    forgotten += sqlx::query!(
        "UPDATE webhook_deliveries d SET state = 'failed', last_error = 'endpoint deleted'
          FROM webhook_endpoints w
         WHERE w.account_id = d.account_id AND w.id = d.endpoint_id AND w.deleted_at IS NOT NULL
           AND d.state = 'pending'"
    )
    .execute(pool)
    .await?
    .rows_affected();
    // Webhook events are kept 30 days for the delivery log and "Resend" (retries end after 24 h), then
    // forgotten with their deliveries.
    forgotten += sqlx::query!(
        "DELETE FROM webhook_deliveries d USING webhook_events e
         WHERE e.account_id = d.account_id AND e.id = d.event_id AND e.created_at < now() - interval '30 days'
           AND d.state <> 'pending'"
    )
    .execute(pool)
    .await?
    .rows_affected();
    forgotten += sqlx::query!(
        "DELETE FROM webhook_events e WHERE e.created_at < now() - interval '30 days'
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.account_id = e.account_id AND d.event_id = e.id)"
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(forgotten)
}
