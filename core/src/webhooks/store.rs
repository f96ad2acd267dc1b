//! Endpoints and deliveries as the settings page manages them. Every query is scoped by the account:
//! another account's endpoint or delivery id is "not found".

use super::endpoint_url::EndpointUrl;
use crate::audit::{self, Actor, Event};
use crate::random::random_hex;
use crate::throttle::{self, Limit};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use tollgate_domain::error::AppError;
use tollgate_domain::utc::shown_utc;
use tollgate_domain::webhooks::view::{CreatedEndpoint, DeliveryView, EndpointView};
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

/// Endpoints an account may have at once.
const MAX_ENDPOINTS: i64 = 10;
/// "Resend" presses one account may make a minute (each sends a request to the endpoint at once).
const RESENDS_PER_ACCOUNT: Limit = Limit {
    bucket: "webhook_resend_account",
    max: 10,
    window: Duration::from_secs(60),
    block_for: Duration::from_secs(60),
};
/// Deliveries the page lists per endpoint.
pub const DELIVERY_LOG_ROWS: i64 = 20;

/// "Add endpoint": the URL and at least one event. Answers the signing secret, shown this once.
pub async fn add_endpoint(
    pool: &PgPool,
    actor: &Actor,
    url: &EndpointUrl,
    events: &[EventType],
) -> Result<CreatedEndpoint, AppError> {
    if events.is_empty() {
        return Err(AppError::WebhookEventsMissing);
    }
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let secret = format!("whsec_{}", random_hex(24));
    let mut tx = pool.begin().await?;
    // One at a time per account, so the count below holds.
    sqlx::query!("SELECT FROM accounts WHERE id = $1 FOR NO KEY UPDATE", actor.account_id)
        .execute(&mut *tx)
        .await?;
    let existing: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM webhook_endpoints WHERE account_id = $1 AND deleted_at IS NULL"#,
        actor.account_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if existing >= MAX_ENDPOINTS {
        return Err(AppError::WebhookEndpointsFull);
    }
    let id: Uuid = sqlx::query_scalar!(
        "INSERT INTO webhook_endpoints (account_id, url, events, secret, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        actor.account_id,
        url.as_str(),
        &names[..] as &[&str],
        secret,
        actor.user_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut tx, actor, Event::WebhookAdded { url: url.as_str() }).await?;
    tx.commit().await?;
    Ok(CreatedEndpoint { id, url: url.as_str().to_string(), secret })
}

