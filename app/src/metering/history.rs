//! Calls that happened in the past (the demo account's history): recorded exactly as a live call would
//! have been — ledger debit, request row with its cost breakdown, 15-minute rollup, key counters — but at
//! their own time. Live calls never come here; they go through `meter` and `charge`.

use super::charge::rollup_bucket;
use super::pricing::{Price, Usage};
use crate::error::AppError;
use crate::wallet::ledger::{self, EntryKind, Posting};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

pub struct PastCall {
    pub at: DateTime<Utc>,
    pub service: &'static str,
    pub model: &'static str,
    pub usage: Usage,
    pub price: Price,
}

/// Records one completed past call of `key_id`, in the caller's transaction. Calls must be recorded in time
/// order (each ledger entry's `balance_after` is the balance after it).
pub async fn record_past_call(
    conn: &mut PgConnection,
    account_id: Uuid,
    key_id: Uuid,
    call: &PastCall,
) -> Result<(), AppError> {
    let request_id = Uuid::new_v4();
    let cost = call.price.cost(call.usage);
    let (entry_id, balance_after) = if cost.total.amount().is_zero() {
        let balance: Decimal = sqlx::query_scalar("SELECT balance FROM wallets WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&mut *conn)
            .await?;
        (None, balance)
    } else {
        let reference = request_id.to_string();
        let posting = Posting {
            account_id,
            kind: EntryKind::Usage,
            amount: -cost.total.amount(),
            reference: &reference,
            at: Some(call.at),
        };
        let posted = ledger::post(conn, posting).await?;
        (Some(posted.entry_id), posted.balance_after.amount())
    };
    sqlx::query(
        "INSERT INTO requests
            (id, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status, cost_input,
             cost_output, cost_fee, cost_total, ledger_entry_id, balance_after, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'completed', $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(request_id)
    .bind(account_id)
    .bind(key_id)
    .bind(call.service)
    .bind(call.model)
    .bind(call.usage.input_tokens as i64)
    .bind(call.usage.output_tokens as i64)
    .bind(cost.input.amount())
    .bind(cost.output.amount())
    .bind(cost.fee.amount())
    .bind(cost.total.amount())
    .bind(entry_id)
    .bind(balance_after)
    .bind(call.at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO usage_rollups AS u (account_id, bucket, service_id, model, requests, cost)
         VALUES ($1, $2, $3, $4, 1, $5)
         ON CONFLICT (account_id, bucket, service_id, model) DO UPDATE
            SET requests = u.requests + 1, cost = u.cost + excluded.cost",
    )
    .bind(account_id)
    .bind(rollup_bucket(call.at))
    .bind(call.service)
    .bind(call.model)
    .bind(cost.total.amount())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE spend_keys
            SET total_spend = total_spend + $2, request_count = request_count + 1,
                last_used_at = GREATEST(last_used_at, $3)
          WHERE id = $1",
    )
    .bind(key_id)
    .bind(cost.total.amount())
    .bind(call.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
