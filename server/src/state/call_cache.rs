//! Short-lived memory for `POST /v1/requests`, the hottest route: which account a spend key belongs to and
//! what a model costs. Each is one indexed read that would otherwise run for every call, beside a charging
//! transaction that costs only a few statements more.
//!
//! Why neither can charge wrongly:
//! - **Keys**: only keys that authenticated as active are remembered, by the SHA-256 of the presented
//!   secret (the secret itself is never kept). A key's status and its allowed services are re-read by the
//!   charging transaction under the key's row lock (`metering::charge`), so a paused or revoked key, or a
//!   service an edit took away, is refused from the next batch on. An edit of a key (its services, rate
//!   limit, funding) also announces itself at commit (`KEY_CHANGED_CHANNEL`): every server forgets the
//!   keys it remembers, so a rate limit or a service an edit added holds from the next call on too. Other
//!   routes don't use this cache: they check the key afresh every time.
//! - **Prices**: a catalog row read less than `TTL` ago. Prices are data (a migration seeds them); a change
//!   applies to calls from at most `TTL` later, like a price change announced for the next minute.
//!
//! Both maps are bounded: when full they are emptied (the next calls read the database again).

use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tollgate_core::catalog::db as catalog;
use tollgate_core::keys::db::{authenticate, AuthenticatedKey, KEY_CHANGED_CHANNEL};
use tollgate_core::keys::secret;
use tollgate_core::pg_wakeup::run_when_notified;
use tollgate_domain::catalog::pricing::Price;
use tollgate_domain::error::AppError;

const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 100_000;

/// Values with the instant they were read.
type Remembered<K, V> = Mutex<HashMap<K, (V, Instant)>>;

#[derive(Default)]
pub struct CallCache {
    /// By the SHA-256 of the presented secret.
    keys: Remembered<[u8; 32], AuthenticatedKey>,
    /// By (service, model).
    prices: Remembered<(String, String), Option<Price>>,
}

impl CallCache {
    /// A cache that forgets its remembered keys whenever a key is edited, on any server (see the module
    /// docs), for as long as the pool is open.
    pub fn forgetting_edited_keys(pool: PgPool) -> Arc<CallCache> {
        let cache = Arc::new(CallCache::default());
        let forgetful = Arc::downgrade(&cache);
        tokio::spawn(run_when_notified(pool, KEY_CHANGED_CHANNEL, TTL, "key cache", move || {
            if let Some(cache) = forgetful.upgrade() {
                cache.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
            }
            std::future::ready(())
        }));
        cache
    }

    /// The active key for `presented` (see the module docs for why a remembered key is safe to charge).
    pub async fn key(&self, pool: &PgPool, presented: &str) -> Result<AuthenticatedKey, AppError> {
        let hash = secret::sha256(presented);
        if let Some(key) = fresh(&self.keys, &hash) {
            return Ok(key);
        }
        let key = authenticate(pool, presented).await?;
        remember(&self.keys, hash, key.clone());
        Ok(key)
    }

    /// The catalog price of `service`/`model` (`None`: no such pair), at most `TTL` old.
    pub async fn price(&self, pool: &PgPool, service: &str, model: &str) -> Result<Option<Price>, AppError> {
        let id = (service.to_string(), model.to_string());
        if let Some(price) = fresh(&self.prices, &id) {
            return Ok(price);
        }
        let price = catalog::price(pool, service, model).await?;
        remember(&self.prices, id, price);
        Ok(price)
    }
}

fn fresh<K: Eq + std::hash::Hash, V: Clone>(map: &Remembered<K, V>, id: &K) -> Option<V> {
    // A cache only: a lock poisoned by a panic elsewhere still holds usable entries.
    let map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.get(id).filter(|(_, at)| at.elapsed() < TTL).map(|(value, _)| value.clone())
}

fn remember<K: Eq + std::hash::Hash, V>(map: &Remembered<K, V>, id: K, value: V) {
    let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(id, (value, Instant::now()));
}
