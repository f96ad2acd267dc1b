//! The back office's money actions (finance and admin): adjustments, refunds and the second person's
//! approval of either above $1,000.00. Each writes, with the change, the account's audit log and the staff
//! log; a refund's processor answer comes after the commit (`payments::refunds::send`).

use super::actions::StaffActor;
use super::adjustments::{self, AdjustmentStep};
use crate::audit::{self, Event};
use crate::payments::disputes::{self, Received};
use crate::payments::processor::PaymentProcessor;
use crate::payments::refunds::{self, RefundRequest, RefundStep, Sent};
use crate::staff;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgPool;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::staff::{reason, StaffPower};
use uuid::Uuid;

/// Adjusts the account's paid credit by `amount` (signed), or asks a second person to above $1,000.00.
#[tracing::instrument(name = "back_office::adjust", skip(pool, staff))]
pub async fn adjust(
    pool: &PgPool,
    staff: &StaffActor,
    account_id: Uuid,
    amount: Decimal,
    why: &str,
) -> Result<AdjustmentStep, AppError> {
    staff.require(StaffPower::Adjust)?;
    let why = reason(why)?;
    let mut tx = pool.begin().await?;
    let step = adjustments::request(&mut tx, account_id, amount, why, staff.user_id).await?;
    let (waiting, id) = match step {
        AdjustmentStep::Applied { adjustment_id, .. } => (false, adjustment_id),
        AdjustmentStep::AwaitingApproval { adjustment_id } | AdjustmentStep::Refused { adjustment_id } => {
            (true, adjustment_id)
        }
    };
    let event = Event::Adjusted { amount: Usd::new(amount), waiting };
    audit::record(&mut tx, &staff.on(account_id), Event::Because { event: &event, reason: why }).await?;
    let action = if waiting { "adjustment.requested" } else { "adjustment.applied" };
    let details = json!({ "adjustment_id": id, "amount": Usd::new(amount).json_cents() });
    staff::log(&mut tx, &staff.email, action, Some(account_id), Some(why), details).await?;
    tx.commit().await?;
    Ok(step)
}

/// What a refund request came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundResult {
    AwaitingApproval,
    /// Sent to the processor: its answer.
    Sent(Sent),
}

/// Refunds `amount` of the deposit `payment_id` to its card (at most what is left of it), or asks a
/// second person to above $1,000.00.
#[tracing::instrument(name = "back_office::refund", skip(pool, processor, staff))]
pub async fn refund(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    staff: &StaffActor,
    account_id: Uuid,
    payment_id: Uuid,
    amount: Decimal,
    why: &str,
) -> Result<RefundResult, AppError> {
    staff.require(StaffPower::Refund)?;
    let why = reason(why)?;
    let mut tx = pool.begin().await?;
    let new = RefundRequest { account_id, payment_id, amount, reason: why, requested_by: staff.user_id };
    let step = refunds::request(&mut tx, &new).await?;
    let (waiting, refund_id) = match step {
        RefundStep::AwaitingApproval { refund_id } => (true, refund_id),
        RefundStep::Debited { refund_id } | RefundStep::Refused { refund_id } => (false, refund_id),
    };
    let event = Event::Refunded { amount: Usd::new(amount), payment_id, waiting };
    audit::record(&mut tx, &staff.on(account_id), Event::Because { event: &event, reason: why }).await?;
    let action = if waiting { "refund.requested" } else { "refund.issued" };
    let details =
        json!({ "refund_id": refund_id, "payment_id": payment_id, "amount": Usd::new(amount).json_cents() });
    staff::log(&mut tx, &staff.email, action, Some(account_id), Some(why), details).await?;
    tx.commit().await?;
    if waiting {
        return Ok(RefundResult::AwaitingApproval);
    }
    Ok(RefundResult::Sent(finish(pool, processor, staff, account_id, refund_id).await?))
}

