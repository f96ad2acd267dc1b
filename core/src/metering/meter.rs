//! Group commit for metered calls, across wallets (docs/ARCHITECTURE.md "Hot paths"). Calls are queued to
//! a few *lanes* — each wallet always to the same one — and each lane runs one transaction at a time: while
//! a batch commits, the next calls gather, of every wallet of the lane, and the lane then applies all of
//! them in one transaction (`charge::charge_calls`), each wallet's calls in arrival order. So the database
//! pays one commit (one WAL flush) and a handful of statements per batch, not per call — for one busy
//! wallet and for calls spread over a thousand wallets alike — and each call is still answered only after
//! the commit that recorded it, with its own exact 201 or 402.
//!
//! One lane per wallet means this process never has two transactions waiting on the same wallet; across
//! app servers the wallet row lock keeps a wallet's batches in order, and `locks` takes the batch's locks
//! in one fixed order, so batches never wait on each other crosswise.
//!
//! **Fair and bounded.** A batch takes at most `MAX_BATCH` calls, wallet by wallet in the order they became
//! ready; a wallet with calls left over goes to the back of the line, so a flood on one wallet delays the
//! others of its lane by at most one batch. A wallet holds at most `capacity` waiting calls: past that a
//! call is refused at once with `Busy` (503 "Busy, retry shortly", `Retry-After: 1`, docs/CONTRACT.md
//! "Limits and account security") and nothing is charged, so a flood can't grow this process's memory
//! without bound.

use super::charge::{charge_calls, CallAnswer, Charged, MeteredCall, WalletCalls};
use sqlx::PgPool;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{oneshot, Notify};
use tollgate_domain::error::AppError;
use uuid::Uuid;

/// At most this many calls per transaction (bounds the statement sizes and a batch's latency).
const MAX_BATCH: usize = 256;
/// Calls of one wallet that may wait for their batch (16 full batches).
pub const QUEUE_CAPACITY: usize = 16 * MAX_BATCH;
/// Lanes when the server's settings don't say (`TOLLGATE_METER_LANES`): enough to overlap one batch's
/// commit with the next one's statements on a small machine (measured in docs/BENCHMARKS.md).
pub const DEFAULT_LANES: usize = 2;

struct Queued {
    call: MeteredCall,
    answer: oneshot::Sender<CallAnswer>,
}

/// A lane's waiting calls: per wallet in arrival order, and the wallets in the order they became ready.
/// A wallet is in `ready` exactly when it has waiting calls.
#[derive(Default)]
struct Waiting {
    wallets: HashMap<Uuid, VecDeque<Queued>>,
    ready: VecDeque<Uuid>,
}

impl Waiting {
    /// Queues a call, or refuses it with `Busy` when its wallet already has `capacity` calls waiting.
    fn push(&mut self, queued: Queued, capacity: usize) -> Result<(), AppError> {
        let account_id = queued.call.account_id;
        let calls = self.wallets.entry(account_id).or_default();
        if calls.len() >= capacity {
            tracing::warn!(%account_id, "a wallet's queue of paid calls is full; call refused");
            return Err(AppError::Busy);
        }
        if calls.is_empty() {
            self.ready.push_back(account_id);
        }
        calls.push_back(queued);
        Ok(())
    }

    /// The next batch: up to `MAX_BATCH` calls, taking each ready wallet's calls in turn (see the module
    /// docs); a wallet with calls left over goes to the back.
    fn take_batch(&mut self) -> Vec<(Uuid, Vec<Queued>)> {
        let mut batch = Vec::new();
        let mut room = MAX_BATCH;
        for _ in 0..self.ready.len() {
            if room == 0 {
                break;
            }
            let Some(account_id) = self.ready.pop_front() else { break };
            let Some(calls) = self.wallets.get_mut(&account_id) else { continue };
            // A caller that went away before its batch began (it disconnected, or its request timed out)
            // is not charged: it never learnt of the call, and may send it again.
            let taken: Vec<Queued> =
                calls.drain(..calls.len().min(room)).filter(|q| !q.answer.is_closed()).collect();
            room -= taken.len();
            if calls.is_empty() {
                self.wallets.remove(&account_id);
            } else {
                self.ready.push_back(account_id);
            }
            if !taken.is_empty() {
                batch.push((account_id, taken));
            }
        }
        batch
    }
}

