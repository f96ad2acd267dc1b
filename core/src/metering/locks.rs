//! Step 1 of a charge (see `charge`), and of every change to a hold (`holds`): the wallets and spend keys,
//! locked in one statement, with what the decisions need — balances, the keys' limits and cycle spend, the
//! key makers' monthly budgets on a team, what open holds reserve of each, and the thresholds that fire an
//! auto top-up or a low-balance alert.
//!
//! **Read after the locks.** Under READ COMMITTED a statement that waited for a row lock sees the locked
//! rows at their newest version but every other row as it was when the statement began. So the statement
//! that locks reads only what it locks (wallets, keys) and the time, taken once every lock is held; the
//! team members' budgets and spend and the open holds — changed only under their wallet's lock — are read by
//! later statements, which see what the last holder of the lock committed.
//!
//! **Lock order.** Rows are locked in the order the sorted result emits them: each wallet (by account id),
//! right after it that wallet's keys (by key id), then the next wallet. Every transaction that locks rows of
//! a wallet takes them in this order (wallet, then memberships or keys; docs/ARCHITECTURE.md "Hot paths"),
//! and nothing else locks two wallets, so two batches — of this server or another one — can wait on each
//! other but never crosswise.

use crate::credit;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::{KeyStatus, LimitPeriod};
use uuid::Uuid;

/// A spend key's state for this batch (its row is locked until commit).
pub(super) struct KeyState {
    pub status: KeyStatus,
    /// The member who made it (whose monthly budget its calls count against, on a team).
    pub maker: Uuid,
    pub limit: Option<Decimal>,
    pub period: Option<LimitPeriod>,
    /// The services it may call (`None`: every one), as stored now: an edit is seen by the next batch.
    pub allowed_services: Option<Vec<String>>,
    /// Spent in the current cycle, including this batch's calls so far.
    pub cycle_spend: Decimal,
    /// Reserved by the key's open holds (unexpired), which count against its limit until resolved.
    pub held: Decimal,
    pub total_spend_delta: Decimal,
    pub completed: i64,
    pub used: bool,
}

/// What a team member's keys spent this month (UTC), against the budget an Admin set for them.
pub(super) struct MemberSpend {
    pub budget: Option<Decimal>,
    /// The 1st of the month `month_spend` belongs to: the current one.
    pub month: NaiveDate,
    /// Spent this month, including this batch's calls so far.
    pub month_spend: Decimal,
    /// Reserved by the open holds (unexpired) of the keys this member made.
    pub held: Decimal,
    pub used: bool,
}

impl MemberSpend {
    /// Whether `cost` more would take the member past the budget an Admin set (their open holds count).
    pub fn would_pass(&self, cost: Decimal) -> bool {
        self.budget.is_some_and(|budget| self.month_spend + self.held + cost > budget)
    }
}

/// One locked wallet of the batch.
pub(super) struct LockedWallet {
    pub opening_balance: Decimal,
    /// The promotional credit in `opening_balance` (spent first; docs/CONTRACT.md "Promotional credit").
    pub opening_promotional: Decimal,
    /// Reserved by the wallet's open holds that haven't expired: the money a call may spend is the
    /// balance less this.
    pub held: Decimal,
    /// The batch's keys of this account, by id.
    pub keys: HashMap<Uuid, KeyState>,
    /// The key makers' monthly spend, on a team (by user id).
    pub members: HashMap<Uuid, MemberSpend>,
    /// The auto top-up rule's threshold, while it is on: a batch that takes the balance below it queues
    /// one top-up in its own transaction (docs/ARCHITECTURE.md "Auto top-up").
    pub auto_top_up_below: Option<Decimal>,
    /// The low-balance alert: a batch that takes the balance below it emits `balance.low` (once per
    /// crossing) to the account's webhooks.
    pub low_balance_alert: Option<Decimal>,
}

/// Everything the batch holds locked until commit, by account id. An account of the batch that has no
/// wallet (or none of the batch's keys) is missing here.
pub(super) struct Locked {
    pub now: DateTime<Utc>,
    pub wallets: HashMap<Uuid, LockedWallet>,
}