/// Asks the processor for a debited refund and logs a refusal it gives.
async fn finish(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    staff: &StaffActor,
    account_id: Uuid,
    refund_id: Uuid,
) -> Result<Sent, AppError> {
    let sent = refunds::send(pool, processor, account_id, refund_id).await?;
    if let Sent::Failed { reason } = &sent {
        let mut conn = pool.acquire().await?;
        let details = json!({ "refund_id": refund_id, "failure": reason });
        staff::log(&mut conn, &staff.email, "refund.failed", Some(account_id), None, details).await?;
    }
    Ok(sent)
}

/// What a second person approves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    Refund(Uuid),
    Adjustment(Uuid),
}

/// What an approval came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approved {
    /// The adjustment's entry is written.
    Adjusted,
    /// The refund was debited and sent: the processor's answer.
    RefundSent(Sent),
    /// It no longer fits (the money was spent meanwhile): refused, nothing moved.
    Refused,
}

/// A second finance or admin person approves a refund or adjustment above $1,000.00 that another asked
/// for: checked again now, then applied (a refund sent) — or refused when it no longer fits.
#[tracing::instrument(name = "back_office::approve", skip(pool, processor, staff))]
pub async fn approve(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    staff: &StaffActor,
    account_id: Uuid,
    approval: Approval,
) -> Result<Approved, AppError> {
    staff.require(StaffPower::Approve)?;
    let mut tx = pool.begin().await?;
    let (what, refused, refund_to_send, details) = match approval {
        Approval::Refund(id) => {
            let step = refunds::approve(&mut tx, account_id, id, staff.user_id).await?;
            let refused = matches!(step, RefundStep::Refused { .. });
            ("Refund", refused, (!refused).then_some(id), json!({ "refund_id": id }))
        }
        Approval::Adjustment(id) => {
            let step = adjustments::approve(&mut tx, account_id, id, staff.user_id).await?;
            (
                "Adjustment",
                matches!(step, AdjustmentStep::Refused { .. }),
                None,
                json!({ "adjustment_id": id }),
            )
        }
    };
    let action = match (what, refused) {
        ("Refund", false) => "refund.approved",
        ("Refund", true) => "refund.refused",
        (_, false) => "adjustment.approved",
        (_, true) => "adjustment.refused",
    };
    if !refused {
        audit::record(&mut tx, &staff.on(account_id), Event::Approved { what }).await?;
    }
    staff::log(&mut tx, &staff.email, action, Some(account_id), None, details).await?;
    tx.commit().await?;
    Ok(match refund_to_send {
        Some(refund_id) => Approved::RefundSent(finish(pool, processor, staff, account_id, refund_id).await?),
        None if refused => Approved::Refused,
        None => Approved::Adjusted,
    })
}

/// Records how a card dispute ended, as finance learned it (won: its amount returns to the wallet; lost:
/// it stays withdrawn). The same as the processor's news of it: a stage recorded already changes nothing
/// (`already_decided`).
#[tracing::instrument(name = "back_office::settle_dispute", skip(pool, staff))]
pub async fn settle_dispute(
    pool: &PgPool,
    staff: &StaffActor,
    account_id: Uuid,
    dispute_id: Uuid,
    won: bool,
    why: &str,
) -> Result<(), AppError> {
    staff.require(StaffPower::SettleDispute)?;
    let why = reason(why)?;
    let mut tx = pool.begin().await?;
    let amount: Decimal = sqlx::query_scalar!(
        "SELECT amount FROM disputes WHERE account_id = $1 AND id = $2",
        account_id,
        dispute_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if disputes::record_outcome(&mut tx, account_id, dispute_id, won).await? != Received::Applied {
        return Err(AppError::AlreadyDecided);
    }
    let event = Event::DisputeSettled { amount: Usd::new(amount), won };
    audit::record(&mut tx, &staff.on(account_id), Event::Because { event: &event, reason: why }).await?;
    let action = if won { "dispute.won" } else { "dispute.lost" };
    staff::log(
        &mut tx,
        &staff.email,
        action,
        Some(account_id),
        Some(why),
        json!({ "dispute_id": dispute_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
