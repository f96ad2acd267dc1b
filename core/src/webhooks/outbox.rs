//! Writing events into the outbox, in the transaction of the change they report.

use sqlx::PgConnection;
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
