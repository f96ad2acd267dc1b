//! Refunds of a deposit to its card (docs/CONTRACT.md "Refunds", docs/ARCHITECTURE.md "Refunds"), in
//! phases like an Add Funds attempt's, so a crash between any two steps is finished on the next pass:
//!
//! 1. **request** (in the caller's transaction, under the wallet's lock): what is left of the deposit's paid
//!    credit is checked, then — up to $1,000.00 — the wallet is debited (ledger "Refund") and the refund is
//!    `pending`; above it, it waits for a second person (`awaiting_approval`) and nothing moves;
//! 2. **approve** (the same, by someone else): checked again, then debited and `pending`, or `refused`;
//! 3. **send**: the processor is asked with the refund's idempotency key (the same on every try). Its yes
//!    makes it `succeeded` (`funds.refunded`); its no puts the money back by an entry of its own and makes
//!    it `failed` with the reason; no answer leaves it `pending` for [`recover_pending`] to ask again.
//!
//! Each outcome is recorded once, under the refund row's lock: two senders (the request and the sweeper)
//! can't both record it.

use super::processor::{PaymentProcessor, RefundOutcome};
use crate::ledger::{lock_paid_credit, paid_credit, post, Posting};
use crate::webhooks::outbox;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::refund::{refundable, Deposited};
use tollgate_domain::staff::{may_decide, needs_second_person};
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

/// A succeeded deposit, and what of it can be refunded now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositLeft {
    pub payment_id: Uuid,
    pub amount: Decimal,
    /// Refunded, or being refunded (`pending`).
    pub refunded: Decimal,
    pub refundable: Decimal,
}

struct DepositRow {
    id: Uuid,
    amount: Decimal,
    refunded: Decimal,
}

/// Locks the account's wallet (the lock every change of its money takes) and answers what of each of its
/// deposits can be refunded, newest first.
pub async fn lock_and_read_refundable(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<Vec<DepositLeft>, AppError> {
    let paid = lock_paid_credit(conn, account_id).await?;
    deposits_left(conn, account_id, paid).await
}

/// [`lock_and_read_refundable`] for a page: as committed, without a lock (a refund checks again under it).
pub async fn read_refundable(pool: &PgPool, account_id: Uuid) -> Result<Vec<DepositLeft>, AppError> {
    let mut conn = pool.acquire().await?;
    let paid = paid_credit(&mut conn, account_id).await?;
    deposits_left(&mut conn, account_id, paid).await
}

/// What of each deposit can be refunded with `paid` credit in the wallet, newest first.
async fn deposits_left(
    conn: &mut PgConnection,
    account_id: Uuid,
    paid: Decimal,
) -> Result<Vec<DepositLeft>, AppError> {
    let rows = sqlx::query_as!(
        DepositRow,
        r#"SELECT a.id, a.amount,
                  COALESCE(sum(r.amount) FILTER (WHERE r.status IN ('pending', 'succeeded')), 0) AS "refunded!"
             FROM payment_attempts a
             LEFT JOIN refunds r ON r.account_id = a.account_id AND r.payment_attempt_id = a.id
            WHERE a.account_id = $1 AND a.status = 'succeeded'
            GROUP BY a.account_id, a.id
            ORDER BY a.completed_at DESC, a.id DESC"#,
        account_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let deposited: Vec<Deposited> =
        rows.iter().map(|r| Deposited { amount: r.amount, refunded: r.refunded }).collect();
    Ok(rows
        .into_iter()
        .zip(refundable(paid, &deposited))
        .map(|(r, refundable)| DepositLeft {
            payment_id: r.id,
            amount: r.amount,
            refunded: r.refunded,
            refundable,
        })
        .collect())
}

/// A refund asked for.
pub struct RefundRequest<'a> {
    pub account_id: Uuid,
    pub payment_id: Uuid,
    pub amount: Decimal,
    pub reason: &'a str,
    /// The staff member who asks.
    pub requested_by: Uuid,
}

/// Where a refund stands after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundStep {
    /// Above $1,000.00: nothing moved until a second person approves.
    AwaitingApproval { refund_id: Uuid },
    /// The wallet is debited; the processor is to be asked ([`send`]).
    Debited { refund_id: Uuid },
    /// An approver found it no longer refundable: nothing moved.
    Refused { refund_id: Uuid },
}

