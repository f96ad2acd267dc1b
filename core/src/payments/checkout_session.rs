//! Storing hosted checkouts (docs/CONTRACT.md "/checkout/{id}"): made by agent funding, loaded and
//! completed by the checkout page. What a checkout's states mean:
//! `tollgate_domain::payments::checkout_session`.

use crate::random::random_hex;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::money::{TopUpAmount, Usd};
use tollgate_domain::payments::checkout_session::CheckoutState;
use uuid::Uuid;

pub const VALID_FOR_HOURS: i32 = 24;

pub struct Checkout {
    pub id: String,
    pub account_id: Uuid,
    pub amount: Usd,
    pub state: CheckoutState,
    /// The attempt that completed it, or the latest one tried on it.
    pub attempt_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

struct CheckoutRow {
    id: String,
    account_id: Uuid,
    amount: Decimal,
    attempt_id: Option<Uuid>,
    expires_at: DateTime<Utc>,
    completed: bool,
    expired: bool,
}

#[tracing::instrument(name = "checkout_session::create", skip(pool))]
pub async fn create(pool: &PgPool, account_id: Uuid, amount: TopUpAmount) -> Result<String, AppError> {
    let id = format!("cs_{}", random_hex(24));
    sqlx::query!(
        "INSERT INTO checkout_sessions (id, account_id, amount, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(hours => $4))",
        id,
        account_id,
        amount.usd().amount(),
        VALID_FOR_HOURS,
    )
    .execute(pool)
    .await?;
    Ok(id)
}

/// A checkout by id; unknown and malformed ids are "not found". One whose attempt succeeded counts as
/// completed even if the page that confirmed it never got to say so (recovery credited it).
#[tracing::instrument(name = "checkout_session::load", skip_all)]
pub async fn load(pool: &PgPool, id: &str) -> Result<Checkout, AppError> {
    let well_formed = id.len() == 51
        && id.strip_prefix("cs_").is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(AppError::NotFound);
    }
    let row: CheckoutRow = sqlx::query_as!(
        CheckoutRow,
        r#"SELECT c.id, c.account_id, c.amount, c.attempt_id, c.expires_at AS "expires_at: _",
                c.completed_at IS NOT NULL OR COALESCE(a.status = 'succeeded', false)
                  OR EXISTS (SELECT 1 FROM payment_attempts s WHERE s.checkout_id = c.id AND s.status = 'succeeded')
                  AS "completed!",
                c.expires_at <= now() AS "expired!"
           FROM checkout_sessions c
           LEFT JOIN payment_attempts a ON a.account_id = c.account_id AND a.id = c.attempt_id
          WHERE c.id = $1"#,
        id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let state = if row.completed {
        CheckoutState::Completed
    } else if row.expired {
        CheckoutState::Expired
    } else {
        CheckoutState::Open
    };
    Ok(Checkout {
        id: row.id,
        account_id: row.account_id,
        amount: Usd::new(row.amount),
        state,
        attempt_id: row.attempt_id,
        expires_at: row.expires_at,
    })
}

/// Refuses a checkout that can't take a payment any more.
pub fn ensure_open(checkout: &Checkout) -> Result<(), AppError> {
    match checkout.state {
        CheckoutState::Open => Ok(()),
        CheckoutState::Expired => Err(AppError::CheckoutExpired),
        CheckoutState::Completed => Err(AppError::CheckoutUsed),
    }
}

/// Whether `attempt_id` was made on this checkout.
#[tracing::instrument(name = "checkout_session::owns_attempt", skip(pool, checkout))]
pub async fn owns_attempt(pool: &PgPool, checkout: &Checkout, attempt_id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM payment_attempts WHERE id = $1 AND account_id = $2 AND checkout_id = $3) AS "exists!""#,
        attempt_id,
        checkout.account_id,
        checkout.id,
    )
    .fetch_one(pool)
    .await?)
}

/// Single use, race-free: before its charge, an attempt takes the checkout — only if it is still open
/// and its current holder (if any) has failed. A holder still `draft` may be mid-confirm (between taking
/// the checkout and becoming `pending`), so it is never replaced: the same attempt may retry its own
/// confirm.
#[tracing::instrument(name = "checkout_session::take_for_attempt", skip(pool, checkout_id))]
pub async fn take_for_attempt(pool: &PgPool, checkout_id: &str, attempt_id: Uuid) -> Result<(), AppError> {
    let taken: Option<bool> = sqlx::query_scalar!(
        r#"UPDATE checkout_sessions c SET attempt_id = $2
          WHERE c.id = $1 AND c.completed_at IS NULL AND c.expires_at > now()
            AND (c.attempt_id IS NULL OR c.attempt_id = $2
                 OR EXISTS (SELECT 1 FROM payment_attempts a WHERE a.account_id = c.account_id AND a.id = c.attempt_id AND a.status = 'failed'))
          RETURNING true AS "taken!""#,
        checkout_id,
        attempt_id,
    )
    .fetch_optional(pool)
    .await?;
    match taken {
        Some(_) => Ok(()),
        None => {
            let checkout = load(pool, checkout_id).await?;
            ensure_open(&checkout)?;
            // Open, but another attempt is being charged right now.
            Err(AppError::CheckoutUsed)
        }
    }
}

/// Records the success that used the checkout up.
#[tracing::instrument(name = "checkout_session::complete", skip(pool, checkout_id))]
pub async fn complete(pool: &PgPool, checkout_id: &str, attempt_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE checkout_sessions SET completed_at = now()
          WHERE id = $1 AND attempt_id = $2 AND completed_at IS NULL",
        checkout_id,
        attempt_id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// In a team deletion's transaction: every open checkout link of the account expires now, so a page
/// claiming one waits for the deletion, then finds it expired.
pub async fn expire_all_of_account(conn: &mut PgConnection, account_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE checkout_sessions SET expires_at = now()
          WHERE account_id = $1 AND completed_at IS NULL AND expires_at > now()",
        account_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}
