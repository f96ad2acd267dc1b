//! `charge_calls`: the money transaction of metered calls. One transaction applies a batch — the calls
//! queued for one or many wallets (`meter`) — each wallet's calls in arrival order against its running
//! balance:
//!
//! 1. lock the batch's wallet rows and spend keys in one statement, in one fixed order (`locks`): each
//!    wallet, then its keys, by id — so batches wait on each other but never crosswise, on any number of
//!    servers; keys are re-checked as still active (a revoke wins over queued calls);
//! 2. replay calls whose `Idempotency-Key` was seen before (same parameters) or refuse them (different);
//! 3. per wallet, per call (`decide`): free → completed at 0; over the key's cycle limit → rejected; over
//!    the monthly budget of the team member who made the key → rejected; over the balance → rejected; else
//!    completed and the running balance goes down. A refusal is decided here, never by the database, so it
//!    never rolls back its neighbours — of its wallet or of any other;
//! 4. write, in one statement for all wallets (`record`): the ledger debits (one entry per paid call, one
//!    balance update per wallet, checked against its running balance), the request rows with their cost
//!    breakdowns, the usage rollups (15-minute and daily) and the key counters, aggregated per batch;
//! 5. for a wallet the batch took below its auto top-up threshold (while the rule is on), queue one top-up
//!    job in the same transaction (`payments::auto_top_up`); below the low-balance alert, emit `balance.low`
//!    to the account's webhooks (`webhooks::outbox`);
//! 6. commit — only then is any call answered.
//!
//! If the batch fails before its commit (the database refused a statement, so nothing of it was kept) and it
//! held more than one wallet, each wallet is retried alone, so one wallet's failure is never its
//! neighbours'. A batch of several wallets waits at most 500 ms for any one wallet's lock (`lock_timeout`)
//! and is then split the same way, so a wallet held by a slow transaction holds up only itself: the
//! wallets are retried alone with the same limit first, and those that fail again get a last try without it. A failed
//! commit is not retried: whether it was kept is unknown, and a retry could charge twice; nor is a batch
//! that got no connection, and the retries stop at the first wallet that gets none.
//!
//! Invariants: a balance never goes negative (and the CHECK would refuse it anyway); balance = Σ ledger; a
//! rejected call writes only its `rejected` row at cost 0; every call sent is recorded exactly once; a
//! batch's outcome for each wallet is the one that wallet's calls would have had alone, in the same order.

use super::decide::{decide_wallet, earlier_calls, Decided, EarlierCalls};
use super::locks::{lock_wallets_and_keys, Locked};
use super::record::{record_calls, record_member_spend, KeyCounters};
use crate::ledger::UsageDebits;
use crate::payments::auto_top_up;
use crate::webhooks::outbox;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::auto_top_up::rule::crosses;
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

pub use super::batch::{CallAnswer, MeteredCall, WalletCalls};
pub use super::record::rollup_bucket;

/// How long a batch of several wallets waits for one wallet's lock before it is split: one wallet held
/// by a slow transaction (a timezone change rebuilding its rollups, say) must not hold up the others.
const SHARED_BATCH_LOCK_TIMEOUT: &str = "500ms";

/// What became of a batch: one answer per call, wallet by wallet as given, and whether it had to be split.
pub struct Charged {
    pub answers: Vec<Vec<CallAnswer>>,
    /// The batch failed before its commit and its wallets were charged one by one (see the module docs).
    pub split: bool,
}

/// Applies a batch (see the module docs). Fails only when the database does; then every call of a
/// failed wallet gets the error.
#[tracing::instrument(name = "metering::charge_calls", skip_all, fields(wallets = batch.len()))]
pub async fn charge_calls(pool: &PgPool, batch: &[WalletCalls]) -> Charged {
    let failed = match charge_in_one_transaction(pool, batch, batch.len() > 1).await {
        Ok(answers) => return Charged { answers, split: false },
        Err(failed) => failed,
    };
    let all_fail = |err: &AppError| batch.iter().map(|w| vec![Err(err.clone()); w.calls.len()]).collect();
    // A failed commit may have been kept; no connection means a retry can't do better.
    if failed.stage != Stage::Statement || batch.len() == 1 {
        tracing::error!(wallets = batch.len(), error = %failed.err, stage = ?failed.stage, "charging a batch failed");
        return Charged { answers: all_fail(&failed.err), split: false };
    }
    tracing::warn!(wallets = batch.len(), error = %failed.err, "a batch failed before its commit; each wallet is retried alone");
    // Each wallet alone, still with the lock limit, so a held wallet doesn't hold up the ones after it;
    // the wallets that fail again get a last try without it.
    let mut answers: Vec<Option<Vec<CallAnswer>>> = vec![None; batch.len()];
    let mut no_connection: Option<AppError> = None;
    for patient in [false, true] {
        for (wallet, answer) in batch.iter().zip(answers.iter_mut()) {
            if answer.is_some() {
                continue;
            }
            if let Some(err) = &no_connection {
                *answer = Some(vec![Err(err.clone()); wallet.calls.len()]);
                continue;
            }
            match charge_in_one_transaction(pool, std::slice::from_ref(wallet), !patient).await {
                Ok(mut one) => *answer = Some(one.pop().unwrap_or_default()),
                Err(Failed { err, stage }) if patient || stage != Stage::Statement => {
                    tracing::error!(account_id = %wallet.account_id, error = %err, ?stage, "charging a wallet's calls failed");
                    if stage == Stage::Begin {
                        no_connection = Some(err.clone());
                    }
                    *answer = Some(vec![Err(err); wallet.calls.len()]);
                }
                Err(_) => {} // tried again below, without the lock limit
            }
        }
    }
    Charged { answers: answers.into_iter().map(Option::unwrap_or_default).collect(), split: true }
}

