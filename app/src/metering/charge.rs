//! `charge_calls`: the money transaction of metered calls. One transaction applies a batch of one wallet's
//! calls in arrival order against the running balance:
//!
//! 1. lock the wallet row (serialises this wallet's batches across every app server — and nothing else:
//!    no shared row is touched, so other accounts never wait on this one) and, in the same statement, the
//!    batch's spend keys, each re-checked as still active (a revoke wins over queued calls);
//! 2. replay calls whose `Idempotency-Key` was seen before (same parameters) or refuse them (different);
//! 3. per call: free → completed at 0; over the key's cycle limit → rejected; over the monthly budget of the
//!    team member who made the key → rejected; over the balance → rejected; else completed and the running
//!    balance goes down;
//! 4. write, in one statement (`record_calls`): the ledger debits (one entry per paid call, one balance
//!    update, checked against the running balance), the request rows with their cost breakdowns, the usage
//!    rollups (15-minute and daily) and the key counters, aggregated per batch;
//! 5. if the batch took the balance below the auto top-up threshold (while the rule is on), queue one
//!    top-up job in the same transaction (`payments::auto_top_up`); below the low-balance alert, emit
//!    `balance.low` to the account's webhooks (`webhooks::outbox`);
//! 6. commit — only then is any call answered.
//!
//! Invariants: the balance never goes negative (and the CHECK would refuse it anyway); balance = Σ ledger; a
//! rejected call writes only its `rejected` row at cost 0; every call sent is recorded exactly once.

use super::call::{CallRecord, CallStatus, RequestRow};
use crate::catalog::pricing::{CostBreakdown, Price, Usage};
use crate::error::AppError;
use crate::keys::spec::{KeyStatus, LimitPeriod};
use crate::ledger::{PostedUsage, UsageDebits};
use crate::money::Usd;
use crate::payments::auto_top_up::{self, rule::crosses};
use crate::webhooks::{outbox, EventType};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;
use uuid::Uuid;

/// A call that passed every check that needs no lock: the key is known and may call this service, the
/// service and model exist, the usage is valid.
#[derive(Clone, Debug)]
pub struct MeteredCall {
    pub account_id: Uuid,
    pub key_id: Uuid,
    pub service: String,
    pub model: String,
    pub usage: Usage,
    pub price: Price,
    pub idempotency_key: Option<String>,
}

/// What a call gets back: its record (201), or why it was refused (402 and others).
pub type CallAnswer = Result<CallRecord, AppError>;

