//! Rate limits kept in PostgreSQL, so they hold across every app server and restart (docs/ARCHITECTURE.md
//! "Abuse limits"). A limit lets `max` events of one subject (a client IP, an email from an IP) through
//! within `window`; the next one starts a block of `block_for`, during which every event is refused.
//!
//! Each check runs in its own short transaction under an advisory lock on (bucket, subject), so two
//! servers checking the same subject at once count one after the other: the limit is exact, not
//! approximately right under load.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;

/// The per-IP limits that are settings (docs/CONTRACT.md "Limits and account security"), so a test suite
/// that makes many card attempts from one address can raise them. The server reads them from the
/// environment and puts them into every request's context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbuseSettings {
    /// `TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN`, default 10.
    pub card_attempts_per_ip_10min: u32,
}

/// One rule: at most `max` events per `window` for one subject of `bucket`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// What is limited, e.g. `card_attempts_ip`; a subject's events in one bucket never count in another.
    pub bucket: &'static str,
    pub max: u32,
    pub window: Duration,
    /// How long a subject that went over is refused.
    pub block_for: Duration,
}

/// The answer to "may this subject do it now?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Refused { until: DateTime<Utc> },
}

/// Counts one event for `subject` if it is within the limit; refuses it (counting nothing) if the subject
/// is blocked or this event would go over, in which case the block starts now.
#[tracing::instrument(name = "throttle::take", skip(pool))]
pub async fn take(pool: &PgPool, limit: Limit, subject: &str) -> Result<Verdict, AppError> {
    let mut tx = pool.begin().await?;
    let verdict = verdict_locked(&mut tx, limit, subject).await?;
    if verdict == Verdict::Allowed {
        sqlx::query("INSERT INTO throttle_events (bucket, subject) VALUES ($1, $2)")
            .bind(limit.bucket)
            .bind(subject)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(verdict)
}

/// The verdict, under the subject's advisory lock (held until `tx` ends). Going over starts the block.
async fn verdict_locked(
    tx: &mut sqlx::PgConnection,
    limit: Limit,
    subject: &str,
) -> Result<Verdict, AppError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))")
        .bind(limit.bucket)
        .bind(subject)
        .execute(&mut *tx)
        .await?;
    let blocked: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT until FROM throttle_blocks WHERE bucket = $1 AND subject = $2 AND until > now()",
    )
    .bind(limit.bucket)
    .bind(subject)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(until) = blocked {
        return Ok(Verdict::Refused { until });
    }
    let recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM throttle_events
          WHERE bucket = $1 AND subject = $2 AND at > now() - make_interval(secs => $3)",
    )
    .bind(limit.bucket)
    .bind(subject)
    .bind(limit.window.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    if recent < i64::from(limit.max) {
        return Ok(Verdict::Allowed);
    }
    let until: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO throttle_blocks (bucket, subject, until) VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (bucket, subject) DO UPDATE SET until = excluded.until
         RETURNING until",
    )
    .bind(limit.bucket)
    .bind(subject)
    .bind(limit.block_for.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    Ok(Verdict::Refused { until })
}

/// Deletes events and blocks that can no longer refuse anything (run by the server's maintenance job).
/// No limit has a window or block longer than a day.
#[tracing::instrument(name = "throttle::purge_expired", skip(pool))]
pub async fn purge_expired(pool: &PgPool) -> Result<u64, AppError> {
    let events = sqlx::query("DELETE FROM throttle_events WHERE at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    let blocks =
        sqlx::query("DELETE FROM throttle_blocks WHERE until < now()").execute(pool).await?.rows_affected();
    Ok(events + blocks)
}
