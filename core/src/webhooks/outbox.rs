//! Writing events into the outbox, in the transaction of the change they report.

use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

/// The PostgreSQL notification channel a new event is announced on at commit (every server's sender
/// listens).
pub const NOTIFY_CHANNEL: &str = "tollgate_webhooks";

/// In the caller's transaction: the event and one delivery per endpoint of the account subscribed to
/// `event` (and not disabled) — or nothing at all when none is (most accounts have no endpoint: one indexed read). The
/// event's id (`evt_…`) is made here; every delivery and retry of it carries the same id.
pub async fn emit(
    conn: &mut PgConnection,
    account_id: Uuid,
    event: EventType,
    data: serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query!(
        "WITH targets AS (
            SELECT id FROM webhook_endpoints
             WHERE account_id = $2 AND deleted_at IS NULL AND disabled_at IS NULL AND $3 = ANY(events)),
         event AS (
            INSERT INTO webhook_events (id, account_id, type, data)
            SELECT $1, $2, $3, $4::jsonb WHERE EXISTS (SELECT 1 FROM targets)
            RETURNING id),
         deliveries AS (
            INSERT INTO webhook_deliveries (account_id, event_id, endpoint_id)
            SELECT $2, event.id, targets.id FROM event, targets)
         SELECT FROM event CROSS JOIN LATERAL (SELECT pg_notify($5, event.id)) AS woken",
        format!("evt_{}", Uuid::new_v4().simple()),
        account_id,
        event.as_str(),
        data,
        NOTIFY_CHANNEL,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The maintenance pass's share of the outbox; how many rows. A deleted endpoint's deliveries that were
/// still waiting are never sent; events are kept 30 days for the delivery log and "Resend" (retries end
/// after 24 h), then forgotten with their deliveries.
pub async fn forget_expired(pool: &PgPool) -> Result<u64, AppError> {
    let orphaned = sqlx::query!(
        "UPDATE webhook_deliveries d SET state = 'failed', last_error = 'endpoint deleted'
          FROM webhook_endpoints w
         WHERE w.account_id = d.account_id AND w.id = d.endpoint_id AND w.deleted_at IS NOT NULL
           AND d.state = 'pending'"
    )
    .execute(pool)
    .await?
    .rows_affected();
    let deliveries = sqlx::query!(
        "DELETE FROM webhook_deliveries d USING webhook_events e
         WHERE e.account_id = d.account_id AND e.id = d.event_id AND e.created_at < now() - interval '30 days'
           AND d.state <> 'pending'"
    )
    .execute(pool)
    .await?
    .rows_affected();
    let events = sqlx::query!(
        "DELETE FROM webhook_events e WHERE e.created_at < now() - interval '30 days'
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.account_id = e.account_id AND d.event_id = e.id)"
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(orphaned + deliveries + events)
}
