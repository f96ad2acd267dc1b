//! Steps 2 and 3 of a charge (see `charge`): idempotent replays, then each call of one wallet decided in
//! arrival order against the running balance. Pure bookkeeping on the locked state: nothing here talks to
//! the database except `earlier_calls`, which reads the replays in one statement for the whole batch.

use super::batch::{CallAnswer, MeteredCall};
use super::locks::{KeyState, LockedWallet, MemberSpend};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;
use tollgate_domain::catalog::pricing::{CostBreakdown, Usage};
use tollgate_domain::error::AppError;
use tollgate_domain::metering::call::{CallRecord, CallStatus, RequestRow};
use tollgate_domain::money::Usd;
use uuid::Uuid;

/// A call decided in this batch, to be written as a request row (completed or rejected).
pub(crate) struct Decided {
    pub account_id: Uuid,
    pub record: CallRecord,
    pub key_id: Uuid,
    /// The error code of a rejected call.
    pub reject_reason: Option<&'static str>,
    pub idempotency_key: Option<String>,
}

/// One wallet's part of a batch, decided.
pub(super) struct WalletOutcome {
    /// One per call, in the calls' order.
    pub answers: Vec<CallAnswer>,
    /// The calls to write (replays and calls refused for their key's state write nothing).
    pub decided: Vec<Decided>,
    /// (reference, cost) of every paid call, in arrival order: the ledger's debits.
    pub debits: Vec<(String, Decimal)>,
    pub closing_balance: Decimal,
}

/// The parameters an `Idempotency-Key` is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SameCall {
    key_id: Uuid,
    service: String,
    model: String,
    usage: Usage,
}

impl SameCall {
    fn of(call: &MeteredCall) -> SameCall {
        SameCall {
            key_id: call.key_id,
            service: call.service.clone(),
            model: call.model.clone(),
            usage: call.usage,
        }
    }

    fn matches(&self, call: &MeteredCall) -> bool {
        *self == SameCall::of(call)
    }
}

/// Calls recorded earlier under an idempotency key, with their answers, per account and key.
pub(super) type EarlierCalls = HashMap<Uuid, HashMap<String, (SameCall, CallAnswer)>>;

/// Decides one wallet's calls in arrival order (step 3 of `charge`): a key paused or revoked meanwhile, or
/// edited to no longer allow the call's service, is refused (even for a replay); a replay of a call that
/// ran answers as it did (or is refused when its parameters differ; a refused call is no one's answer, so
/// its retry is decided afresh); then free → completed at 0; over the key's cycle limit, over the key
/// maker's monthly budget, or over the balance less its open holds → rejected at 0; else completed, and the
/// running balance goes down. A hold's capture is completed whenever it is within its hold.
pub(super) fn decide_wallet(
    account_id: Uuid,
    wallet: &mut LockedWallet,
    now: DateTime<Utc>,
    calls: &[MeteredCall],
    earlier: &mut HashMap<String, (SameCall, CallAnswer)>,
) -> WalletOutcome {
    let mut balance = wallet.opening_balance;
    let mut answers = Vec::with_capacity(calls.len());
    let mut decided = Vec::new();
    let mut debits = Vec::new();
    for call in calls {
        let Some(key) = wallet.keys.get_mut(&call.key_id) else {
            answers.push(Err(AppError::bug("a metered call's key is not the account's")));
            continue;
        };
        let cost = call.price.cost(call.usage);
        let amount = cost.total.amount();
        let refused = match call.reserved {
            // A hold's capture: the call ran on money its hold reserved, whatever became of the key since.
            Some(reserved) if amount > reserved => {
                answers.push(Err(AppError::CaptureExceedsHold));
                continue;
            }
            // Its hold reserved it, but a card dispute has since taken the balance below it.
            Some(_) if amount > balance => {
                answers.push(Err(if balance < Decimal::ZERO {
                    AppError::WalletNegative
                } else {
                    AppError::InsufficientBalance
                }));
                continue;
            }
            Some(_) => None,
            None => {
                if let Some(early) = answered_before_deciding(key, call, earlier) {
                    answers.push(early);
                    continue;
                }
                refusal(key, wallet.members.get(&key.maker), balance, wallet.held, amount)
            }
        };
        let record = CallRecord {
            request_id: Uuid::new_v4(),
            status: if refused.is_some() { CallStatus::Rejected } else { CallStatus::Completed },
            service: call.service.clone(),
            model: call.model.clone(),
            input_tokens: call.usage.input_tokens,
            output_tokens: call.usage.output_tokens,
            cost: if refused.is_some() { CostBreakdown::ZERO } else { cost },
            balance_after: Usd::new(if refused.is_some() { balance } else { balance - amount }),
            created_at: now,
            via: call.via,
        };
        if refused.is_none() {
            balance -= amount;
            key.cycle_spend += amount;
            key.total_spend_delta += amount;
            key.completed += 1;
            if let Some(member) = wallet.members.get_mut(&key.maker) {
                member.month_spend += amount;
                member.used = true;
            }
            if !amount.is_zero() {
                debits.push((record.request_id.to_string(), amount));
            }
        }
        key.used = true;
        let answer = match &refused {
            Some(err) => Err(err.clone()),
            None => Ok(record.clone()),
        };
        // Only a call that ran is the key's answer: a refusal charged nothing, so the same call under the
        // same key after a top-up is decided afresh (docs/CONTRACT.md "JSON API": "top up, then retry").
        if let (Some(idempotency_key), None) = (&call.idempotency_key, &refused) {
            earlier.insert(idempotency_key.clone(), (SameCall::of(call), answer.clone()));
        }
        decided.push(Decided {
            account_id,
            record,
            key_id: call.key_id,
            reject_reason: refused.as_ref().map(AppError::code),
            idempotency_key: call.idempotency_key.clone(),
        });
        answers.push(answer);
    }
    WalletOutcome { answers, decided, debits, closing_balance: balance }
}

