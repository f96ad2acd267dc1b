//! Rate limits kept in PostgreSQL, so they hold across every app server and restart (docs/ARCHITECTURE.md
//! "Abuse limits"). A limit lets `max` events of one subject (a client IP, an email from an IP) through
//! within `window`; the next one starts a block of `block_for`, during which every event is refused.
//!
//! Each check runs in its own short transaction under an advisory lock on (bucket, subject), so two
//! servers checking the same subject at once count one after the other: the limit is exact, not
//! approximately right under load.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;
use tollgate_domain::error::AppError;

/// The per-IP limits that are settings (docs/CONTRACT.md "Limits and account security"), so a test suite
/// that makes many card attempts from one address can raise them. The server reads them from the
/// environment and puts them into every request's context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbuseSettings {
    /// `TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN`, default 10.
    pub card_attempts_per_ip_10min: u32,
    /// `TOLLGATE_SIGNUPS_PER_IP_HOUR`, default 10.
    pub signups_per_ip_hour: u32,
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

impl Verdict {
    /// `Ok` when allowed, else `refusal` (for limits whose message doesn't say how long to wait).
    pub fn or_refuse(self, refusal: AppError) -> Result<(), AppError> {
        match self {
            Verdict::Allowed => Ok(()),
            Verdict::Refused { .. } => Err(refusal),
        }
    }

    /// Whole minutes until a refused subject may try again, rounded up (at least 1), for "Try again in N
    /// minutes."; 0 when allowed.
    pub fn minutes_left(self, now: DateTime<Utc>) -> u32 {
        match self {
            Verdict::Allowed => 0,
            Verdict::Refused { until } => {
                let seconds = (until - now).num_seconds().max(1);
                u32::try_from((seconds + 59) / 60).unwrap_or(u32::MAX)
            }
        }
    }
}

/// Counts one event for `subject` if it is within the limit; refuses it (counting nothing) if the subject
/// is blocked or this event would go over, in which case the block starts now.
#[tracing::instrument(name = "throttle::take", skip(pool))]
pub async fn take(pool: &PgPool, limit: Limit, subject: &str) -> Result<Verdict, AppError> {
    let mut tx = pool.begin().await?;
    let verdict = verdict_locked(&mut tx, limit, subject).await?;
    if verdict == Verdict::Allowed {
        sqlx::query!("INSERT INTO throttle_events (bucket, subject) VALUES ($1, $2)", limit.bucket, subject)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(verdict)
}

/// Takes back one counted event of `subject`: for attempts counted as failures before their outcome was
/// known (a login, so that attempts fired at once can't all slip past the count) that turned out fine.
#[tracing::instrument(name = "throttle::give_back", skip(pool))]
pub async fn give_back(pool: &PgPool, limit: Limit, subject: &str) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM throttle_events WHERE ctid = (
             SELECT ctid FROM throttle_events WHERE bucket = $1 AND subject = $2 ORDER BY at DESC LIMIT 1)",
        limit.bucket,
        subject,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The end of the subject's block, if one is running.
async fn active_block(
    tx: &mut sqlx::PgConnection,
    limit: Limit,
    subject: &str,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT until AS "until: DateTime<Utc>" FROM throttle_blocks WHERE bucket = $1 AND subject = $2 AND until > now()"#,
        limit.bucket,
        subject,
    )
    .fetch_optional(&mut *tx)
    .await?)
}

/// Serializes every check of one (bucket, subject) across servers until the transaction ends.
async fn lock_subject(tx: &mut sqlx::PgConnection, limit: Limit, subject: &str) -> Result<(), AppError> {
    sqlx::query!(
        "SELECT FROM pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))",
        limit.bucket,
        subject,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn recent_events(tx: &mut sqlx::PgConnection, limit: Limit, subject: &str) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM throttle_events
            WHERE bucket = $1 AND subject = $2 AND at > now() - make_interval(secs => $3)"#,
        limit.bucket,
        subject,
        limit.window.as_secs_f64(),
    )
    .fetch_one(&mut *tx)
    .await?)
}

async fn start_block(
    tx: &mut sqlx::PgConnection,
    limit: Limit,
    subject: &str,
) -> Result<DateTime<Utc>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO throttle_blocks (bucket, subject, until) VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (bucket, subject) DO UPDATE SET until = excluded.until
         RETURNING until AS "until: DateTime<Utc>""#,
        limit.bucket,
        subject,
        limit.block_for.as_secs_f64(),
    )
    .fetch_one(&mut *tx)
    .await?)
}

/// The verdict, under the subject's advisory lock (held until `tx` ends). Going over starts the block.
async fn verdict_locked(
    tx: &mut sqlx::PgConnection,
    limit: Limit,
    subject: &str,
) -> Result<Verdict, AppError> {
    lock_subject(tx, limit, subject).await?;
    if let Some(until) = active_block(&mut *tx, limit, subject).await? {
        return Ok(Verdict::Refused { until });
    }
    if recent_events(tx, limit, subject).await? < i64::from(limit.max) {
        return Ok(Verdict::Allowed);
    }
    Ok(Verdict::Refused { until: start_block(tx, limit, subject).await? })
}

/// Deletes events and blocks that can no longer refuse anything (run by the server's maintenance job).
/// No limit has a window or block longer than a day.
#[tracing::instrument(name = "throttle::purge_expired", skip(pool))]
pub async fn purge_expired(pool: &PgPool) -> Result<u64, AppError> {
    let events = sqlx::query!("DELETE FROM throttle_events WHERE at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    let blocks =
        sqlx::query!("DELETE FROM throttle_blocks WHERE until < now()",).execute(pool).await?.rows_affected();
    Ok(events + blocks)
}