/// One row of the statement: a wallet (repeated on each of its keys' rows) and one locked key.
struct LockedKeyRow {
    account_id: Uuid,
    balance: Decimal,
    promotional: Decimal,
    promotional_expires_at: Option<DateTime<Utc>>,
    open_holds: i32,
    now: DateTime<Utc>,
    key_id: Uuid,
    status: KeyStatus,
    limit_amount: Option<Decimal>,
    limit_period: Option<LimitPeriod>,
    allowed_services: Option<Vec<String>>,
    cycle_start: Option<DateTime<Utc>>,
    cycle_spend: Decimal,
    maker: Uuid,
    is_team: bool,
    /// The threshold of the account's auto top-up rule, while it is on.
    auto_top_up_below: Option<Decimal>,
    /// The account's low-balance alert ("Alert below").
    low_balance_threshold: Option<Decimal>,
}

/// Locks the wallets of `accounts` and the spend keys `key_ids` (see the module docs for the order).
pub(super) async fn lock_wallets_and_keys(
    conn: &mut PgConnection,
    accounts: &[Uuid],
    key_ids: &[Uuid],
) -> Result<Locked, AppError> {
    let mut key_ids = key_ids.to_vec();
    key_ids.sort();
    key_ids.dedup();
    // The time is read per row after the row is locked (the outer query runs above the locking): the
    // batch's time is the latest, so it is never earlier than a batch that committed before these locks
    // were granted — a key's daily cycle or a member's month never moves backwards.
    let rows: Vec<LockedKeyRow> = sqlx::query_as!(
        LockedKeyRow,
        r#"SELECT locked.account_id, locked.balance, locked.promotional,
                  locked.promotional_expires_at AS "promotional_expires_at?: _", locked.open_holds, locked.key_id, locked.status AS "status: KeyStatus",
                  locked.limit_amount AS "limit_amount?", locked.limit_period AS "limit_period?: LimitPeriod",
                  locked.allowed_services AS "allowed_services?", locked.cycle_start AS "cycle_start?: _",
                  locked.cycle_spend, locked.maker, locked.is_team AS "is_team!",
                  locked.auto_top_up_below AS "auto_top_up_below?",
                  locked.low_balance_threshold AS "low_balance_threshold?", clock_timestamp() AS "now!: _"
             FROM (
           SELECT w.account_id, w.balance, w.promotional, w.promotional_expires_at, w.open_holds, k.id AS key_id, k.status, k.limit_amount, k.limit_period,
                  k.allowed_services, k.cycle_start, k.cycle_spend, k.created_by AS maker, a.kind = 'team' AS is_team,
                  s.threshold AS auto_top_up_below, a.low_balance_threshold
             FROM wallets w
             JOIN spend_keys k ON k.account_id = w.account_id AND k.id = ANY($2)
             JOIN accounts a ON a.id = w.account_id
             LEFT JOIN auto_top_up_settings s ON s.account_id = w.account_id AND s.enabled
            WHERE w.account_id = ANY($1)
            ORDER BY w.account_id, k.id
              FOR UPDATE OF w, k) AS locked"#,
        accounts,
        &key_ids[..],
    )
    .fetch_all(&mut *conn)
    .await?;
    let Some(now) = rows.iter().map(|r| r.now).max() else {
        return Ok(Locked { now: Utc::now(), wallets: HashMap::new() });
    };
    let expired = expire_promotional_credit(conn, &rows, now).await?;
    let mut members = member_spend(conn, &rows, now).await?;
    let holds = open_holds(conn, &rows, now).await?;
    let mut wallets: HashMap<Uuid, LockedWallet> = HashMap::new();
    for row in rows {
        let (opening_balance, opening_promotional) =
            expired.get(&row.account_id).copied().unwrap_or((row.balance, row.promotional));
        let wallet = wallets.entry(row.account_id).or_insert_with(|| LockedWallet {
            opening_balance,
            opening_promotional,
            held: holds.iter().filter(|h| h.account_id == row.account_id).map(|h| h.held).sum(),
            keys: HashMap::new(),
            members: HashMap::new(),
            auto_top_up_below: row.auto_top_up_below,
            low_balance_alert: row.low_balance_threshold,
        });
        // A maker of several keys is taken once (the first of their keys moves the entry).
        if let Some(mut member) = members.remove(&(row.account_id, row.maker)) {
            member.held = holds
                .iter()
                .filter(|h| h.account_id == row.account_id && h.maker == row.maker)
                .map(|h| h.held)
                .sum();
            wallet.members.insert(row.maker, member);
        }
        let current_cycle = row.limit_period.and_then(|p| p.cycle_start(now));
        let key = KeyState {
            status: row.status,
            maker: row.maker,
            limit: row.limit_amount,
            period: row.limit_period,
            allowed_services: row.allowed_services,
            // A cycle that has ended spent nothing of the current one.
            cycle_spend: if row.cycle_start == current_cycle { row.cycle_spend } else { Decimal::ZERO },
            held: holds
                .iter()
                .filter(|h| h.account_id == row.account_id && h.key_id == row.key_id)
                .map(|h| h.held)
                .sum(),
            total_spend_delta: Decimal::ZERO,
            completed: 0,
            used: false,
        };
        wallet.keys.insert(row.key_id, key);
    }
    Ok(Locked { now, wallets })
}

