//! Calls that happened in the past (the demo account's history): recorded exactly as a live call would
//! have been — ledger debit, request row with its cost breakdown, 15-minute rollup, key counters — but at
//! their own time. Live calls never come here; they go through `meter` and `charge`.

use super::decide::Decided;
use super::record::record_calls;
use crate::ledger::{self, Posting, UsageDebits};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;
use tollgate_domain::catalog::pricing::{Price, Usage};
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::metering::call::{CallRecord, CallStatus, Via};
use tollgate_domain::money::Usd;
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
#[tracing::instrument(name = "metering::record_past_call", skip_all)]
pub async fn record_past_call(
    conn: &mut PgConnection,
    account_id: Uuid,
    key_id: Uuid,
    call: &PastCall,
) -> Result<(), AppError> {
    let request_id = Uuid::new_v4();
    let cost = call.price.cost(call.usage);
    let (entry_id, balance_after) = if cost.total.amount().is_zero() {
        let balance: Decimal =
            sqlx::query_scalar!("SELECT balance FROM wallets WHERE account_id = $1", account_id)
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
    // The same request row and rollup writes as a live call's, at the call's own time.
    let record = CallRecord {
        request_id,
        status: CallStatus::Completed,
        service: call.service.to_string(),
        model: call.model.to_string(),
        input_tokens: call.usage.input_tokens,
        output_tokens: call.usage.output_tokens,
        cost,
        balance_after: Usd::new(balance_after),
        created_at: call.at,
        via: Via::Api,
    };
    let entries: HashMap<String, i64> = entry_id.map(|id| (request_id.to_string(), id)).into_iter().collect();
    let decided = [Decided { account_id, record, key_id, reject_reason: None, idempotency_key: None }];
    let no_debits = UsageDebits::new(); // posted above, at the call's own time
    record_calls(conn, &decided, &entries, &no_debits, call.at, &[]).await?;
    sqlx::query!(
        "UPDATE spend_keys
            SET total_spend = total_spend + $2, request_count = request_count + 1,
                last_used_at = GREATEST(last_used_at, $3)
          WHERE id = $1",
        key_id,
        cost.total.amount(),
        call.at as DateTime<Utc>,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