/// A call answered before its cost is weighed: its key paused or revoked meanwhile, or edited to no longer
/// allow the call's service (refused, even for a replay), or a replay of a call that ran (its answer, or
/// a refusal when its parameters differ).
fn answered_before_deciding(
    key: &KeyState,
    call: &MeteredCall,
    earlier: &HashMap<String, (SameCall, CallAnswer)>,
) -> Option<CallAnswer> {
    if let Some(refusal) = key.status.refusal() {
        return Some(Err(refusal));
    }
    if key.allowed_services.as_ref().is_some_and(|allowed| !allowed.contains(&call.service)) {
        return Some(Err(AppError::ServiceNotAllowed));
    }
    let (same_call, answer) = earlier.get(call.idempotency_key.as_ref()?)?;
    Some(if same_call.matches(call) { answer.clone() } else { Err(AppError::IdempotencyKeyReused) })
}

/// Why spending `amount` now would be refused, if it would: over the key's cycle limit, over its maker's
/// monthly budget (on a team), or over what the wallet has available (its `balance` less what its open
/// holds reserve, `held`) — or any of it while a card dispute keeps the balance below zero. Each limit
/// counts the open holds against it. Free is never refused. A paid call and a new hold are weighed alike.
pub(super) fn refusal(
    key: &KeyState,
    maker: Option<&MemberSpend>,
    balance: Decimal,
    held: Decimal,
    amount: Decimal,
) -> Option<AppError> {
    if amount.is_zero() {
        None
    } else if balance < Decimal::ZERO {
        Some(AppError::WalletNegative)
    } else if key.limit.is_some_and(|limit| key.cycle_spend + key.held + amount > limit) {
        Some(AppError::KeyLimitReached)
    } else if maker.is_some_and(|m| m.would_pass(amount)) {
        Some(AppError::MemberBudgetReached)
    } else if amount > balance - held {
        Some(AppError::InsufficientBalance)
    } else {
        None
    }
}

#[derive(sqlx::FromRow)]

struct EarlierRow {
    account_id: Uuid,
    #[sqlx(flatten)]
    row: RequestRow,
}

/// Calls recorded earlier under the batch's idempotency keys, with their answers, in one statement for
/// every account of the batch.
pub(super) async fn earlier_calls(
    conn: &mut PgConnection,
    calls: &[&MeteredCall],
) -> Result<EarlierCalls, AppError> {
    let (accounts, idempotency_keys): (Vec<Uuid>, Vec<&str>) =
        calls.iter().filter_map(|c| c.idempotency_key.as_deref().map(|key| (c.account_id, key))).unzip();
    if idempotency_keys.is_empty() {
        return Ok(HashMap::new());
    }
    // A key that still replays names its call by the call's whole primary key, time included, so each
    // replay reads one month of the partitioned `requests`.
    let rows: Vec<EarlierRow> = sqlx::query_as(&format!(
        "SELECT r.* FROM unnest($1::uuid[], $2::text[]) AS asked(acct, idem)
           JOIN request_idempotency i ON i.account_id = asked.acct AND i.idempotency_key = asked.idem
           CROSS JOIN LATERAL (SELECT account_id, {} FROM requests
                                WHERE account_id = i.account_id AND id = i.request_id AND created_at = i.created_at) r",
        RequestRow::COLUMNS
    ))
    .bind(&accounts)
    .bind(&idempotency_keys)
    .fetch_all(&mut *conn)
    .await?;
    let mut earlier = EarlierCalls::new();
    for EarlierRow { account_id, row } in rows {
        let record = row.record()?;
        let usage = Usage::new(record.input_tokens, record.output_tokens)
            .ok_or_else(|| AppError::bug("a stored call's usage is out of range"))?;
        let same = SameCall {
            key_id: row.spend_key_id,
            service: record.service.clone(),
            model: record.model.clone(),
            usage,
        };
        // A refused call replays its refusal, a completed one its record.
        let answer = match row.reject_reason.as_deref() {
            Some(code) => Err(AppError::from_code(code)
                .ok_or_else(|| AppError::bug("a stored refusal's code is unknown"))?),
            None => Ok(record),
        };
        let key = row.idempotency_key.clone().unwrap_or_default();
        earlier.entry(account_id).or_default().insert(key, (same, answer));
    }
    Ok(earlier)
}