/// "Delete": the endpoint gets nothing more (its history stays for the log's reader).
pub async fn delete_endpoint(pool: &PgPool, actor: &Actor, endpoint_id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let url: String = sqlx::query_scalar!(
        "UPDATE webhook_endpoints SET deleted_at = now()
          WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL RETURNING url",
        endpoint_id,
        actor.account_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    fail_pending(&mut tx, actor.account_id, endpoint_id, "endpoint deleted").await?;
    audit::record(&mut tx, actor, Event::WebhookDeleted { url: &url }).await?;
    tx.commit().await?;
    Ok(())
}

/// An endpoint's deliveries still waiting are never sent (it was deleted or disabled): `why` is the log's
/// last error for them.
async fn fail_pending(
    conn: &mut PgConnection,
    account_id: Uuid,
    endpoint_id: Uuid,
    why: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE webhook_deliveries SET state = 'failed', last_error = $3
          WHERE account_id = $1 AND endpoint_id = $2 AND state = 'pending'",
        account_id,
        endpoint_id,
        why,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Why an endpoint stopped when the person who added it may no longer manage webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MakerGone {
    /// Removed from the team, or left it.
    LeftTheTeam,
    /// Their role changed to one that can't manage webhooks.
    RoleChanged,
}

impl MakerGone {
    /// What the settings page shows on the endpoint.
    pub fn reason(self) -> &'static str {
        match self {
            MakerGone::LeftTheTeam => "Disabled: the person who added it left the team",
            MakerGone::RoleChanged => "Disabled: the person who added it can no longer manage webhooks",
        }
    }
}

/// In the transaction that removes or demotes `maker`: every endpoint they added to the account stops
/// (its pending deliveries fail, no new event is queued for it), so a departed Admin's server receives
/// nothing more of the team's money events. An Owner or Admin can turn each back on ([`enable_endpoint`]).
pub async fn disable_endpoints_of(
    conn: &mut PgConnection,
    actor: &Actor,
    maker: Uuid,
    why: MakerGone,
) -> Result<(), AppError> {
    let disabled = sqlx::query!(
        "UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $3
          WHERE account_id = $1 AND created_by = $2 AND deleted_at IS NULL AND disabled_at IS NULL
         RETURNING id, url",
        actor.account_id,
        maker,
        why.reason(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for endpoint in &disabled {
        fail_pending(conn, actor.account_id, endpoint.id, "endpoint disabled").await?;
        audit::record(conn, actor, Event::WebhookDisabled { url: &endpoint.url }).await?;
    }
    Ok(())
}

/// "Turn on" on an endpoint Tollgate disabled: it gets events again, and now stops with the person who
/// turned it on. Already on: nothing changes.
pub async fn enable_endpoint(pool: &PgPool, actor: &Actor, endpoint_id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let disabled: Option<bool> = sqlx::query_scalar!(
        r#"SELECT disabled_at IS NOT NULL AS "disabled!" FROM webhook_endpoints
          WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL FOR UPDATE"#,
        endpoint_id,
        actor.account_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if !disabled.ok_or(AppError::NotFound)? {
        return Ok(());
    }
    let url: String = sqlx::query_scalar!(
        "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, created_by = $3
          WHERE id = $1 AND account_id = $2 RETURNING url",
        endpoint_id,
        actor.account_id,
        actor.user_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut tx, actor, Event::WebhookEnabled { url: &url }).await?;
    tx.commit().await?;
    Ok(())
}

/// "Resend": the delivery is sent again now (same event, same id), whatever happened to it before — its
/// attempts count from zero again, and an attempt still in flight can no longer record over it. Not to a
/// disabled endpoint: it must be turned on first.
pub async fn resend(pool: &PgPool, account_id: Uuid, delivery_id: i64) -> Result<(), AppError> {
    throttle::take(pool, RESENDS_PER_ACCOUNT, &account_id.to_string())
        .await?
        .or_refuse(AppError::TooManyResends)?;
    let mut tx = pool.begin().await?;
    let endpoint_disabled: Option<bool> = sqlx::query_scalar!(
        r#"SELECT w.disabled_at IS NOT NULL AS "disabled!" FROM webhook_deliveries d
           JOIN webhook_endpoints w ON w.account_id = d.account_id AND w.id = d.endpoint_id
          WHERE d.account_id = $2 AND d.id = $1 AND w.deleted_at IS NULL"#,
        delivery_id,
        account_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if endpoint_disabled.ok_or(AppError::NotFound)? {
        return Err(AppError::WebhookEndpointDisabled);
    }
    let event: Option<String> = sqlx::query_scalar!(
        "UPDATE webhook_deliveries d
            SET state = 'pending', next_attempt_at = now(), delivered_at = NULL, lease = NULL, attempts = 0
           FROM webhook_endpoints w
          WHERE d.account_id = $2 AND d.id = $1 AND w.account_id = d.account_id AND w.id = d.endpoint_id
            AND w.deleted_at IS NULL AND w.disabled_at IS NULL
         RETURNING d.event_id",
        delivery_id,
        account_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let event = event.ok_or(AppError::NotFound)?;
    sqlx::query!("SELECT FROM pg_notify($1, $2)", super::outbox::NOTIFY_CHANNEL, event)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

struct EndpointRow {
    id: Uuid,
    url: String,
    events: Vec<String>,
    created_at: DateTime<Utc>,
    disabled_reason: Option<String>,
}

struct DeliveryRow {
    id: i64,
    endpoint_id: Uuid,
    event_id: String,
    event_type: String,
    state: String,
    attempts: i32,
    last_status: Option<i32>,
    last_error: Option<String>,
    at: DateTime<Utc>,
}

/// The account's endpoints, each with its latest deliveries.
pub async fn endpoints(pool: &PgPool, account_id: Uuid) -> Result<Vec<EndpointView>, AppError> {
    let endpoints: Vec<EndpointRow> = sqlx::query_as!(
        EndpointRow,
        r#"SELECT id, url, events, created_at AS "created_at: _", disabled_reason FROM webhook_endpoints
          WHERE account_id = $1 AND deleted_at IS NULL ORDER BY created_at"#,
        account_id,
    )
    .fetch_all(pool)
    .await?;
    let deliveries: Vec<DeliveryRow> = sqlx::query_as!(
        DeliveryRow,
        r#"SELECT d.id, d.endpoint_id, d.event_id, e.type AS event_type, d.state, d.attempts, d.last_status,
                d.last_error, COALESCE(d.last_attempt_at, e.created_at) AS "at!: _"
           FROM webhook_endpoints w
           CROSS JOIN LATERAL (SELECT * FROM webhook_deliveries d
                                WHERE d.account_id = w.account_id AND d.endpoint_id = w.id
                                ORDER BY d.id DESC LIMIT $2) d
           JOIN webhook_events e ON e.account_id = d.account_id AND e.id = d.event_id
          WHERE w.account_id = $1 AND w.deleted_at IS NULL
          ORDER BY d.id DESC"#,
        account_id,
        DELIVERY_LOG_ROWS,
    )
    .fetch_all(pool)
    .await?;
    Ok(endpoints
        .into_iter()
        .map(|endpoint| EndpointView {
            deliveries: deliveries
                .iter()
                .filter(|d| d.endpoint_id == endpoint.id)
                .map(|d| DeliveryView {
                    id: d.id,
                    event_id: d.event_id.clone(),
                    event_type: d.event_type.clone(),
                    status: match (d.state.as_str(), d.attempts) {
                        ("delivered", _) => "Delivered",
                        ("failed", _) => "Failed",
                        (_, 0) => "Pending",
                        _ => "Retrying",
                    }
                    .to_string(),
                    attempts: d.attempts,
                    response_code: d.last_status,
                    error: d.last_error.clone(),
                    when: shown_utc(d.at),
                })
                .collect(),
            id: endpoint.id,
            url: endpoint.url,
            events: endpoint.events,
            created: shown_utc(endpoint.created_at),
            disabled: endpoint.disabled_reason,
        })
        .collect())
}
