//! Holds (docs/CONTRACT.md "Holds", docs/ARCHITECTURE.md "Holds"): the most a call can cost, reserved
//! before it runs, then captured, voided or left to expire — each in one transaction under the wallet's row
//! lock, the lock a batch of paid calls takes (`locks`), so holds and paid calls are decided against one
//! another exactly, on any number of servers.
//!
//! A hold is decided like a paid call (`decide::refusal`): its key must be active and allowed the service,
//! and its amount must fit the key's spend limit, its maker's monthly budget and the wallet's available
//! money (the balance less every unexpired open hold). It then counts against all three until it is
//! resolved — or until its `expires_at`, exactly: every decision sums only holds not yet past it, so an
//! expired hold frees its money at once, before the maintenance pass marks it `expired`.
//!
//! A capture is a paid call whose cost was reserved: it goes through the same decision and writing as any
//! call (`charge::apply`: its request row, ledger entry, rollups, counters, auto top-up and low-balance
//! triggers), in the transaction that marks the hold captured and releases the rest.

use super::batch::{MeteredCall, WalletCalls};
use super::charge::apply;
use super::decide::refusal;
use super::locks::{lock_wallets_and_keys, Locked};
use crate::catalog::db as catalog;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use tollgate_domain::catalog::pricing::{Price, Usage};
use tollgate_domain::error::AppError;
use tollgate_domain::metering::call::{CallRecord, Via};
use tollgate_domain::metering::hold::{HoldLifetime, HoldStatus};
use uuid::Uuid;

/// A hold to place, its inputs already parsed.
#[derive(Clone, Debug)]
pub struct NewHold {
    pub account_id: Uuid,
    pub key_id: Uuid,
    pub service: String,
    pub model: Option<String>,
    pub amount: Decimal,
    pub lifetime: HoldLifetime,
    pub idempotency_key: Option<String>,
}

/// A hold as it stands now (an open hold past `expires_at` reads `Expired`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub id: Uuid,
    pub status: HoldStatus,
    pub service: String,
    pub model: Option<String>,
    pub amount: Decimal,
    /// What a capture charged.
    pub captured: Option<Decimal>,
    /// The paid call a capture was recorded as.
    pub request_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Hold {
    /// What the hold gave back to the wallet: all of it once voided or expired, the rest of a capture.
    pub fn released(&self) -> Option<Decimal> {
        match self.status {
            HoldStatus::Held => None,
            HoldStatus::Captured => self.captured.map(|c| self.amount - c),
            HoldStatus::Voided | HoldStatus::Expired => Some(self.amount),
        }
    }
}

/// The wallet right after a hold changed: the money in it, and what its open holds reserve of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserved {
    pub balance: Decimal,
    pub held: Decimal,
}

impl Reserved {
    /// What a call may spend now.
    pub fn available(self) -> Decimal {
        self.balance - self.held
    }
}

/// What to capture: an amount the caller priced, or the call's usage priced by the catalog.
#[derive(Clone, Copy, Debug)]
pub enum Capture {
    Amount(Decimal),
    Usage(Usage),
}

