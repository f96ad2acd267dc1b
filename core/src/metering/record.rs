//! Step 4 of a charge (see `charge`): the batch's writes, in one statement for every wallet of the batch —
//! the ledger debits, the request rows with their cost breakdowns, both rollup levels and the key counters
//! — and the team members' monthly spend in one more (on teams only).

use super::decide::Decided;
use crate::ledger::{PostedUsage, UsageDebits};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;
use tollgate_domain::error::AppError;
use uuid::Uuid;

/// A used spend key's counters after a batch.
pub(crate) struct KeyCounters {
    pub id: Uuid,
    pub cycle_start: Option<DateTime<Utc>>,
    pub cycle_spend: Decimal,
    pub total_spend_delta: Decimal,
    pub completed: i64,
}

/// The batch's writes in one statement (shared with `past_calls`, which records past calls the same way):
/// the ledger debits (`UsageDebits`: one balance move per wallet, one entry per paid call, checked after), the
/// request rows of the decided calls with their cost breakdowns and ledger entries, the calls' idempotency
/// keys (`request_idempotency`, which `decide::earlier_calls` reads), both rollup levels (the
/// 15-minute bucket of `at`, and its local day in each account's timezone — read here, under the wallet lock
/// that a timezone change also takes: see the usage_daily migration) summed per account, service and model,
/// and the used keys' counters. `posted`: entries already written by the caller (past calls), by request id.
///
/// The statement is built with a [`QueryBuilder`], which numbers the parameters; the ledger adds its own
/// part (`UsageDebits::push_ctes`) and offers the CTE `entries(id, account_id, reference)` that the request
/// rows join.
pub(crate) async fn record_calls(
    conn: &mut PgConnection,
    decided: &[Decided],
    posted: &HashMap<String, i64>,
    debits: &UsageDebits,
    at: DateTime<Utc>,
    counters: &[KeyCounters],
) -> Result<(), AppError> {
    if decided.is_empty() {
        return Ok(());
    }
    let column = |f: &dyn Fn(&Decided) -> Decimal| decided.iter().map(f).collect::<Vec<_>>();
    let mut sql = QueryBuilder::<Postgres>::new("WITH ");
    debits.push_ctes(&mut sql);
    sql.push(", t AS (SELECT * FROM unnest(")
        .push_bind(decided.iter().map(|d| d.record.request_id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(decided.iter().map(|d| d.account_id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(decided.iter().map(|d| d.key_id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(decided.iter().map(|d| d.record.service.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(decided.iter().map(|d| d.record.model.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(decided.iter().map(|d| d.record.input_tokens as i64).collect::<Vec<_>>())
        .push("::bigint[], ")
        .push_bind(decided.iter().map(|d| d.record.output_tokens as i64).collect::<Vec<_>>())
        .push("::bigint[], ")
        .push_bind(decided.iter().map(|d| d.record.status.as_str()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(decided.iter().map(|d| d.reject_reason).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(column(&|d| d.record.cost.input.amount()))
        .push("::numeric[], ")
        .push_bind(column(&|d| d.record.cost.output.amount()))
        .push("::numeric[], ")
        .push_bind(column(&|d| d.record.cost.fee.amount()))
        .push("::numeric[], ")
        .push_bind(column(&|d| d.record.cost.total.amount()))
        .push("::numeric[], ")
        .push_bind(decided.iter().map(|d| posted.get(&d.record.request_id.to_string()).copied()).collect::<Vec<_>>())
        .push("::bigint[], ")
        .push_bind(column(&|d| d.record.balance_after.amount()))
        .push("::numeric[], ")
        .push_bind(decided.iter().map(|d| d.idempotency_key.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(decided.iter().map(|d| d.record.via.as_str()).collect::<Vec<_>>())
        .push(
            "::text[]) WITH ORDINALITY AS t(id, account_id, key_id, service, model, input, output, status, reason, \
                 cost_input, cost_output, cost_fee, cost_total, entry, balance_after, idem, via, n)), \
             calls AS (INSERT INTO requests \
                 (id, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status, \
                  reject_reason, cost_input, cost_output, cost_fee, cost_total, ledger_entry_id, balance_after, \
                  idempotency_key, via, created_at) \
             SELECT t.id, t.account_id, t.key_id, t.service, t.model, t.input, t.output, t.status, t.reason, \
                    t.cost_input, t.cost_output, t.cost_fee, t.cost_total, COALESCE(e.id, t.entry), t.balance_after, \
                    t.idem, t.via, ",
        )
        .push_bind(at)
        .push(
            " FROM t LEFT JOIN entries e ON e.reference = t.id::text ORDER BY t.n), \
             remembered AS (INSERT INTO request_idempotency (account_id, idempotency_key, request_id, created_at) \
             SELECT t.account_id, t.idem, t.id, ",
        )
        .push_bind(at)
        .push(
            " FROM t WHERE t.idem IS NOT NULL AND t.status = 'completed'), \
             sums AS (SELECT account_id, service, model, \
                    count(*) FILTER (WHERE status = 'completed') AS requests, \
                    count(*) FILTER (WHERE status = 'rejected') AS rejected, \
                    sum(cost_total) AS cost \
               FROM t GROUP BY account_id, service, model), \
             daily AS (INSERT INTO usage_daily AS d (account_id, day, service_id, model, requests, rejected, cost) \
             SELECT sums.account_id, (",
        )
        .push_bind(at)
        .push(
            " AT TIME ZONE a.timezone)::date, sums.service, sums.model, sums.requests, sums.rejected, sums.cost \
               FROM sums JOIN accounts a ON a.id = sums.account_id \
             ON CONFLICT (account_id, day, service_id, model) DO UPDATE \
                SET requests = d.requests + excluded.requests, \
                    rejected = d.rejected + excluded.rejected, \
                    cost = d.cost + excluded.cost), \
             buckets AS (INSERT INTO usage_rollups AS u (account_id, bucket, service_id, model, requests, rejected, cost) \
             SELECT sums.account_id, ",
        )
        .push_bind(rollup_bucket(at))
        .push(
            ", sums.service, sums.model, sums.requests, sums.rejected, sums.cost \
               FROM sums \
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

/// The batch's spend of each team member whose keys paid, per account, in one statement (personal accounts
/// have no member budgets and skip it). Written under the wallets' locks, like every charge of an account.
/// `spend`: (account, member, month, spend this month).
pub(super) async fn record_member_spend(
    conn: &mut PgConnection,
    spend: &[(Uuid, Uuid, chrono::NaiveDate, Decimal)],
) -> Result<(), AppError> {
    if spend.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE memberships m SET budget_month = c.month, month_spend = c.spend
           FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::numeric[]) AS c(account_id, user_id, month, spend)
          WHERE m.account_id = c.account_id AND m.user_id = c.user_id",
        spend.iter().map(|s| s.0).collect::<Vec<_>>() as Vec<_>,
        spend.iter().map(|s| s.1).collect::<Vec<_>>() as Vec<_>,
        spend.iter().map(|s| s.2).collect::<Vec<_>>() as Vec<_>,
        spend.iter().map(|s| s.3).collect::<Vec<_>>() as Vec<_>,
    )
    .execute(conn)
    .await?;
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

/// Forgets calls' idempotency keys after the 24 hours they are kept (docs/CONTRACT.md "JSON API"; the
/// maintenance pass); how many.
pub async fn forget_expired_keys(pool: &PgPool) -> Result<u64, AppError> {
    Ok(sqlx::query!("DELETE FROM request_idempotency WHERE created_at < now() - interval '24 hours'")
        .execute(pool)
        .await?
        .rows_affected())
}
