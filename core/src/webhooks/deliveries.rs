//! Webhook deliveries as the sender works through them (docs/ARCHITECTURE.md "Webhooks"): leased a few at
//! a time by any server, then marked delivered or scheduled for their next attempt — only while the lease
//! is still the sender's own, so an attempt that outlived its lease records nothing.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

/// A delivery leased to one attempt, with its event and endpoint.
pub struct Leased {
    pub id: i64,
    pub lease: Uuid,
    pub endpoint_id: Uuid,
    pub attempts: i32,
    pub event_id: String,
    pub event_type: String,
    pub data: String,
    pub account_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub url: String,
    pub secret: String,
}

/// Requests to one account's endpoints in flight at once, across every server: one account's slow
/// endpoints hold at most this many of the delivery slots, never everyone's.
const IN_FLIGHT_PER_ACCOUNT: i64 = 2;

/// Up to `room` due deliveries, at most one per endpoint, none for an endpoint in `busy` (this server has
/// a request to it in flight), and none that would put an account over [`IN_FLIGHT_PER_ACCOUNT`] (counting
/// the leases every server holds), leased to this attempt for `lease_for` (the request's timeout and a margin). Leasing is one short transaction that servers
/// take one at a time (an advisory lock), so two servers can't both fill an account's last slot.
pub async fn lease(
    pool: &PgPool,
    lease_for: Duration,
    room: usize,
    busy: &HashSet<Uuid>,
) -> Result<Vec<Leased>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT FROM pg_advisory_xact_lock(hashtext('tollgate_webhook_lease'))")
        .execute(&mut *tx)
        .await?;
    let leased = sqlx::query_as!(
        Leased,
        r#"WITH candidates AS (
            SELECT DISTINCT ON (d.endpoint_id) d.account_id, d.id, d.next_attempt_at
              FROM webhook_deliveries d
              JOIN webhook_endpoints w ON w.account_id = d.account_id AND w.id = d.endpoint_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND w.deleted_at IS NULL
               AND w.disabled_at IS NULL AND NOT (d.endpoint_id = ANY($3))
             ORDER BY d.endpoint_id, d.next_attempt_at),
         ranked AS (
            SELECT c.account_id, c.id, c.next_attempt_at,
                   row_number() OVER (PARTITION BY c.account_id ORDER BY c.next_attempt_at) AS n
              FROM candidates c),
         busy_accounts AS (
            SELECT f.account_id, count(*) AS in_flight FROM webhook_deliveries f
             WHERE f.state = 'pending' AND f.lease IS NOT NULL AND f.next_attempt_at > now()
               AND f.account_id IN (SELECT account_id FROM ranked)
             GROUP BY f.account_id),
         due AS (
            SELECT account_id, id FROM webhook_deliveries
             WHERE (account_id, id) IN (
                    SELECT r.account_id, r.id FROM ranked r LEFT JOIN busy_accounts b ON b.account_id = r.account_id
                     WHERE r.n + COALESCE(b.in_flight, 0) <= $4)
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d
            SET next_attempt_at = now() + make_interval(secs => $2), attempts = d.attempts + 1,
                last_attempt_at = now(), lease = gen_random_uuid()
           FROM due, webhook_events e, webhook_endpoints w
          WHERE d.account_id = due.account_id AND d.id = due.id
            AND e.account_id = d.account_id AND e.id = d.event_id
            AND w.account_id = d.account_id AND w.id = d.endpoint_id
         RETURNING d.id, d.lease AS "lease!", d.endpoint_id, d.attempts, e.id AS event_id, e.type AS event_type,
                   e.data::text AS "data!", e.account_id, e.created_at AS "created_at: _", w.url, w.secret"#,
        room as i64,
        lease_for.as_secs_f64(),
        &busy.iter().copied().collect::<Vec<Uuid>>()[..],
        IN_FLIGHT_PER_ACCOUNT,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(leased)
}

/// The endpoint answered 2xx: delivered, with its status.
pub async fn mark_delivered(
    pool: &PgPool,
    delivery: &Leased,
    status: Option<i32>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), last_status = $2,
                last_error = NULL, lease = NULL
          WHERE account_id = $4 AND id = $1 AND lease = $3",
        delivery.id,
        status,
        delivery.lease,
        delivery.account_id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The attempt failed: tried again at `next`, or `failed` for good when `gave_up`.
pub async fn mark_failed_attempt(
    pool: &PgPool,
    delivery: &Leased,
    status: Option<i32>,
    error: Option<&str>,
    next: DateTime<Utc>,
    gave_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE webhook_deliveries
            SET state = CASE WHEN $5 THEN 'failed' ELSE state END, next_attempt_at = $2, last_status = $3,
                last_error = $4, lease = NULL
          WHERE account_id = $7 AND id = $1 AND lease = $6",
        delivery.id,
        next as DateTime<Utc>,
        status,
        error,
        gave_up,
        delivery.lease,
        delivery.account_id,
    )
    .execute(pool)
    .await?;
    Ok(())
}