/// Applies one wallet's batch (see the module docs). Fails as a whole only when the database does.
#[tracing::instrument(name = "metering::charge_calls", skip(pool, calls), fields(calls = calls.len()))]
pub async fn charge_calls(
    pool: &PgPool,
    account_id: Uuid,
    calls: &[MeteredCall],
) -> Result<Vec<CallAnswer>, AppError> {
    let mut tx = pool.begin().await?;
    let Locked { opening_balance, now, mut keys, mut members, auto_top_up_below, low_balance_alert } =
        lock_wallet_and_keys(&mut tx, account_id, calls).await?;
    let mut earlier = earlier_calls(&mut tx, account_id, calls).await?;

    let mut balance = opening_balance;
    let mut answers = Vec::with_capacity(calls.len());
    let mut decided: Vec<CallRecord> = Vec::new();
    let mut decided_keys: Vec<CallKeys> = Vec::new();
    for call in calls {
        // A key revoked or paused meanwhile is refused, even for a replay.
        let key = keys.get_mut(&call.key_id).ok_or(AppError::Internal)?;
        if let Some(refusal) = key.status.refusal() {
            answers.push(Err(refusal));
            continue;
        }
        if let Some(idempotency_key) = &call.idempotency_key {
            if let Some((same_call, answer)) = earlier.get(idempotency_key) {
                answers.push(if same_call.matches(call) {
                    answer.clone()
                } else {
                    Err(AppError::IdempotencyKeyReused)
                });
                continue;
            }
        }
        let cost = call.price.cost(call.usage);
        let refused = if cost.total.amount().is_zero() {
            None
        } else if key.limit.is_some_and(|limit| key.cycle_spend + cost.total.amount() > limit) {
            Some(AppError::KeyLimitReached)
        } else if members.get(&key.maker).is_some_and(|m| m.would_pass(cost.total.amount())) {
            Some(AppError::MemberBudgetReached)
        } else if cost.total.amount() > balance {
            Some(AppError::InsufficientBalance)
        } else {
            None
        };
        if refused.is_none() {
            balance -= cost.total.amount();
            key.cycle_spend += cost.total.amount();
            key.total_spend_delta += cost.total.amount();
            key.completed += 1;
            if let Some(member) = members.get_mut(&key.maker) {
                member.month_spend += cost.total.amount();
                member.used = true;
            }
        }
        key.used = true;
        let record = CallRecord {
            request_id: Uuid::new_v4(),
            status: if refused.is_some() { CallStatus::Rejected } else { CallStatus::Completed },
            service: call.service.clone(),
            model: call.model.clone(),
            input_tokens: call.usage.input_tokens,
            output_tokens: call.usage.output_tokens,
            cost: if refused.is_some() { CostBreakdown::ZERO } else { cost },
            balance_after: Usd::new(balance),
            created_at: now,
        };
        let answer = match &refused {
            Some(err) => Err(err.clone()),
            None => Ok(record.clone()),
        };
        if let Some(idempotency_key) = &call.idempotency_key {
            earlier.insert(idempotency_key.clone(), (SameCall::of(call), answer.clone()));
        }
        decided_keys.push(CallKeys {
            key_id: call.key_id,
            reject_reason: refused.as_ref().map(AppError::code),
            idempotency_key: call.idempotency_key.as_deref(),
        });
        decided.push(record);
        answers.push(answer);
    }

    let debits: Vec<(String, Decimal)> = decided
        .iter()
        .filter(|r| r.status == CallStatus::Completed && !r.cost.total.amount().is_zero())
        .map(|r| (r.request_id.to_string(), r.cost.total.amount()))
        .collect();
    let debits = UsageDebits::new(opening_balance, &debits)?;
    let counters: Vec<KeyCounters> = keys
        .iter()
        .filter(|(_, k)| k.used)
        .map(|(id, k)| KeyCounters {
            id: *id,
            cycle_start: k.period.and_then(|p| p.cycle_start(now)),
            cycle_spend: k.cycle_spend,
            total_spend_delta: k.total_spend_delta,
            completed: k.completed,
        })
        .collect();
    record_calls(&mut tx, account_id, &decided, &decided_keys, &HashMap::new(), &debits, now, &counters)
        .await?;
    record_member_spend(&mut tx, account_id, &members).await?;
    if auto_top_up_below.is_some_and(|threshold| crosses(threshold, opening_balance, balance)) {
        auto_top_up::job::enqueue(&mut tx, account_id).await?;
    }
    if let Some(threshold) = low_balance_alert.filter(|t| crosses(*t, opening_balance, balance)) {
        let data = json!({ "balance": Usd::new(balance).json_cents(), "threshold": Usd::new(threshold).json_cents() });
        outbox::emit(&mut tx, account_id, EventType::BalanceLow, data).await?;
    }
    tx.commit().await?;
    Ok(answers)
}

/// What a team member's keys spent this month (UTC), against the budget an Admin set for them.
struct MemberSpend {
    budget: Option<Decimal>,
    /// The 1st of the month `month_spend` belongs to: the current one.
    month: NaiveDate,
    /// Spent this month, including this batch's calls so far.
    month_spend: Decimal,
    used: bool,
}

impl MemberSpend {
    fn would_pass(&self, cost: Decimal) -> bool {
        self.budget.is_some_and(|budget| self.month_spend + cost > budget)
    }
}

