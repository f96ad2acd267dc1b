//! Spend keys in Postgres: create (the secret leaves only in the answer), list, pause/resume/revoke, and
//! authenticate a presented secret. Every query is scoped by account.

use super::secret;
use super::spec::{CreatedKey, KeySettings, KeyStatus, LimitPeriod, SpendKeyView, SpendLimit};
use crate::error::AppError;
use crate::money::Usd;
use crate::utc::shown_utc;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

/// A presented secret that matched a key, with what the key may do.
#[derive(Clone, Debug)]
pub struct AuthenticatedKey {
    pub key_id: Uuid,
    pub account_id: Uuid,
    pub allowed_services: Option<Vec<String>>,
    pub allow_funding: bool,
}

impl AuthenticatedKey {
    pub fn may_call(&self, service: &str) -> bool {
        self.allowed_services.as_ref().is_none_or(|allowed| allowed.iter().any(|s| s == service))
    }
}

/// The key a bearer secret names. Unknown, paused and revoked keys are refused with their own message.
pub async fn authenticate(pool: &PgPool, presented: &str) -> Result<AuthenticatedKey, AppError> {
    if !presented.starts_with(secret::PREFIX) || presented.len() > 128 {
        return Err(AppError::UnknownSpendKey);
    }
    type Row = (Uuid, Uuid, String, Option<Vec<String>>, bool);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, account_id, status, allowed_services, allow_funding FROM spend_keys WHERE secret_sha256 = $1",
    )
    .bind(&secret::sha256(presented)[..])
    .fetch_optional(pool)
    .await?;
    let (key_id, account_id, status, allowed_services, allow_funding) =
        row.ok_or(AppError::UnknownSpendKey)?;
    if let Some(refusal) = KeyStatus::parse(&status).ok_or(AppError::Internal)?.refusal() {
        return Err(refusal);
    }
    Ok(AuthenticatedKey { key_id, account_id, allowed_services, allow_funding })
}

/// Creates a key; the answer carries the secret, which is stored nowhere (only its SHA-256).
pub async fn create(pool: &PgPool, account_id: Uuid, settings: &KeySettings) -> Result<CreatedKey, AppError> {
    if let Some(services) = &settings.allowed_services {
        let known: i64 = sqlx::query_scalar("SELECT count(*) FROM services WHERE id = ANY($1)")
            .bind(services)
            .fetch_one(pool)
            .await?;
        if known != services.len() as i64 {
            return Err(AppError::UnknownService);
        }
    }
    let new = secret::generate();
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO spend_keys
            (account_id, name, secret_sha256, display_prefix, limit_amount, limit_period, allowed_services,
             allow_funding)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id",
    )
    .bind(account_id)
    .bind(settings.name.as_str())
    .bind(&new.sha256[..])
    .bind(&new.display_prefix)
    .bind(settings.limit.map(|l| l.amount.amount()))
    .bind(settings.limit.map(|l| l.period.as_str()))
    .bind(&settings.allowed_services)
    .bind(settings.allow_funding)
    .fetch_one(pool)
    .await?;
    let key = keys_of(pool, account_id, Some(id)).await?.pop().ok_or(AppError::Internal)?;
    Ok(CreatedKey { key, secret: new.secret })
}

type KeyRow = (
    Uuid,
    String,
    String,
    String,
    Option<Decimal>,
    Option<String>,
    Option<Vec<String>>,
    bool,
    Option<DateTime<Utc>>,
    Decimal,
    Decimal,
    i64,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

/// The account's keys, newest first; revoked keys last.
pub async fn list(pool: &PgPool, account_id: Uuid) -> Result<Vec<SpendKeyView>, AppError> {
    keys_of(pool, account_id, None).await
}

/// The account's keys (`only`: just that one).
async fn keys_of(pool: &PgPool, account_id: Uuid, only: Option<Uuid>) -> Result<Vec<SpendKeyView>, AppError> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT k.id, k.name, k.display_prefix, k.status, k.limit_amount, k.limit_period,
                (SELECT array_agg(s.name ORDER BY s.name) FROM services s WHERE s.id = ANY(k.allowed_services)),
                k.allow_funding, k.cycle_start, k.cycle_spend, k.total_spend, k.request_count, k.last_used_at,
                k.created_at
           FROM spend_keys k
          WHERE k.account_id = $1 AND ($2::uuid IS NULL OR k.id = $2)
          ORDER BY k.status = 'revoked', k.created_at DESC",
    )
    .bind(account_id)
    .bind(only)
    .fetch_all(pool)
    .await?;
    let now = Utc::now();
    rows.into_iter().map(|row| key_view(row, now)).collect()
}

fn key_view(row: KeyRow, now: DateTime<Utc>) -> Result<SpendKeyView, AppError> {
    let (
        id,
        name,
        prefix,
        status,
        limit_amount,
        limit_period,
        services,
        allow_funding,
        cycle_start,
        cycle_spend,
    ) = (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9);
    let (total_spend, requests, last_used, created) = (row.10, row.11, row.12, row.13);
    let limit = match (limit_amount, limit_period.as_deref().and_then(LimitPeriod::parse)) {
        (Some(amount), Some(period)) => Some(SpendLimit { amount: Usd::new(amount), period }),
        _ => None,
    };
    // The stored cycle spend belongs to the cycle it started in; in a newer cycle nothing is spent yet.
    let current_cycle = limit.and_then(|l| l.period.cycle_start(now));
    let cycle_spend = if cycle_start == current_cycle { cycle_spend } else { Decimal::ZERO };
    Ok(SpendKeyView {
        id,
        name,
        prefix,
        status: KeyStatus::parse(&status).ok_or(AppError::Internal)?,
        limit,
        allowed_services: services,
        allow_funding,
        cycle_spend: Usd::new(cycle_spend),
        total_spend: Usd::new(total_spend),
        requests,
        last_used: last_used.map(shown_utc),
        created: shown_utc(created),
    })
}

/// "Pause", "Resume" and "Revoke".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChange {
    Pause,
    Resume,
    Revoke,
}

/// Changes a key's state. Pressing a button twice is harmless; a revoked key stays revoked.
pub async fn change_status(
    pool: &PgPool,
    account_id: Uuid,
    key_id: Uuid,
    change: StatusChange,
) -> Result<(), AppError> {
    let current: Option<String> =
        sqlx::query_scalar("SELECT status FROM spend_keys WHERE id = $1 AND account_id = $2")
            .bind(key_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    let current = KeyStatus::parse(&current.ok_or(AppError::NotFound)?).ok_or(AppError::Internal)?;
    let target = match (change, current) {
        (_, KeyStatus::Revoked) if change != StatusChange::Revoke => return Err(AppError::SpendKeyRevoked),
        (StatusChange::Pause, _) => KeyStatus::Paused,
        (StatusChange::Resume, _) => KeyStatus::Active,
        (StatusChange::Revoke, _) => KeyStatus::Revoked,
    };
    sqlx::query(
        "UPDATE spend_keys
            SET status = $3,
                revoked_at = CASE WHEN $3 = 'revoked' THEN COALESCE(revoked_at, now()) END
          WHERE id = $1 AND account_id = $2 AND status <> 'revoked'",
    )
    .bind(key_id)
    .bind(account_id)
    .bind(target.as_str())
    .execute(pool)
    .await?;
    Ok(())
}