/// Step 1, in the caller's transaction: checks the amount against what is left of the deposit, then
/// debits the wallet (or leaves it waiting for approval). Bad input writes nothing.
pub async fn request(conn: &mut PgConnection, new: &RefundRequest<'_>) -> Result<RefundStep, AppError> {
    if new.amount <= Decimal::ZERO || new.amount != new.amount.round_dp(2) {
        return Err(AppError::RefundAmountInvalid);
    }
    let deposits = lock_and_read_refundable(conn, new.account_id).await?;
    let deposit = deposits.iter().find(|d| d.payment_id == new.payment_id).ok_or(AppError::NotFound)?;
    if new.amount > deposit.refundable {
        return Err(AppError::RefundExceedsRefundable);
    }
    let id = Uuid::new_v4();
    let waits = needs_second_person(new.amount);
    sqlx::query!(
        "INSERT INTO refunds (account_id, id, payment_attempt_id, amount, reason, requested_by, status, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, 'awaiting_approval', $7)",
        new.account_id,
        id,
        new.payment_id,
        new.amount,
        new.reason,
        new.requested_by,
        format!("refund_{}", id.simple()),
    )
    .execute(&mut *conn)
    .await?;
    if waits {
        return Ok(RefundStep::AwaitingApproval { refund_id: id });
    }
    debit(conn, new.account_id, id, new.amount, None).await?;
    Ok(RefundStep::Debited { refund_id: id })
}