/// One lane: its waiting calls and the task that charges them (started with the lane's first call).
#[derive(Default)]
struct Lane {
    waiting: Mutex<Waiting>,
    wake: Notify,
    started: AtomicBool,
}

impl Lane {
    fn waiting(&self) -> Result<MutexGuard<'_, Waiting>, AppError> {
        self.waiting.lock().map_err(|_| AppError::bug("a meter lane's queue is poisoned"))
    }
}

/// Marks its lane as stopped when the lane's task ends, however it ends.
struct RestartOnExit<'a>(&'a Lane);

impl Drop for RestartOnExit<'_> {
    fn drop(&mut self) {
        self.0.started.store(false, Ordering::Release);
    }
}

/// The lanes. One per process, shared by every request handler.
pub struct Meter {
    pool: PgPool,
    lanes: Vec<Lane>,
    capacity: usize,
    /// Batches that failed before their commit and were charged wallet by wallet (`charge`).
    split_batches: AtomicU64,
}

impl Meter {
    pub fn new(pool: PgPool) -> Arc<Meter> {
        Meter::with_settings(pool, DEFAULT_LANES, QUEUE_CAPACITY)
    }

    /// A meter with `lanes` lanes (at least one) and `capacity` waiting calls per wallet (tests use a small one).
    pub fn with_settings(pool: PgPool, lanes: usize, capacity: usize) -> Arc<Meter> {
        let lanes = (0..lanes.max(1)).map(|_| Lane::default()).collect();
        Arc::new(Meter { pool, lanes, capacity: capacity.max(1), split_batches: AtomicU64::new(0) })
    }

    /// How many batches had to be split (a lock wait past the limit, a statement refused): tests expect
    /// none from ordinary traffic.
    pub fn split_batches(&self) -> u64 {
        self.split_batches.load(Ordering::Relaxed)
    }