struct HoldRow {
    id: Uuid,
    spend_key_id: Uuid,
    service_id: String,
    model: Option<String>,
    amount: Decimal,
    expires_in: i32,
    status: HoldStatus,
    captured: Option<Decimal>,
    request_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl HoldRow {
    fn at(self, now: DateTime<Utc>) -> Hold {
        let expired = self.status == HoldStatus::Held && self.expires_at <= now;
        Hold {
            id: self.id,
            status: if expired { HoldStatus::Expired } else { self.status },
            service: self.service_id,
            model: self.model,
            amount: self.amount,
            captured: self.captured,
            request_id: self.request_id,
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }

    fn asked_as(&self, new: &NewHold) -> bool {
        self.spend_key_id == new.key_id
            && self.service_id == new.service
            && self.model == new.model
            && self.amount == new.amount
            && self.expires_in == new.lifetime.seconds()
    }
}

/// Places a hold (see the module docs). With an `Idempotency-Key` the key's earlier hold under it is
/// answered as it stands now; one asked differently is refused. Answers the hold and the wallet after it.
#[tracing::instrument(name = "holds::place", skip_all, fields(account_id = %new.account_id))]
pub async fn place(pool: &PgPool, new: &NewHold) -> Result<(Hold, Reserved), AppError> {
    let mut tx = pool.begin().await?;
    let mut locked = lock_wallets_and_keys(&mut tx, &[new.account_id], &[new.key_id]).await?;
    let now = locked.now;
    let wallet = locked.wallets.get_mut(&new.account_id).ok_or(AppError::NotFound)?;
    if let Some(idempotency_key) = &new.idempotency_key {
        if let Some(earlier) = by_idempotency_key(&mut tx, new, idempotency_key).await? {
            if !earlier.asked_as(new) {
                return Err(AppError::IdempotencyKeyReused);
            }
            let reserved = Reserved { balance: wallet.opening_balance, held: wallet.held };
            return Ok((earlier.at(now), reserved));
        }
    }
    let key = wallet.keys.get(&new.key_id).ok_or(AppError::UnknownSpendKey)?;
    if let Some(refused) = key.status.refusal() {
        return Err(refused);
    }
    if key.allowed_services.as_ref().is_some_and(|allowed| !allowed.contains(&new.service)) {
        return Err(AppError::ServiceNotAllowed);
    }
    if let Some(refused) =
        refusal(key, wallet.members.get(&key.maker), wallet.opening_balance, wallet.held, new.amount)
    {
        return Err(refused);
    }
    let row = sqlx::query_as!(
        HoldRow,
        r#"INSERT INTO holds (account_id, id, spend_key_id, service_id, model, amount, expires_in, idempotency_key,
                              created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $9::timestamptz + make_interval(secs => $7::int))
           RETURNING id, spend_key_id, service_id, model, amount, expires_in, status AS "status: HoldStatus",
                     captured, request_id, created_at AS "created_at: _", expires_at AS "expires_at: _""#,
        new.account_id,
        Uuid::new_v4(),
        new.key_id,
        new.service,
        new.model,
        new.amount,
        new.lifetime.seconds(),
        new.idempotency_key,
        now as DateTime<Utc>,
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!("UPDATE wallets SET open_holds = open_holds + 1 WHERE account_id = $1", new.account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let reserved = Reserved { balance: wallet.opening_balance, held: wallet.held + new.amount };
    Ok((row.at(now), reserved))
}

async fn by_idempotency_key(
    conn: &mut PgConnection,
    new: &NewHold,
    idempotency_key: &str,
) -> Result<Option<HoldRow>, AppError> {
    Ok(sqlx::query_as!(
        HoldRow,
        r#"SELECT id, spend_key_id, service_id, model, amount, expires_in, status AS "status: HoldStatus",
                  captured, request_id, created_at AS "created_at: _", expires_at AS "expires_at: _"
             FROM holds WHERE account_id = $1 AND spend_key_id = $2 AND idempotency_key = $3"#,
        new.account_id,
        new.key_id,
        idempotency_key,
    )
    .fetch_optional(conn)
    .await?)
}

/// The hold `id` of the account, as it stands now; another account's is not found.
pub async fn find(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<Hold, AppError> {
    let row = sqlx::query_as!(
        HoldRow,
        r#"SELECT id, spend_key_id, service_id, model, amount, expires_in, status AS "status: HoldStatus",
                  captured, request_id, created_at AS "created_at: _", expires_at AS "expires_at: _"
             FROM holds WHERE account_id = $1 AND id = $2"#,
        account_id,
        id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(row.at(Utc::now()))
}

/// An open hold, locked (`FOR UPDATE`, after its wallet and key: the lock order of every charge), with the
/// wallet's state. A hold already resolved is refused with why; one past `expires_at` is marked expired
/// (in the caller's transaction, which it then commits) and refused.
async fn lock_open(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    account_id: Uuid,
    id: Uuid,
) -> Result<(HoldRow, Locked), AppError> {
    // Which key to lock comes from the row itself; it never changes, so reading it first is safe.
    let key_id = sqlx::query_scalar!(
        "SELECT spend_key_id FROM holds WHERE account_id = $1 AND id = $2",
        account_id,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let locked = lock_wallets_and_keys(&mut *tx, &[account_id], &[key_id]).await?;
    let row = sqlx::query_as!(
        HoldRow,
        r#"SELECT id, spend_key_id, service_id, model, amount, expires_in, status AS "status: HoldStatus",
                  captured, request_id, created_at AS "created_at: _", expires_at AS "expires_at: _"
             FROM holds WHERE account_id = $1 AND id = $2 FOR UPDATE"#,
        account_id,
        id,
    )
    .fetch_one(&mut **tx)
    .await?;
    match row.status {
        HoldStatus::Captured => Err(AppError::HoldAlreadyCaptured),
        HoldStatus::Voided => Err(AppError::HoldAlreadyVoided),
        HoldStatus::Expired => Err(AppError::HoldExpired),
        HoldStatus::Held if row.expires_at <= locked.now => Err(AppError::HoldExpired),
        HoldStatus::Held => Ok((row, locked)),
    }
}

/// Marks an open hold resolved and takes it off its wallet's count of open holds.
async fn resolve(
    conn: &mut PgConnection,
    account_id: Uuid,
    id: Uuid,
    status: HoldStatus,
    captured: Option<(Decimal, Uuid)>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE holds SET status = $3, resolved_at = $4, captured = $5, request_id = $6
          WHERE account_id = $1 AND id = $2 AND status = 'held'",
        account_id,
        id,
        status as HoldStatus,
        now as DateTime<Utc>,
        captured.map(|(amount, _)| amount),
        captured.map(|(_, request)| request),
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("UPDATE wallets SET open_holds = open_holds - 1 WHERE account_id = $1", account_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Refuses with `err`; when the hold expired, first marks it so in the caller's transaction (which holds
/// its wallet's and its own locks) and commits that, so the mark is kept.
async fn refuse(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    account_id: Uuid,
    id: Uuid,
    err: AppError,
) -> AppError {
    if err == AppError::HoldExpired {
        let marked = async {
            sqlx::query!(
                "WITH expired AS (
                     UPDATE holds SET status = 'expired', resolved_at = expires_at
                      WHERE account_id = $1 AND id = $2 AND status = 'held' RETURNING 1)
                 UPDATE wallets SET open_holds = open_holds - (SELECT count(*) FROM expired)::int
                  WHERE account_id = $1",
                account_id,
                id,
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        };
        // The refusal stands either way; the maintenance pass marks what this couldn't.
        if let Err(failed) = marked.await {
            tracing::warn!(error = %failed, "marking an expired hold failed; the maintenance pass will");
        }
    }
    err
}

/// Captures the hold `id`: what its call cost (at most the hold) is charged as a paid call that came `via`
/// the API or the gateway, and the rest is released, in one transaction (see the module docs). Answers the
/// hold, the call and the wallet after.
#[tracing::instrument(name = "holds::capture", skip(pool, capture))]
pub async fn capture(
    pool: &PgPool,
    account_id: Uuid,
    id: Uuid,
    capture: Capture,
    via: Via,
) -> Result<(Hold, CallRecord, Reserved), AppError> {
    let mut tx = pool.begin().await?;
    let (row, mut locked) = match lock_open(&mut tx, account_id, id).await {
        Ok(open) => open,
        Err(err) => return Err(refuse(tx, account_id, id, err).await),
    };
    let (price, usage) = match capture {
        // The caller priced the call: its whole cost is the call's per-request price, with no token counts.
        Capture::Amount(amount) => (
            Price {
                input_per_million: Decimal::ZERO,
                output_per_million: Decimal::ZERO,
                per_request: amount,
            },
            Usage::default(),
        ),
        Capture::Usage(usage) => {
            let model = row.model.as_deref().ok_or(AppError::HoldHasNoModel)?;
            // On this transaction: a second connection asked for while the wallet is locked would wait on a
            // pool held by captures waiting on this lock (under load, every one of them until timeout).
            let price =
                catalog::price(&mut *tx, &row.service_id, model).await?.ok_or(AppError::UnknownService)?;
            (price, usage)
        }
    };
    let call = MeteredCall {
        account_id,
        key_id: row.spend_key_id,
        service: row.service_id.clone(),
        model: row.model.clone().unwrap_or_default(),
        usage,
        price,
        idempotency_key: None,
        reserved: Some(row.amount),
        via,
    };
    let batch = [WalletCalls { account_id, calls: vec![call] }];
    let answer =
        apply(&mut tx, &mut locked, &batch, &mut HashMap::new()).await?.pop().and_then(|mut a| a.pop());
    let record = answer.ok_or_else(|| AppError::bug("a capture's batch gave no answer"))??;
    let now = locked.now;
    let captured = record.cost.total.amount();
    resolve(&mut tx, account_id, id, HoldStatus::Captured, Some((captured, record.request_id)), now).await?;
    tx.commit().await?;
    let wallet = &locked.wallets[&account_id];
    let reserved = Reserved { balance: record.balance_after.amount(), held: wallet.held - row.amount };
    let hold = HoldRow {
        status: HoldStatus::Captured,
        captured: Some(captured),
        request_id: Some(record.request_id),
        ..row
    };
    Ok((hold.at(now), record, reserved))
}

/// Voids the hold `id`: all of it is released, nothing is charged.
#[tracing::instrument(name = "holds::void", skip(pool))]
pub async fn void(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<(Hold, Reserved), AppError> {
    let mut tx = pool.begin().await?;
    let (row, locked) = match lock_open(&mut tx, account_id, id).await {
        Ok(open) => open,
        Err(err) => return Err(refuse(tx, account_id, id, err).await),
    };
    resolve(&mut tx, account_id, id, HoldStatus::Voided, None, locked.now).await?;
    tx.commit().await?;
    let wallet = &locked.wallets[&account_id];
    let reserved = Reserved { balance: wallet.opening_balance, held: wallet.held - row.amount };
    Ok((HoldRow { status: HoldStatus::Voided, ..row }.at(locked.now), reserved))
}

/// What the account's open holds reserve now (unexpired ones only), for the pages and `/v1/balance`.
pub async fn held_now(pool: &PgPool, account_id: Uuid) -> Result<Decimal, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COALESCE(sum(amount), 0) AS "held!" FROM holds
            WHERE account_id = $1 AND status = 'held' AND expires_at > now()"#,
        account_id
    )
    .fetch_one(pool)
    .await?)
}

/// Marks the holds past `expires_at` expired, one wallet at a time under its lock (the maintenance pass);
/// how many. Their money was free from the instant they expired; this only keeps the count of open holds
/// (`wallets.open_holds`) short, so a batch reads no sums for a wallet with none.
pub async fn expire_due(pool: &PgPool) -> Result<u64, AppError> {
    let accounts: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT DISTINCT account_id FROM holds WHERE status = 'held' AND expires_at <= now() LIMIT 1000"
    )
    .fetch_all(pool)
    .await?;
    let mut expired = 0;
    for account_id in accounts {
        let mut tx = pool.begin().await?;
        sqlx::query!("SELECT FROM wallets WHERE account_id = $1 FOR UPDATE", account_id)
            .execute(&mut *tx)
            .await?;
        let count = sqlx::query!(
            "UPDATE holds SET status = 'expired', resolved_at = expires_at
              WHERE account_id = $1 AND status = 'held' AND expires_at <= now()",
            account_id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            "UPDATE wallets SET open_holds = open_holds - $2 WHERE account_id = $1",
            account_id,
            count as i32
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        expired += count;
    }
    Ok(expired)
}
