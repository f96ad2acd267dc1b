//! Granting promotional credit.

use super::expiry::{expire_locked, lock_wallet};
use crate::ledger::{post, Posting};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::staff;
use uuid::Uuid;

/// The most one grant may give (a role may allow less: docs/CONTRACT.md "Back office").
pub const MAX_GRANT: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);
/// How far away a grant's expiry may be.
const LONGEST_LIFETIME_DAYS: i64 = 5 * 366;

/// A grant to make.
pub struct NewGrant<'a> {
    pub account_id: Uuid,
    pub amount: Decimal,
    pub expires_at: DateTime<Utc>,
    pub reason: &'a str,
    /// Who grants it, as the audit log names them.
    pub granted_by: &'a str,
}

/// A grant as made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: Uuid,
    pub amount: Decimal,
    pub expires_at: DateTime<Utc>,
    pub reason: String,
    pub granted_by: String,
    pub created_at: DateTime<Utc>,
    pub ledger_entry_id: i64,
    /// The wallet's balance right after it.
    pub balance_after: Decimal,
}

/// Grants promotional credit, in the caller's transaction: under the wallet's lock, the grants already past
/// their expiry leave first and the spending so far is shared out over the others, then the grant's ledger
/// entry credits the wallet and the grant is kept with all of it left. Bad input writes nothing.
#[tracing::instrument(name = "credit::grant", skip_all, fields(account_id = %new.account_id))]
pub async fn grant(conn: &mut PgConnection, new: &NewGrant<'_>) -> Result<Grant, AppError> {
    let amount = new.amount;
    if amount <= Decimal::ZERO || amount > MAX_GRANT || amount != amount.round_dp(2) {
        return Err(AppError::GrantAmountInvalid);
    }
    let reason = staff::reason(new.reason)?;
    let now = lock_wallet(conn, new.account_id).await?;
    if new.expires_at <= now || new.expires_at > now + Duration::days(LONGEST_LIFETIME_DAYS) {
        return Err(AppError::GrantExpiryInvalid);
    }
    expire_locked(conn, new.account_id, now).await?;
    // Before the credit (a wallet's promotional credit always has an expiry); LEAST ignores a NULL: a wallet
    // without unexpired grants takes this one's expiry.
    sqlx::query!(
        "UPDATE wallets SET promotional_expires_at = LEAST(promotional_expires_at, $2) WHERE account_id = $1",
        new.account_id,
        new.expires_at as DateTime<Utc>,
    )
    .execute(&mut *conn)
    .await?;
    let id = Uuid::new_v4();
    let reference = format!("grant:{id}");
    let posted = post(
        conn,
        Posting {
            account_id: new.account_id,
            kind: EntryKind::PromotionalGrant,
            amount,
            reference: &reference,
            at: None,
        },
    )
    .await?;
    sqlx::query!(
        "INSERT INTO promotional_grants (account_id, id, amount, remaining, expires_at, reason, granted_by, created_at,
                                         ledger_entry_id)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)",
        new.account_id,
        id,
        amount,
        new.expires_at as DateTime<Utc>,
        reason,
        new.granted_by,
        now as DateTime<Utc>,
        posted.entry_id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(Grant {
        id,
        amount,
        expires_at: new.expires_at,
        reason: reason.to_string(),
        granted_by: new.granted_by.to_string(),
        created_at: now,
        ledger_entry_id: posted.entry_id,
        balance_after: posted.balance_after.amount(),
    })
}
