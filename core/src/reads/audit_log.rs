//! Reading an account's audit log, newest first, a page at a time (keyset on the row id, which only grows).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tollgate_domain::audit_log::{AuditPage, AuditRow};
use tollgate_domain::error::AppError;
use tollgate_domain::utc::shown_utc;
use uuid::Uuid;

/// A row with who acted, as stored.
pub struct StoredEvent {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub email: Option<String>,
    pub key_name: Option<String>,
    pub channel: String,
    pub action: String,
    pub detail: String,
    pub ip: Option<String>,
}

impl StoredEvent {
    /// The person, and the key an agent used; "Checkout link" for whoever paid on a checkout page (no
    /// login there: the link is the permission), "Auto top-up" for the rule acting on its own, "Tollgate"
    /// for the server itself.
    pub fn who(&self) -> String {
        match (&self.email, &self.key_name) {
            (Some(email), Some(key)) => format!("{email}, key \"{key}\""),
            (Some(email), None) => email.clone(),
            (None, Some(key)) => format!("Key \"{key}\""),
            (None, None) if self.channel == "checkout" => "Checkout link".to_string(),
            (None, None) if self.channel == "auto_top_up" => "Auto top-up".to_string(),
            (None, None) => "Tollgate".to_string(),
        }
    }

    fn into_row(self) -> AuditRow {
        AuditRow {
            who: self.who(),
            id: self.id,
            at: shown_utc(self.created_at),
            action: self.action,
            detail: self.detail,
            channel: self.channel,
            ip: self.ip.unwrap_or_default(),
        }
    }
}

/// Up to `limit` events of the account older than the row `before` (newest first; `None`: from the newest).
pub async fn events(
    pool: &PgPool,
    account_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredEvent>, AppError> {
    Ok(sqlx::query_as!(
        StoredEvent,
        r#"SELECT e.id, e.created_at AS "created_at: _", u.email AS "email?", k.name AS "key_name?", e.channel,
                  e.action, e.detail, host(e.ip) AS ip
             FROM audit_events e
             LEFT JOIN users u ON u.id = e.actor_user_id
             LEFT JOIN spend_keys k ON k.id = e.actor_key_id
            WHERE e.account_id = $1 AND ($2::bigint IS NULL OR e.id < $2)
            ORDER BY e.id DESC
            LIMIT $3"#,
        account_id,
        before,
        limit,
    )
    .fetch_all(pool)
    .await?)
}

/// A page of the log for the page: `page_size` rows before `before`, and where the next page starts.
#[tracing::instrument(name = "audit::page", skip(pool))]
pub async fn page(
    pool: &PgPool,
    account_id: Uuid,
    before: Option<i64>,
    page_size: i64,
) -> Result<AuditPage, AppError> {
    let mut events = events(pool, account_id, before, page_size + 1).await?;
    let has_more = events.len() as i64 > page_size;
    events.truncate(page_size as usize);
    let older_than = if has_more { events.last().map(|e| e.id) } else { None };
    Ok(AuditPage {
        rows: events.into_iter().map(StoredEvent::into_row).collect(),
        older_than,
        is_newest: before.is_none(),
    })
}