/// The batch's spend of each team member whose keys paid, in one statement (personal accounts have no
/// member budgets and skip it). Written under the wallet lock, like every charge of the account.
async fn record_member_spend(
    conn: &mut PgConnection,
    account_id: Uuid,
    members: &HashMap<Uuid, MemberSpend>,
) -> Result<(), AppError> {
    let used: Vec<(&Uuid, &MemberSpend)> = members.iter().filter(|(_, m)| m.used).collect();
    if used.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE memberships m SET budget_month = c.month, month_spend = c.spend
           FROM unnest($2::uuid[], $3::date[], $4::numeric[]) AS c(user_id, month, spend)
          WHERE m.account_id = $1 AND m.user_id = c.user_id",
    )
    .bind(account_id)
    .bind(used.iter().map(|(id, _)| **id).collect::<Vec<_>>())
    .bind(used.iter().map(|(_, m)| m.month).collect::<Vec<_>>())
    .bind(used.iter().map(|(_, m)| m.month_spend).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// The parameters an `Idempotency-Key` is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SameCall {
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

/// Calls of this account recorded earlier under the batch's idempotency keys, with their answers.
async fn earlier_calls(
    conn: &mut PgConnection,
    account_id: Uuid,
    calls: &[MeteredCall],
) -> Result<HashMap<String, (SameCall, CallAnswer)>, AppError> {
    let idempotency_keys: Vec<&str> = calls.iter().filter_map(|c| c.idempotency_key.as_deref()).collect();
    if idempotency_keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "SELECT {} FROM requests WHERE account_id = $1 AND idempotency_key = ANY($2)",
        RequestRow::COLUMNS
    ))
    .bind(account_id)
    .bind(&idempotency_keys)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let record = row.record()?;
            let usage = Usage::new(record.input_tokens, record.output_tokens).ok_or(AppError::Internal)?;
            let same = SameCall {
                key_id: row.spend_key_id,
                service: record.service.clone(),
                model: record.model.clone(),
                usage,
            };
            // A refused call replays its refusal, a completed one its record.
            let answer = match row.reject_reason.as_deref() {
                Some(code) => Err(AppError::from_code(code).ok_or(AppError::Internal)?),
                None => Ok(record),
            };
            Ok((row.idempotency_key.clone().unwrap_or_default(), (same, answer)))
        })
        .collect()
}

/// A spend key's state for this batch (its row is locked until commit).
struct KeyState {
    status: KeyStatus,
    /// The member who made it (whose monthly budget its calls count against, on a team).
    maker: Uuid,
    limit: Option<Decimal>,
    period: Option<LimitPeriod>,
    /// Spent in the current cycle, including this batch's calls so far.
    cycle_spend: Decimal,
    total_spend_delta: Decimal,
    completed: i64,
    used: bool,
}

/// One row of step 1's statement: the wallet's balance (the same on every row) and one locked key.
#[derive(sqlx::FromRow)]
struct LockedKeyRow {
    balance: Decimal,
    now: DateTime<Utc>,
    key_id: Uuid,
    status: KeyStatus,
    limit_amount: Option<Decimal>,
    limit_period: Option<LimitPeriod>,
    cycle_start: Option<DateTime<Utc>>,
    cycle_spend: Decimal,
    maker: Uuid,
    /// The maker's membership on a team (`None` on a personal account or once they left).
    monthly_budget: Option<Decimal>,
    budget_month: Option<NaiveDate>,
    month_spend: Option<Decimal>,
    /// The threshold of the account's auto top-up rule, while it is on.
    auto_top_up_below: Option<Decimal>,
    /// The account's low-balance alert ("Alert below").
    low_balance_threshold: Option<Decimal>,
}

/// What the batch holds locked until commit: the wallet (with its balance) and the batch's spend keys.
struct Locked {
    opening_balance: Decimal,
    now: DateTime<Utc>,
    keys: HashMap<Uuid, KeyState>,
    /// The key makers' monthly spend, on a team.
    members: HashMap<Uuid, MemberSpend>,
    /// The auto top-up rule's threshold, while it is on: a batch that takes the balance below it queues
    /// one top-up in its own transaction (docs/ARCHITECTURE.md "Auto top-up").
    auto_top_up_below: Option<Decimal>,
    /// The low-balance alert: a batch that takes the balance below it emits `balance.low` (once per
    /// crossing) to the account's webhooks.
    low_balance_alert: Option<Decimal>,
}

