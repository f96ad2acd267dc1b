//! Group commit for metered calls (docs/ARCHITECTURE.md "Hot paths"). Calls of one wallet are queued to one task
//! per wallet; while a batch commits, the next calls gather, and the task then applies all of them in one
//! transaction (`charge::charge_calls`), in arrival order. So a busy wallet pays one fsync per batch, not
//! one per call, and each call is still answered only after the commit that recorded it, with its own exact
//! 201 or 402. Wallets don't share anything: each has its own queue and its own row lock.
//!
//! Across app servers the wallet row lock keeps batches of one wallet in order; within this process the
//! queue does, so this process never has two transactions waiting on the same wallet.
//!
//! A wallet's queue holds at most `QUEUE_CAPACITY` waiting calls: past that the call is refused at once
//! with `Busy` (503 "Busy, retry shortly", `Retry-After: 1`, docs/CONTRACT.md "Limits and account
//! security") and nothing is charged, so a flood on one wallet can't grow this process's memory without
//! bound.

use super::charge::{charge_calls, CallAnswer, MeteredCall};
use crate::error::AppError;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// At most this many calls per transaction (bounds the statement sizes and a batch's latency).
const MAX_BATCH: usize = 256;
/// A wallet's task ends after this long without calls (a new call starts a new one).
const IDLE: Duration = Duration::from_secs(10);
/// Calls of one wallet that may wait for their batch (16 full batches).
pub const QUEUE_CAPACITY: usize = 16 * MAX_BATCH;

struct Queued {
    call: MeteredCall,
    answer: oneshot::Sender<CallAnswer>,
}

/// The per-wallet queues. One per process, shared by every request handler.
pub struct Meter {
    pool: PgPool,
    queues: Mutex<HashMap<Uuid, mpsc::Sender<Queued>>>,
    capacity: usize,
}

impl Meter {
    pub fn new(pool: PgPool) -> Arc<Meter> {
        Meter::with_capacity(pool, QUEUE_CAPACITY)
    }

    /// A meter whose wallet queues hold `capacity` waiting calls (tests use a small one).
    pub fn with_capacity(pool: PgPool, capacity: usize) -> Arc<Meter> {
        Arc::new(Meter { pool, queues: Mutex::new(HashMap::new()), capacity: capacity.max(1) })
    }

    /// Charges one call: waits until the batch it joined has committed, then answers. `Busy` when the
    /// wallet's queue is full (the call is not charged).
    pub async fn charge(self: &Arc<Self>, call: MeteredCall) -> CallAnswer {
        let (answer, answered) = oneshot::channel();
        self.enqueue(Queued { call, answer })?;
        answered.await.map_err(|_| {
            tracing::error!("a wallet's charging task stopped without answering");
            AppError::Internal
        })?
    }

    fn enqueue(self: &Arc<Self>, queued: Queued) -> Result<(), AppError> {
        let account_id = queued.call.account_id;
        let mut queues = self.queues.lock().map_err(|_| {
            tracing::error!("meter queues poisoned");
            AppError::Internal
        })?;
        let queued = match queues.get(&account_id) {
            Some(queue) => match queue.try_send(queued) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(%account_id, "a wallet's queue of paid calls is full; call refused");
                    return Err(AppError::Busy);
                }
                // Its task is gone (it panicked): start a new one below.
                Err(mpsc::error::TrySendError::Closed(queued)) => queued,
            },
            None => queued,
        };
        let (queue, calls) = mpsc::channel(self.capacity);
        if queue.try_send(queued).is_err() {
            return Err(AppError::Internal); // a new channel with room and a live receiver takes it
        }
        queues.insert(account_id, queue);
        tokio::spawn(self.clone().run_wallet(account_id, calls));
        Ok(())
    }

    /// One wallet's task: take everything queued (up to `MAX_BATCH`), charge it in one transaction, answer.
    async fn run_wallet(self: Arc<Self>, account_id: Uuid, mut calls: mpsc::Receiver<Queued>) {
        loop {
            let first = match tokio::time::timeout(IDLE, calls.recv()).await {
                Ok(Some(first)) => first,
                Ok(None) => return,
                Err(_idle) => {
                    // Retire under the lock that senders hold, so no call can slip in unseen.
                    let Ok(mut queues) = self.queues.lock() else { return };
                    if calls.is_empty() {
                        queues.remove(&account_id);
                        return;
                    }
                    continue;
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match calls.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let metered: Vec<MeteredCall> = batch.iter().map(|q| q.call.clone()).collect();
            let answers = match charge_calls(&self.pool, account_id, &metered).await {
                Ok(answers) => answers,
                Err(err) => {
                    tracing::error!(%account_id, calls = metered.len(), error = %err, "charging a batch failed");
                    vec![Err(err); metered.len()]
                }
            };
            for (queued, answer) in batch.into_iter().zip(answers) {
                // A caller that went away (client disconnected) simply isn't told; its call is recorded.
                let _ = queued.answer.send(answer);
            }
        }
    }
}
