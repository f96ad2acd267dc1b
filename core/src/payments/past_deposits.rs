//! Deposits that happened in the past (the demo account's history): the saved card they were paid with,
//! each credited attempt with its ledger entry, and a declined one — stored as Add Funds would have left
//! them, at their own time. Live deposits never come here; they go through `add_funds`' phases.

use super::processor::CardToken;
use crate::ledger::{self, Posting};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::payments::attempt::AttemptStatus;
use tollgate_domain::payments::card::CardBrand;
use tollgate_domain::payments::decline::DeclineCode;
use uuid::Uuid;

/// Saves `card` as the account's default card, saved by `added_by` at `at`.
pub async fn save_card(
    conn: &mut PgConnection,
    account_id: Uuid,
    added_by: Uuid,
    card: &CardToken,
    at: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO payment_methods
            (account_id, processor_token, brand, last4, expiry_month, expiry_year, billing_postal_code, is_default,
             created_at, added_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $9) RETURNING id",
        account_id,
        card.token,
        card.brand as CardBrand,
        card.last4,
        card.expiry.month as i32,
        card.expiry.year,
        card.postal_code.as_str(),
        at as DateTime<Utc>,
        added_by,
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// A past deposit of `amount` on `card`: credited to the wallet at `at` (its ledger entry and its succeeded
/// attempt), or — with a decline — a failed attempt that credited nothing. `n` keeps its keys unique.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut PgConnection,
    account_id: Uuid,
    card: &CardToken,
    card_id: Option<Uuid>,
    amount: Decimal,
    at: DateTime<Utc>,
    declined: Option<DeclineCode>,
    n: usize,
) -> Result<(), AppError> {
    let entry_id = match declined {
        Some(_) => None,
        None => {
            let reference = format!("seed:deposit:{n}");
            let posting =
                Posting { account_id, kind: EntryKind::Deposit, amount, reference: &reference, at: Some(at) };
            Some(ledger::post(conn, posting).await?.entry_id)
        }
    };
    let status = if declined.is_some() { AttemptStatus::Failed } else { AttemptStatus::Succeeded };
    let receipt = match entry_id {
        Some(_) => Some(super::attempt_store::take_receipt_number(conn, account_id).await?),
        None => None,
    };
    sqlx::query!(
        "INSERT INTO payment_attempts
            (account_id, amount, status, idempotency_key, payment_method_id, processor_token, card_brand, card_last4,
             card_expiry_month, card_expiry_year, card_postal_code, processor_charge_id, decline_code,
             decline_message, decline_reason, ledger_entry_id, created_at, confirmed_at, completed_at, receipt_number)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $15, $16, $16, $16, $17)",
        account_id,
        amount,
        status as AttemptStatus,
        format!("seed_{}_{n}", Uuid::new_v4().simple()),
        card_id,
        card.token,
        card.brand as CardBrand,
        card.last4,
        card.expiry.month as i32,
        card.expiry.year,
        card.postal_code.as_str(),
        format!("ch_seed_{}", Uuid::new_v4().simple()),
        declined as Option<DeclineCode>,
        declined.map(|c| c.message()),
        entry_id,
        at as DateTime<Utc>,
        receipt,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
