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
    sqlx::query("SET LOCAL lock_timeout = '1s'").execute(&mut *tx).await?;
    sqlx::query("SELECT partman.run_maintenance('public.requests', p_jobmon := false)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Records past their promise, each forgotten by one statement without parameters.
const EXPIRED: &[&str] = &[
    // A key's per-minute count only matters in its minute.
    "DELETE FROM spend_key_minutes WHERE minute < now() - interval '2 minutes'",
    // Sessions the store already ended.
    "DELETE FROM user_sessions us
      WHERE NOT EXISTS (SELECT 1 FROM tower_sessions.session s WHERE s.id = us.session_id)",
    // An idempotency key is kept for 24 hours (docs/CONTRACT.md "JSON API").
    "DELETE FROM api_idempotency WHERE created_at < now() - interval '24 hours'",
    "DELETE FROM request_idempotency WHERE created_at < now() - interval '24 hours'",
    // A chat connection whose code expired unused never started (the app didn't finish): it ends, so the
    // Keys page doesn't list a connection that can never be used as active.
    "UPDATE spend_keys k SET status = 'revoked', revoked_at = now()
      WHERE k.oauth_client_id IS NOT NULL AND k.status <> 'revoked'
        AND EXISTS (SELECT 1 FROM oauth_codes c WHERE c.spend_key_id = k.id AND c.expires_at < now() AND c.used_at IS NULL)
        AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.spend_key_id = k.id)",
    // Expired OAuth codes and tokens can no longer be used (a day's grace keeps a replayed code detectable).
    "DELETE FROM oauth_codes WHERE expires_at < now() - interval '1 day'",
    "DELETE FROM oauth_tokens WHERE expires_at < now() - interval '1 day'",
    // A chat app no person connected within a day of registering never will: it is forgotten (anyone may
    // register, so unused registrations would otherwise pile up without bound).
    "DELETE FROM oauth_clients c WHERE c.created_at < now() - interval '24 hours'
        AND NOT EXISTS (SELECT 1 FROM spend_keys k WHERE k.oauth_client_id = c.client_id)",
    // An invite link that expired a week ago has said "expired" long enough; unused, it is forgotten.
    "DELETE FROM team_invitations WHERE accepted_at IS NULL AND expires_at < now() - interval '7 days'",
    // A chat top-up guard only refuses for 2 minutes (`crate::mcp::duplicate_guard`).
    "DELETE FROM chat_top_up_guards WHERE created_at < now() - interval '2 minutes'",
    // A deleted endpoint's deliveries that were still waiting are never sent.
    "UPDATE webhook_deliveries d SET state = 'failed', last_error = 'endpoint deleted'
       FROM webhook_endpoints w
      WHERE w.account_id = d.account_id AND w.id = d.endpoint_id AND w.deleted_at IS NOT NULL
        AND d.state = 'pending'",
    // Webhook events are kept 30 days for the delivery log and "Resend" (retries end after 24 h), then
    // forgotten with their deliveries.
    "DELETE FROM webhook_deliveries d USING webhook_events e
      WHERE e.account_id = d.account_id AND e.id = d.event_id AND e.created_at < now() - interval '30 days'
        AND d.state <> 'pending'",
    "DELETE FROM webhook_events e WHERE e.created_at < now() - interval '30 days'
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.account_id = e.account_id AND d.event_id = e.id)",
];

/// One pass over the database's expiring records; how many rows it forgot.
pub async fn run_once(pool: &PgPool) -> Result<u64, AppError> {
    let mut forgotten = throttle::purge_expired(pool).await?;
    forgotten += sqlx::query(
        "DELETE FROM tower_sessions.session WHERE id IN (
             SELECT session_id FROM user_sessions WHERE created_at < now() - make_interval(days => $1))",
    )
    .bind(app::auth::session::SESSION_LIFETIME.num_days() as i32)
    .execute(pool)
    .await?
    .rows_affected();
    for statement in EXPIRED {
        forgotten += sqlx::query(statement).execute(pool).await?.rows_affected();
    }
    Ok(forgotten)
}