/// Where a batch's transaction failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// No transaction could be started (no connection): nothing was done.
    Begin,
    /// A statement failed: the transaction rolled back, nothing of it was kept.
    Statement,
    /// The commit failed: it may have been kept.
    Commit,
}

struct Failed {
    err: AppError,
    stage: Stage,
}

impl From<AppError> for Failed {
    fn from(err: AppError) -> Failed {
        Failed { err, stage: Stage::Statement }
    }
}

impl From<sqlx::Error> for Failed {
    fn from(err: sqlx::Error) -> Failed {
        Failed { err: err.into(), stage: Stage::Statement }
    }
}

/// One transaction for `batch`; with `lock_limit`, a lock wait past `SHARED_BATCH_LOCK_TIMEOUT` fails it.
async fn charge_in_one_transaction(
    pool: &PgPool,
    batch: &[WalletCalls],
    lock_limit: bool,
) -> Result<Vec<Vec<CallAnswer>>, Failed> {
    let mut tx = pool.begin().await.map_err(|err| Failed { err: err.into(), stage: Stage::Begin })?;
    if lock_limit {
        sqlx::query!("SELECT FROM set_config('lock_timeout', $1, true)", SHARED_BATCH_LOCK_TIMEOUT)
            .execute(&mut *tx)
            .await?;
    }
    let mut accounts: Vec<Uuid> = batch.iter().map(|w| w.account_id).collect();
    accounts.sort();
    accounts.dedup();
    let all_calls: Vec<&MeteredCall> = batch.iter().flat_map(|w| &w.calls).collect();
    let key_ids: Vec<Uuid> = all_calls.iter().map(|c| c.key_id).collect();
    let mut locked = lock_wallets_and_keys(&mut tx, &accounts, &key_ids).await?;
    let mut earlier = earlier_calls(&mut tx, &all_calls).await?;
    let answers = apply(&mut tx, &mut locked, batch, &mut earlier).await?;
    tx.commit().await.map_err(|err| Failed { err: err.into(), stage: Stage::Commit })?;
    Ok(answers)
}

/// Steps 3–5 for a batch whose wallets and keys `locked` holds, in the caller's transaction: each wallet's
/// calls decided, then written with their ledger debits, counters and triggers. The charge's own
/// transaction and a hold's capture (`holds`) both end here.
pub(super) async fn apply(
    tx: &mut PgConnection,
    locked: &mut Locked,
    batch: &[WalletCalls],
    earlier: &mut EarlierCalls,
) -> Result<Vec<Vec<CallAnswer>>, AppError> {
    let mut answers = Vec::with_capacity(batch.len());
    let mut decided: Vec<Decided> = Vec::new();
    let mut debits = UsageDebits::new();
    let mut counters: Vec<KeyCounters> = Vec::new();
    let mut member_spend = Vec::new();
    let mut crossings = Vec::new();
    for WalletCalls { account_id, calls } in batch {
        let Some(wallet) = locked.wallets.get_mut(account_id) else {
            answers.push(vec![Err(AppError::NotFound); calls.len()]);
            continue;
        };
        let outcome =
            decide_wallet(*account_id, wallet, locked.now, calls, earlier.entry(*account_id).or_default());
        debits.add_wallet(
            *account_id,
            wallet.opening_balance,
            wallet.opening_promotional,
            &outcome.debits,
        )?;
        counters.extend(wallet.keys.iter().filter(|(_, k)| k.used).map(|(id, k)| KeyCounters {
            id: *id,
            cycle_start: k.period.and_then(|p| p.cycle_start(locked.now)),
            cycle_spend: k.cycle_spend,
            total_spend_delta: k.total_spend_delta,
            completed: k.completed,
        }));
        member_spend.extend(
            wallet
                .members
                .iter()
                .filter(|(_, m)| m.used)
                .map(|(user, m)| (*account_id, *user, m.month, m.month_spend)),
        );
        crossings.push((*account_id, wallet.opening_balance, outcome.closing_balance));
        decided.extend(outcome.decided);
        answers.push(outcome.answers);
    }
    record_calls(&mut *tx, &decided, &HashMap::new(), &debits, locked.now, &counters).await?;
    record_member_spend(&mut *tx, &member_spend).await?;
    for (account_id, opening, closing) in crossings {
        let wallet = &locked.wallets[&account_id];
        if wallet.auto_top_up_below.is_some_and(|threshold| crosses(threshold, opening, closing)) {
            auto_top_up::job::enqueue(&mut *tx, account_id).await?;
        }
        if let Some(threshold) = wallet.low_balance_alert.filter(|t| crosses(*t, opening, closing)) {
            let data = json!({ "balance": Usd::new(closing).json_cents(), "threshold": Usd::new(threshold).json_cents() });
            outbox::emit(&mut *tx, account_id, EventType::BalanceLow, data).await?;
        }
    }
    Ok(answers)
}
