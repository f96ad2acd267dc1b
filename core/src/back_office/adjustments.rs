//! Adjustments (docs/CONTRACT.md "Back office"): a signed correction of an account's paid credit, as a
//! ledger entry of its own beside its row here; nothing is ever edited. Above $1,000.00 (either sign) it
//! waits for a second finance or admin person's approval before anything moves.

use crate::ledger::{lock_paid_credit, post, Posting};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::staff::{may_decide, needs_second_person};
use uuid::Uuid;

/// The largest adjustment, either sign.
const LARGEST: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Where an adjustment stands after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustmentStep {
    Applied {
        adjustment_id: Uuid,
        entry_id: i64,
    },
    AwaitingApproval {
        adjustment_id: Uuid,
    },
    /// An approver found it no longer fits (it would take the paid credit below zero): nothing moved.
    Refused {
        adjustment_id: Uuid,
    },
}

/// Checks a typed adjustment: not zero, whole cents, at most $1,000,000.00 either way.
pub fn check_amount(amount: Decimal) -> Result<Decimal, AppError> {
    if amount.is_zero() || amount != amount.round_dp(2) || amount.abs() > LARGEST {
        return Err(AppError::AdjustmentInvalid);
    }
    Ok(amount)
}

/// Records an adjustment in the caller's transaction: applied at once (its entry moves the paid credit,
/// never below zero), or waiting for approval above $1,000.00.
pub async fn request(
    conn: &mut PgConnection,
    account_id: Uuid,
    amount: Decimal,
    reason: &str,
    requested_by: Uuid,
) -> Result<AdjustmentStep, AppError> {
    let amount = check_amount(amount)?;
    lock_paid_credit(conn, account_id).await?;
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO adjustments (account_id, id, amount, reason, requested_by, status)
         VALUES ($1, $2, $3, $4, $5, 'awaiting_approval')",
        account_id,
        id,
        amount,
        reason,
        requested_by,
    )
    .execute(&mut *conn)
    .await?;
    if needs_second_person(amount) {
        return Ok(AdjustmentStep::AwaitingApproval { adjustment_id: id });
    }
    let entry_id = apply(conn, account_id, id, amount, None).await?;
    Ok(AdjustmentStep::Applied { adjustment_id: id, entry_id })
}

async fn apply(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    amount: Decimal,
    approved_by: Option<Uuid>,
) -> Result<i64, AppError> {
    let reference = format!("adjustment:{id}");
    let posting =
        Posting { account_id, kind: EntryKind::Adjustment, amount, reference: &reference, at: None };
    let entry = post(conn, posting).await.map_err(|err| match err {
        AppError::InsufficientBalance => AppError::PaidCreditTooLow,
        other => other,
    })?;
    sqlx::query!(
        "UPDATE adjustments SET status = 'applied', ledger_entry_id = $3, approved_by = $4, decided_at = now()
          WHERE account_id = $1 AND id = $2",
        account_id,
        id,
        entry.entry_id,
        approved_by,
    )
    .execute(&mut *conn)
    .await?;
    Ok(entry.entry_id)
}

struct Waiting {
    amount: Decimal,
    requested_by: Uuid,
    status: String,
}

/// A second person approves an adjustment that waits, in the caller's transaction: applied if it still
/// fits the paid credit, else `refused`.
pub async fn approve(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    approver: Uuid,
) -> Result<AdjustmentStep, AppError> {
    let paid = lock_paid_credit(conn, account_id).await?;
    let waiting = sqlx::query_as!(
        Waiting,
        "SELECT amount, requested_by, status FROM adjustments WHERE account_id = $1 AND id = $2 FOR UPDATE",
        account_id,
        id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    may_decide(&waiting.status, waiting.requested_by, approver)?;
    if paid + waiting.amount < Decimal::ZERO {
        sqlx::query!(
            "UPDATE adjustments SET status = 'refused', approved_by = $3, decided_at = now()
              WHERE account_id = $1 AND id = $2",
            account_id,
            id,
            approver,
        )
        .execute(&mut *conn)
        .await?;
        return Ok(AdjustmentStep::Refused { adjustment_id: id });
    }
    let entry_id = apply(conn, account_id, id, waiting.amount, Some(approver)).await?;
    Ok(AdjustmentStep::Applied { adjustment_id: id, entry_id })
}