/// The refund's debit: the wallet's paid credit goes down by `amount` ("Refund") and the refund is
/// `pending`, ready to send.
async fn debit(
    conn: &mut PgConnection,
    account_id: Uuid,
    refund_id: Uuid,
    amount: Decimal,
    approved_by: Option<Uuid>,
) -> Result<(), AppError> {
    let reference = format!("refund:{refund_id}");
    let posting =
        Posting { account_id, kind: EntryKind::Refund, amount: -amount, reference: &reference, at: None };
    let entry = post(conn, posting).await?;
    sqlx::query!(
        "UPDATE refunds SET status = 'pending', debit_entry_id = $3, approved_by = COALESCE($4, approved_by), sent_at = now()
          WHERE account_id = $1 AND id = $2",
        account_id,
        refund_id,
        entry.entry_id,
        approved_by,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

struct Waiting {
    amount: Decimal,
    payment_attempt_id: Uuid,
    requested_by: Uuid,
    status: String,
}

/// Step 2, in the caller's transaction: a second person approves a refund that waits. It is checked again
/// (the money may have been spent meanwhile): debited when it still fits, else `refused`.
pub async fn approve(
    conn: &mut PgConnection,
    account_id: Uuid,
    refund_id: Uuid,
    approver: Uuid,
) -> Result<RefundStep, AppError> {
    let deposits = lock_and_read_refundable(conn, account_id).await?;
    let waiting = sqlx::query_as!(
        Waiting,
        "SELECT amount, payment_attempt_id, requested_by, status FROM refunds
          WHERE account_id = $1 AND id = $2 FOR UPDATE",
        account_id,
        refund_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    may_decide(&waiting.status, waiting.requested_by, approver)?;
    let left = deposits
        .iter()
        .find(|d| d.payment_id == waiting.payment_attempt_id)
        .map_or(Decimal::ZERO, |d| d.refundable);
    if waiting.amount > left {
        sqlx::query!(
            "UPDATE refunds SET status = 'refused', approved_by = $3, completed_at = now() WHERE account_id = $1 AND id = $2",
            account_id,
            refund_id,
            approver,
        )
        .execute(&mut *conn)
        .await?;
        return Ok(RefundStep::Refused { refund_id });
    }
    debit(conn, account_id, refund_id, waiting.amount, Some(approver)).await?;
    Ok(RefundStep::Debited { refund_id })
}

/// Where a sent refund stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Succeeded,
    /// The processor said no; the money is back in the wallet.
    Failed {
        reason: String,
    },
    /// No answer yet: asked again later with the same key.
    Pending,
}

struct ToSend {
    amount: Decimal,
    idempotency_key: String,
    status: String,
    failure: Option<String>,
    payment_attempt_id: Uuid,
    charge_id: Option<String>,
}

/// Step 3: asks the processor to refund a `pending` refund (again, with the same key, if it was asked
/// before) and records its answer once. A refund past this step answers how it ended.
#[tracing::instrument(name = "refunds::send", skip(pool, processor))]
pub async fn send(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    refund_id: Uuid,
) -> Result<Sent, AppError> {
    let refund = sqlx::query_as!(
        ToSend,
        "SELECT r.amount, r.idempotency_key, r.status, r.failure, r.payment_attempt_id, a.processor_charge_id AS charge_id
           FROM refunds r JOIN payment_attempts a ON a.account_id = r.account_id AND a.id = r.payment_attempt_id
          WHERE r.account_id = $1 AND r.id = $2",
        account_id,
        refund_id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    match refund.status.as_str() {
        "pending" => {}
        "succeeded" => return Ok(Sent::Succeeded),
        "failed" => return Ok(Sent::Failed { reason: refund.failure.unwrap_or_default() }),
        _ => return Err(AppError::AlreadyDecided),
    }
    let outcome = match &refund.charge_id {
        // A deposit recorded without a charge at the processor (the demo's history) has nothing to refund.
        None => RefundOutcome::Failed { reason: "the deposit has no charge at the processor".into() },
        Some(charge_id) => {
            match processor.refund(charge_id, Usd::new(refund.amount), &refund.idempotency_key).await {
                Ok(outcome) => outcome,
                Err(err) if err.is_permanent() => RefundOutcome::Failed { reason: err.to_string() },
                Err(err) => {
                    tracing::warn!(%refund_id, error = %err, "a refund's answer was lost; it is asked again later");
                    return Ok(Sent::Pending);
                }
            }
        }
    };
    let mut tx = pool.begin().await?;
    // The wallet first, then the refund: the lock order of every change of this account's money.
    lock_paid_credit(&mut tx, account_id).await?;
    let still_pending = sqlx::query_scalar!(
        "SELECT status = 'pending' AS \"pending!\" FROM refunds WHERE account_id = $1 AND id = $2 FOR UPDATE",
        account_id,
        refund_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !still_pending {
        // Another sender recorded it first: its record stands.
        tx.rollback().await?;
        return Box::pin(send(pool, processor, account_id, refund_id)).await;
    }
    let sent = match outcome {
        RefundOutcome::Succeeded { refund_id: processor_refund_id } => {
            sqlx::query!(
                "UPDATE refunds SET status = 'succeeded', processor_refund_id = $3, completed_at = now()
                  WHERE account_id = $1 AND id = $2",
                account_id,
                refund_id,
                processor_refund_id,
            )
            .execute(&mut *tx)
            .await?;
            let balance =
                sqlx::query_scalar!("SELECT balance FROM wallets WHERE account_id = $1", account_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let data = json!({
                "refund_id": refund_id,
                "payment_id": refund.payment_attempt_id,
                "amount": Usd::new(refund.amount).json_cents(),
                "balance": Usd::new(balance).json_cents(),
            });
            outbox::emit(&mut tx, account_id, EventType::FundsRefunded, data).await?;
            Sent::Succeeded
        }
        RefundOutcome::Failed { reason } => {
            let reason: String = reason.chars().take(500).collect();
            let reference = format!("refund:{refund_id}:returned");
            let posting = Posting {
                account_id,
                kind: EntryKind::Refund,
                amount: refund.amount,
                reference: &reference,
                at: None,
            };
            let entry = post(&mut tx, posting).await?;
            sqlx::query!(
                "UPDATE refunds SET status = 'failed', failure = $3, return_entry_id = $4, completed_at = now()
                  WHERE account_id = $1 AND id = $2",
                account_id,
                refund_id,
                reason,
                entry.entry_id,
            )
            .execute(&mut *tx)
            .await?;
            Sent::Failed { reason }
        }
    };
    tx.commit().await?;
    Ok(sent)
}

/// Sends again every refund `pending` for longer than `older_than` (its answer was lost, or the server
/// stopped before it asked): on start-up and every pass of the sweeper. Safe on several servers at once.
/// Answers how many it finished.
pub async fn recover_pending(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    older_than: Duration,
) -> Result<u64, AppError> {
    let due = sqlx::query!(
        "SELECT account_id, id FROM refunds
          WHERE status = 'pending' AND sent_at < now() - make_interval(secs => $1) ORDER BY sent_at LIMIT 100",
        older_than.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?;
    let mut finished = 0;
    for refund in due {
        if send(pool, processor, refund.account_id, refund.id).await? != Sent::Pending {
            finished += 1;
        }
    }
    Ok(finished)
}

/// A deposit's refunds as its receipt and the deposit list show them, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundLine {
    pub amount: Decimal,
    pub at: DateTime<Utc>,
    /// `pending` (on its way) or `succeeded`.
    pub status: String,
}

/// The refunds that took money out of a deposit (pending or done), oldest first.
pub async fn refunds_of(
    pool: &PgPool,
    account_id: Uuid,
    payment_id: Uuid,
) -> Result<Vec<RefundLine>, AppError> {
    Ok(sqlx::query_as!(
        RefundLine,
        r#"SELECT amount, COALESCE(completed_at, sent_at, requested_at) AS "at!: _", status FROM refunds
            WHERE account_id = $1 AND payment_attempt_id = $2 AND status IN ('pending', 'succeeded')
            ORDER BY requested_at"#,
        account_id,
        payment_id,
    )
    .fetch_all(pool)
    .await?)
}