/// Takes the unspent rest of every promotional grant past its expiry out of the locked wallets that have
/// one (docs/CONTRACT.md "Promotional credit"), so no call spends a grant's credit after its expiry;
/// answers those wallets' balance and promotional credit after it. Nearly every batch has none: no
/// statement for them.
async fn expire_promotional_credit(
    conn: &mut PgConnection,
    rows: &[LockedKeyRow],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, (Decimal, Decimal)>, AppError> {
    // The rows come wallet by wallet: one entry per wallet.
    let mut due: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.promotional_expires_at.is_some_and(|at| at <= now))
        .map(|r| r.account_id)
        .collect();
    due.dedup();
    let mut after = HashMap::new();
    for account_id in due {
        let wallet = credit::expire_locked(conn, account_id, now).await?;
        after.insert(account_id, (wallet.balance, wallet.promotional));
    }
    Ok(after)
}

/// A team member's budget and spend as stored.
struct MemberRow {
    account_id: Uuid,
    user_id: Uuid,
    monthly_budget: Option<Decimal>,
    budget_month: Option<NaiveDate>,
    month_spend: Decimal,
}

/// The monthly spend of the team members who made the batch's keys, by (account, member), read after the
/// wallet locks are held (see the module docs). Personal accounts have none: no statement for them.
async fn member_spend(
    conn: &mut PgConnection,
    rows: &[LockedKeyRow],
    now: DateTime<Utc>,
) -> Result<HashMap<(Uuid, Uuid), MemberSpend>, AppError> {
    let team_keys: Vec<Uuid> = rows.iter().filter(|r| r.is_team).map(|r| r.key_id).collect();
    if team_keys.is_empty() {
        return Ok(HashMap::new());
    }
    let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .ok_or_else(|| AppError::bug("the first day of this month"))?;
    let members: Vec<MemberRow> = sqlx::query_as!(
        MemberRow,
        r#"SELECT DISTINCT m.account_id, m.user_id, m.monthly_budget, m.budget_month AS "budget_month?: _", m.month_spend
           FROM spend_keys k JOIN memberships m ON m.account_id = k.account_id AND m.user_id = k.created_by
          WHERE k.id = ANY($1)"#,
        &team_keys[..],
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(members
        .into_iter()
        .map(|m| {
            let month_spend = if m.budget_month == Some(this_month) { m.month_spend } else { Decimal::ZERO };
            let spend = MemberSpend {
                budget: m.monthly_budget,
                month: this_month,
                month_spend,
                held: Decimal::ZERO,
                used: false,
            };
            ((m.account_id, m.user_id), spend)
        })
        .collect())
}

/// What the open holds of one key reserve (a sum of its unexpired holds).
struct HeldByKey {
    account_id: Uuid,
    key_id: Uuid,
    maker: Uuid,
    held: Decimal,
}

/// The unexpired open holds of the locked wallets that have any, summed per key (with the key's maker),
/// read after the wallet locks are held (see the module docs). Wallets without open holds — nearly every
/// batch — cost no statement.
async fn open_holds(
    conn: &mut PgConnection,
    rows: &[LockedKeyRow],
    now: DateTime<Utc>,
) -> Result<Vec<HeldByKey>, AppError> {
    let mut accounts: Vec<Uuid> = rows.iter().filter(|r| r.open_holds > 0).map(|r| r.account_id).collect();
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    accounts.dedup();
    Ok(sqlx::query_as!(
        HeldByKey,
        r#"SELECT h.account_id, h.spend_key_id AS key_id, k.created_by AS maker, sum(h.amount) AS "held!"
             FROM holds h JOIN spend_keys k ON k.account_id = h.account_id AND k.id = h.spend_key_id
            WHERE h.account_id = ANY($1) AND h.status = 'held' AND h.expires_at > $2
            GROUP BY h.account_id, h.spend_key_id, k.created_by"#,
        &accounts[..],
        now as DateTime<Utc>,
    )
    .fetch_all(&mut *conn)
    .await?)
}