/// Step 1 of the module docs in one statement: the wallet row, then the keys in id order (the
/// locks are taken in the sorted result's order, so two batches never wait on each other crosswise).
async fn lock_wallet_and_keys(
    conn: &mut PgConnection,
    account_id: Uuid,
    calls: &[MeteredCall],
) -> Result<Locked, AppError> {
    let mut ids: Vec<Uuid> = calls.iter().map(|c| c.key_id).collect();
    ids.sort();
    ids.dedup();
    let rows: Vec<LockedKeyRow> = sqlx::query_as(
        "SELECT w.balance, now() AS now, k.id AS key_id, k.status, k.limit_amount, k.limit_period,
                k.cycle_start, k.cycle_spend, k.created_by AS maker,
                m.monthly_budget, m.budget_month, m.month_spend, s.threshold AS auto_top_up_below,
                a.low_balance_threshold
           FROM wallets w
           JOIN spend_keys k ON k.account_id = w.account_id AND k.id = ANY($2)
           JOIN accounts a ON a.id = w.account_id
           LEFT JOIN memberships m ON a.kind = 'team' AND m.account_id = k.account_id AND m.user_id = k.created_by
           LEFT JOIN auto_top_up_settings s ON s.account_id = w.account_id AND s.enabled
          WHERE w.account_id = $1
          ORDER BY k.id
            FOR UPDATE OF w, k",
    )
    .bind(account_id)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let (opening_balance, now, auto_top_up_below, low_balance_alert) = rows
        .first()
        .map(|r| (r.balance, r.now, r.auto_top_up_below, r.low_balance_threshold))
        .ok_or(AppError::NotFound)?;
    let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).ok_or(AppError::Internal)?;
    let members = rows
        .iter()
        .filter_map(|row| {
            let spend = row.month_spend?;
            let month_spend = if row.budget_month == Some(this_month) { spend } else { Decimal::ZERO };
            let member =
                MemberSpend { budget: row.monthly_budget, month: this_month, month_spend, used: false };
            Some((row.maker, member))
        })
        .collect();
    let keys = rows
        .into_iter()
        .map(|row| {
            let current_cycle = row.limit_period.and_then(|p| p.cycle_start(now));
            let state = KeyState {
                status: row.status,
                maker: row.maker,
                limit: row.limit_amount,
                period: row.limit_period,
                // A cycle that has ended spent nothing of the current one.
                cycle_spend: if row.cycle_start == current_cycle { row.cycle_spend } else { Decimal::ZERO },
                total_spend_delta: Decimal::ZERO,
                completed: 0,
                used: false,
            };
            (row.key_id, state)
        })
        .collect();
    Ok(Locked { opening_balance, now, keys, members, auto_top_up_below, low_balance_alert })
}

/// A used spend key's counters after a batch.
pub(crate) struct KeyCounters {
    pub id: Uuid,
    pub cycle_start: Option<DateTime<Utc>>,
    pub cycle_spend: Decimal,
    pub total_spend_delta: Decimal,
    pub completed: i64,
}

/// How a decided call's spend key and idempotency key are recorded.
pub(crate) struct CallKeys<'a> {
    pub key_id: Uuid,
    /// The error code of a rejected call.
    pub reject_reason: Option<&'static str>,
    pub idempotency_key: Option<&'a str>,
}

