//! What Tollgate keeps of a real card processor (docs/ARCHITECTURE.md "Stripe"): each account's customer
//! there, and the events the processor sent. Both are written so that several servers agree: the first
//! customer kept is the account's, and an event is acted on until one handling of it has committed.

use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use uuid::Uuid;

/// The account's customer at the processor, if it has one yet.
pub async fn customer_of(pool: &PgPool, account_id: Uuid) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar!("SELECT customer_id FROM processor_customers WHERE account_id = $1", account_id)
        .fetch_optional(pool)
        .await?)
}

/// Keeps `customer_id` as the account's customer unless it has one already, and answers the one kept: two
/// servers making an account's first card at once agree on the first (the processor is asked with one
/// idempotency key per account, so both were answered the same customer anyway).
pub async fn keep_customer(pool: &PgPool, account_id: Uuid, customer_id: &str) -> Result<String, AppError> {
    sqlx::query!(
        "INSERT INTO processor_customers (account_id, customer_id) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING",
        account_id,
        customer_id
    )
    .execute(pool)
    .await?;
    customer_of(pool, account_id)
        .await?
        .ok_or_else(|| AppError::bug("a processor customer kept but not found"))
}

/// Whether a processor event must be acted on: it is stored the first time it arrives, and answers true
/// until [`mark_handled`] ran for it — so a replay of a handled event is skipped, and one whose handling
/// never finished (a crash between) is handled when it comes again. Handling must be idempotent itself:
/// two deliveries of one event at once may both handle it.
pub async fn receive_event(
    pool: &PgPool,
    event_id: &str,
    event_type: &str,
    payload: &serde_json::Value,
) -> Result<bool, AppError> {
    let inserted = sqlx::query!(
        "INSERT INTO processor_events (event_id, event_type, payload) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING",
        event_id,
        event_type,
        payload
    )
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(true);
    }
    // Stored before (or just now, by a delivery of the same event at once): read in a snapshot of its own,
    // which sees that delivery's commit.
    let handled = sqlx::query_scalar!(
        r#"SELECT handled_at IS NOT NULL AS "handled!" FROM processor_events WHERE event_id = $1"#,
        event_id
    )
    .fetch_one(pool)
    .await?;
    Ok(!handled)
}

/// The event was acted on (in the handling's own transaction, where it has one).
pub async fn mark_handled(conn: &mut PgConnection, event_id: &str) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE processor_events SET handled_at = now() WHERE event_id = $1 AND handled_at IS NULL",
        event_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Processor events older than 90 days (the processor resends an event for 3 days at most), for the
/// maintenance pass; how many.
pub async fn forget_expired(pool: &PgPool) -> Result<u64, AppError> {
    Ok(sqlx::query!(
        "DELETE FROM processor_events WHERE received_at < now() - interval '90 days' AND handled_at IS NOT NULL"
    )
    .execute(pool)
    .await?
    .rows_affected())
}