    /// Charges one call: waits until the batch it joined has committed, then answers. `Busy` when the
    /// wallet's queue is full (the call is not charged).
    pub async fn charge(self: &Arc<Self>, call: MeteredCall) -> CallAnswer {
        let (answer, answered) = oneshot::channel();
        let lane_index = self.lane_of(call.account_id);
        let lane = &self.lanes[lane_index];
        lane.waiting()?.push(Queued { call, answer }, self.capacity)?;
        if !lane.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(self.clone().run_lane(lane_index));
        }
        lane.wake.notify_one();
        answered
            .await
            .map_err(|err| AppError::internal("a meter lane stopped without answering a call", err))?
    }

    /// A wallet's lane: the same for every call of the wallet, for the life of the process.
    fn lane_of(&self, account_id: Uuid) -> usize {
        (account_id.as_u128() % self.lanes.len() as u128) as usize
    }

    /// A lane's task: take the next batch, charge it in one transaction, answer; wait when nothing waits.
    async fn run_lane(self: Arc<Self>, lane_index: usize) {
        let lane = &self.lanes[lane_index];
        // Should this task ever end, the lane's next call starts a new one.
        let _restart = RestartOnExit(lane);
        loop {
            let batch = match lane.waiting() {
                Ok(mut waiting) => waiting.take_batch(),
                Err(_) => return,
            };
            if batch.is_empty() {
                // A call queued since the look above left a permit: this returns at once.
                lane.wake.notified().await;
                continue;
            }
            let wallets: Vec<WalletCalls> = batch
                .iter()
                .map(|(account_id, queued)| WalletCalls {
                    account_id: *account_id,
                    calls: queued.iter().map(|q| q.call.clone()).collect(),
                })
                .collect();
            // Its own task, so a panic while charging fails this batch's calls, not the lane.
            let pool = self.pool.clone();
            let charged = tokio::spawn(async move { charge_calls(&pool, &wallets).await })
                .await
                .unwrap_or_else(|err| {
                    tracing::error!(error = %err, "charging a batch panicked");
                    Charged { answers: Vec::new(), split: false }
                });
            if charged.split {
                self.split_batches.fetch_add(1, Ordering::Relaxed);
            }
            let mut answers = charged.answers.into_iter();
            for (_, queued) in batch {
                let mut wallet_answers = answers.next().unwrap_or_default().into_iter();
                for q in queued {
                    // A caller that went away (client disconnected) simply isn't told; its call is recorded.
                    let _ = q.answer.send(
                        wallet_answers
                            .next()
                            .unwrap_or_else(|| Err(AppError::bug("a batch gave a call no answer"))),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use tollgate_domain::catalog::pricing::{Price, Usage};

    /// A queued call whose caller is still waiting (its receiver is kept in `callers`).
    fn queued(account_id: Uuid, callers: &mut Vec<oneshot::Receiver<CallAnswer>>) -> Queued {
        let call = MeteredCall {
            account_id,
            key_id: Uuid::nil(),
            service: "exa".into(),
            model: "search".into(),
            usage: Usage::new(0, 0).unwrap(),
            price: Price {
                input_per_million: Decimal::ZERO,
                output_per_million: Decimal::ZERO,
                per_request: Decimal::ZERO,
            },
            idempotency_key: None,
            reserved: None,
            via: tollgate_domain::metering::call::Via::Api,
        };
        let (answer, caller) = oneshot::channel();
        callers.push(caller);
        Queued { call, answer }
    }

    #[test]
    fn a_flood_on_one_wallet_delays_the_others_by_at_most_one_batch() {
        let (flooded, quiet) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (mut waiting, mut callers) = (Waiting::default(), Vec::new());
        for _ in 0..(3 * MAX_BATCH - 1) {
            waiting.push(queued(flooded, &mut callers), usize::MAX).unwrap();
        }
        waiting.push(queued(quiet, &mut callers), usize::MAX).unwrap();
        let first = waiting.take_batch();
        assert_eq!(
            first.iter().map(|(id, q)| (*id, q.len())).collect::<Vec<_>>(),
            vec![(flooded, MAX_BATCH)]
        );
        let second = waiting.take_batch();
        assert_eq!(second[0].0, quiet, "the quiet wallet goes first in the next batch");
        assert_eq!(second.iter().map(|(_, q)| q.len()).sum::<usize>(), MAX_BATCH);
        let third = waiting.take_batch();
        assert_eq!(
            third.iter().map(|(id, q)| (*id, q.len())).collect::<Vec<_>>(),
            vec![(flooded, MAX_BATCH)]
        );
        assert!(waiting.take_batch().is_empty() && waiting.wallets.is_empty() && waiting.ready.is_empty());
    }

    #[test]
    fn a_full_wallet_refuses_without_touching_its_neighbours() {
        let (full, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (mut waiting, mut callers) = (Waiting::default(), Vec::new());
        waiting.push(queued(full, &mut callers), 2).unwrap();
        waiting.push(queued(full, &mut callers), 2).unwrap();
        assert_eq!(waiting.push(queued(full, &mut callers), 2), Err(AppError::Busy));
        waiting.push(queued(other, &mut callers), 2).unwrap();
        let batch = waiting.take_batch();
        assert_eq!(
            batch.iter().map(|(id, q)| (*id, q.len())).collect::<Vec<_>>(),
            vec![(full, 2), (other, 1)]
        );
    }

    #[test]
    fn a_caller_that_went_away_before_its_batch_is_not_charged() {
        let (wallet, mut callers) = (Uuid::from_u128(1), Vec::new());
        let mut waiting = Waiting::default();
        waiting.push(queued(wallet, &mut callers), 8).unwrap();
        waiting.push(queued(wallet, &mut callers), 8).unwrap();
        drop(callers.remove(0)); // the first caller disconnected
        let batch = waiting.take_batch();
        assert_eq!(batch.iter().map(|(id, q)| (*id, q.len())).collect::<Vec<_>>(), vec![(wallet, 1)]);
        drop(callers.remove(0));
        waiting.push(queued(wallet, &mut callers), 8).unwrap();
        drop(callers.remove(0));
        assert!(waiting.take_batch().is_empty(), "a wallet whose callers all left is dropped from the batch");
        assert!(waiting.wallets.is_empty() && waiting.ready.is_empty());
    }
}