/// Step 4's writes in one statement (shared with `past_calls`, which records past calls the same way): the
/// ledger debits (`UsageDebits`: one balance move, one entry per paid call, checked after), the request rows
/// of the decided calls with their cost breakdowns and ledger entries, both rollup levels (the 15-minute
/// bucket of `at`, and its local day in the account's timezone — read here, under the wallet lock that a
/// timezone change also takes: see the usage_daily migration) summed per service and model, and the used
/// keys' counters. `posted`: entries already written by the caller (past calls), by request id.
///
/// The statement is built with a [`QueryBuilder`], which numbers the parameters; the ledger adds its own
/// part (`UsageDebits::push_ctes`) and offers the CTE `entries(id, reference)` that the request rows join.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_calls(
    conn: &mut PgConnection,
    account_id: Uuid,
    decided: &[CallRecord],
    keys: &[CallKeys<'_>],
    posted: &HashMap<String, i64>,
    debits: &UsageDebits,
    at: DateTime<Utc>,
    counters: &[KeyCounters],
) -> Result<(), AppError> {
    if decided.is_empty() {
        return Ok(());
    }
    let column = |f: &dyn Fn(&CallRecord) -> Decimal| decided.iter().map(f).collect::<Vec<_>>();
    let mut sql = QueryBuilder::<Postgres>::new("WITH ");
    debits.push_ctes(&mut sql, account_id);
    sql.push(", t AS (SELECT * FROM unnest(")
        .push_bind(decided.iter().map(|r| r.request_id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(keys.iter().map(|k| k.key_id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(decided.iter().map(|r| r.service.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(decided.iter().map(|r| r.model.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(decided.iter().map(|r| r.input_tokens as i64).collect::<Vec<_>>())
        .push("::bigint[], ")
        .push_bind(decided.iter().map(|r| r.output_tokens as i64).collect::<Vec<_>>())
        .push("::bigint[], ")
        .push_bind(decided.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(keys.iter().map(|k| k.reject_reason).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(column(&|r| r.cost.input.amount()))
        .push("::numeric[], ")
        .push_bind(column(&|r| r.cost.output.amount()))
        .push("::numeric[], ")
        .push_bind(column(&|r| r.cost.fee.amount()))
        .push("::numeric[], ")
        .push_bind(column(&|r| r.cost.total.amount()))
        .push("::numeric[], ")
        .push_bind(decided.iter().map(|r| posted.get(&r.request_id.to_string()).copied()).collect::<Vec<_>>())
        .push("::bigint[], ")
        .push_bind(column(&|r| r.balance_after.amount()))
        .push("::numeric[], ")
        .push_bind(keys.iter().map(|k| k.idempotency_key.map(str::to_string)).collect::<Vec<_>>())
        .push(
            "::text[]) WITH ORDINALITY AS t(id, key_id, service, model, input, output, status, reason, \
                 cost_input, cost_output, cost_fee, cost_total, entry, balance_after, idem, n)), \
             calls AS (INSERT INTO requests \
                 (id, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status, \
                  reject_reason, cost_input, cost_output, cost_fee, cost_total, ledger_entry_id, balance_after, \
                  idempotency_key, created_at) \
             SELECT t.id, ",
        )
        .push_bind(account_id)
        .push(
            ", t.key_id, t.service, t.model, t.input, t.output, t.status, t.reason, t.cost_input, \
                    t.cost_output, t.cost_fee, t.cost_total, COALESCE(e.id, t.entry), t.balance_after, t.idem, ",
        )
        .push_bind(at)
        .push(
            " FROM t LEFT JOIN entries e ON e.reference = t.id::text ORDER BY t.n), \
             sums AS (SELECT service, model, \
                    count(*) FILTER (WHERE status = 'completed') AS requests, \
                    count(*) FILTER (WHERE status = 'rejected') AS rejected, \
                    sum(cost_total) AS cost \
               FROM t GROUP BY service, model), \
             account AS (SELECT id, timezone FROM accounts WHERE id = ",
        )
        .push_bind(account_id)
        .push(
            "), daily AS (INSERT INTO usage_daily AS d (account_id, day, service_id, model, requests, rejected, cost) \
             SELECT account.id, (",
        )
        .push_bind(at)
        .push(
            " AT TIME ZONE account.timezone)::date, sums.service, sums.model, sums.requests, sums.rejected, \
                    sums.cost \
               FROM sums, account \
             ON CONFLICT (account_id, day, service_id, model) DO UPDATE \
                SET requests = d.requests + excluded.requests, \
                    rejected = d.rejected + excluded.rejected, \
                    cost = d.cost + excluded.cost), \
             buckets AS (INSERT INTO usage_rollups AS u (account_id, bucket, service_id, model, requests, rejected, cost) \
             SELECT account.id, ",
        )
        .push_bind(rollup_bucket(at))
        .push(
            ", sums.service, sums.model, sums.requests, sums.rejected, sums.cost \
               FROM sums, account \
             ON CONFLICT (account_id, bucket, service_id, model) DO UPDATE \
                SET requests = u.requests + excluded.requests, \
                    rejected = u.rejected + excluded.rejected, \
                    cost = u.cost + excluded.cost), \
             counted AS (UPDATE spend_keys k \
                SET cycle_start = c.cycle_start, cycle_spend = c.cycle_spend, \
                    total_spend = k.total_spend + c.delta, request_count = k.request_count + c.completed, \
                    last_used_at = ",
        )
        .push_bind(at)
        .push(" FROM unnest(")
        .push_bind(counters.iter().map(|c| c.id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(counters.iter().map(|c| c.cycle_start).collect::<Vec<_>>())
        .push("::timestamptz[], ")
        .push_bind(counters.iter().map(|c| c.cycle_spend).collect::<Vec<_>>())
        .push("::numeric[], ")
        .push_bind(counters.iter().map(|c| c.total_spend_delta).collect::<Vec<_>>())
        .push("::numeric[], ")
        .push_bind(counters.iter().map(|c| c.completed).collect::<Vec<_>>())
        .push("::bigint[]) AS c(id, cycle_start, cycle_spend, delta, completed) WHERE k.id = c.id)");
    UsageDebits::push_posted_select(&mut sql);
    let rows: Vec<PostedUsage> = sql.build_query_as().fetch_all(&mut *conn).await?;
    debits.entry_ids(rows)?;
    Ok(())
}

/// The 15-minute UTC bucket an instant falls in (see the usage_rollups migration: every timezone's day is
/// a whole number of these).
pub fn rollup_bucket(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = at.timestamp();
    // Rounding down by under 15 minutes stays in chrono's range for any instant it holds, but a
    // request must never panic: an instant at the very start of the range stays as it is.
    DateTime::from_timestamp(secs - secs.rem_euclid(900), 0).unwrap_or(at)
}
