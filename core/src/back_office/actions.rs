//! The back office's actions on an account.

use crate::audit::{self, Actor, Channel, Event};
use crate::credit::{self, Grant, NewGrant};
use crate::keys::db::{self as keys, StatusChange};
use crate::staff;
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgPool;
use std::net::IpAddr;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::staff::{reason, StaffPower, StaffRole, SUPPORT_GRANT_LIMIT};
use uuid::Uuid;

/// A staff member acting in the back office, as the session and the staff table say now.
#[derive(Clone, Debug)]
pub struct StaffActor {
    pub user_id: Uuid,
    pub email: String,
    pub role: StaffRole,
    pub ip: Option<IpAddr>,
}

impl StaffActor {
    /// Refuses what the role doesn't allow.
    pub fn require(&self, power: StaffPower) -> Result<(), AppError> {
        if self.role.may(power) {
            Ok(())
        } else {
            Err(AppError::NotPermitted)
        }
    }

    /// The staff member as the account's audit log records them.
    pub(super) fn on(&self, account_id: Uuid) -> Actor {
        Actor { account_id, user_id: Some(self.user_id), key_id: None, channel: Channel::Staff, ip: self.ip }
    }
}

/// Grants `amount` of promotional credit to the account, expiring at the start of `expires_on` in the
/// account's timezone ("expires Jan 6, 2027" on its pages). Support may grant up to $100.00 at a time.
#[tracing::instrument(name = "back_office::grant_promotional_credit", skip(pool, staff))]
pub async fn grant_promotional_credit(
    pool: &PgPool,
    staff: &StaffActor,
    account_id: Uuid,
    amount: Decimal,
    expires_on: NaiveDate,
    why: &str,
) -> Result<Grant, AppError> {
    staff.require(StaffPower::GrantPromotionalCredit)?;
    let why = reason(why)?;
    if staff.role == StaffRole::Support && amount > SUPPORT_GRANT_LIMIT {
        return Err(AppError::GrantOverRoleLimit);
    }
    let timezone: String = sqlx::query_scalar!("SELECT timezone FROM accounts WHERE id = $1", account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz = timezone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC);
    let start_of_day = expires_on.and_hms_opt(0, 0, 0).ok_or(AppError::GrantExpiryInvalid)?;
    // A day that starts in a clock change's gap starts at the gap's end.
    let expires_at = tz
        .from_local_datetime(&start_of_day)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(start_of_day + chrono::Duration::hours(1))).earliest())
        .ok_or(AppError::GrantExpiryInvalid)?
        .with_timezone(&Utc);
    let mut tx = pool.begin().await?;
    let new = NewGrant { account_id, amount, expires_at, reason: why, granted_by: &staff.email };
    let grant = credit::grant(&mut tx, &new).await?;
    let expires = expires_on.format("%b %-d, %Y").to_string();
    let granted = Event::PromotionalCreditGranted { amount: Usd::new(amount), expires: &expires };
    audit::record(&mut tx, &staff.on(account_id), Event::Because { event: &granted, reason: why }).await?;
    let details =
        json!({ "grant_id": grant.id, "amount": Usd::new(amount).json_cents(), "expires_at": expires_at });
    staff::log(&mut tx, &staff.email, "credit.granted", Some(account_id), Some(why), details).await?;
    tx.commit().await?;
    Ok(grant)
}

/// Pauses one of the account's keys (its owner can resume it). Pausing a paused key changes nothing and
/// logs nothing.
#[tracing::instrument(name = "back_office::pause_key", skip(pool, staff))]
pub async fn pause_key(
    pool: &PgPool,
    staff: &StaffActor,
    account_id: Uuid,
    key_id: Uuid,
    why: &str,
) -> Result<(), AppError> {
    staff.require(StaffPower::PauseKey)?;
    let why = reason(why)?;
    let mut tx = pool.begin().await?;
    if keys::change_status_in(&mut tx, &staff.on(account_id), key_id, StatusChange::Pause, Some(why)).await? {
        staff::log(
            &mut tx,
            &staff.email,
            "key.paused",
            Some(account_id),
            Some(why),
            json!({ "key_id": key_id }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
