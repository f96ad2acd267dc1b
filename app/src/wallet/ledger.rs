//! The ledger: the only code that changes a wallet balance.
//!
//! Invariant kept here: for every wallet, `wallets.balance = Σ ledger_entries.amount`, and the balance is
//! never negative. A balance change and the entry that explains it are written in the caller's one
//! transaction; the table itself is append-only (a trigger refuses UPDATE and DELETE).

use crate::error::AppError;
use crate::money::Usd;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Why the balance moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Deposit,
    Usage,
    Refund,
    Adjustment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Deposit => "deposit",
            EntryKind::Usage => "usage",
            EntryKind::Refund => "refund",
            EntryKind::Adjustment => "adjustment",
        }
    }
}

/// One balance change to record.
pub struct Posting<'a> {
    pub account_id: Uuid,
    pub kind: EntryKind,
    /// Signed: positive credits the wallet, negative debits it. Never zero.
    pub amount: Decimal,
    /// What caused it (a payment id, a request id, "seed:…"), for the reader of the ledger.
    pub reference: &'a str,
    /// When it happened; `None` means now. Only seeding backdates entries.
    pub at: Option<DateTime<Utc>>,
}

/// A recorded balance change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posted {
    pub entry_id: i64,
    pub balance_after: Usd,
}

/// Applies `posting` to the account's wallet and appends its ledger entry, inside the caller's
/// transaction. A debit the balance can't cover changes nothing and fails with `InsufficientBalance`.
pub async fn post(conn: &mut PgConnection, posting: Posting<'_>) -> Result<Posted, AppError> {
    if posting.amount.is_zero() {
        tracing::error!(reference = posting.reference, "zero ledger posting refused");
        return Err(AppError::Internal);
    }
    let moved: Option<(Uuid, Decimal)> = sqlx::query_as(
        "UPDATE wallets SET balance = balance + $2, updated_at = now()
          WHERE account_id = $1 AND balance + $2 >= 0
          RETURNING id, balance",
    )
    .bind(posting.account_id)
    .bind(posting.amount)
    .fetch_optional(&mut *conn)
    .await?;
    let (wallet_id, balance_after) = moved.ok_or(AppError::InsufficientBalance)?;
    let entry_id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_entries (account_id, wallet_id, kind, amount, balance_after, reference, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()))
         RETURNING id",
    )
    .bind(posting.account_id)
    .bind(wallet_id)
    .bind(posting.kind.as_str())
    .bind(posting.amount)
    .bind(balance_after)
    .bind(posting.reference)
    .bind(posting.at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Posted { entry_id, balance_after: Usd::new(balance_after) })
}

/// A batch of metered calls' debits from one wallet, one ledger entry per call, for the caller's transaction
/// (which holds the wallet row lock and has decided, in arrival order, that every debit fits). The balance
/// moves once by the batch total, under the same never-negative condition as [`post`]; each entry carries
/// the running balance after it. Written by the two CTEs of [`UsageDebits::ctes`], which the metering
/// statement (`metering::charge::record_calls`) includes so a batch's writes are one round trip; the rows
/// they return are checked by [`UsageDebits::entry_ids`].
pub struct UsageDebits {
    total: Decimal,
    closing: Decimal,
    amounts: Vec<Decimal>,
    balances: Vec<Decimal>,
    references: Vec<String>,
}

impl UsageDebits {
    /// `debits`: (reference, cost) in arrival order, each cost positive.
    pub fn new(opening_balance: Decimal, debits: &[(String, Decimal)]) -> Result<UsageDebits, AppError> {
        if debits.iter().any(|(_, cost)| *cost <= Decimal::ZERO) {
            tracing::error!("non-positive usage debit refused");
            return Err(AppError::Internal);
        }
        let mut running = opening_balance;
        let (mut amounts, mut balances, mut references) = (Vec::new(), Vec::new(), Vec::new());
        for (reference, cost) in debits {
            running -= *cost;
            amounts.push(-*cost);
            balances.push(running);
            references.push(reference.clone());
        }
        let total = opening_balance - running;
        Ok(UsageDebits { total, closing: running, amounts, balances, references })
    }

    /// `moved` (the wallet row, moved by the total — or not at all, and then no entry is written) and
    /// `entries` (RETURNING id, reference), for a `WITH` list. `$1` is the account; `$first` .. `$first + 3`
    /// are bound by [`UsageDebits::bind`]. With no debits nothing moves.
    pub fn ctes(first: usize) -> String {
        let (total, amounts, balances, references) = (first, first + 1, first + 2, first + 3);
        format!(
            "moved AS (
                 UPDATE wallets SET balance = balance - ${total}, updated_at = now()
                  WHERE account_id = $1 AND ${total} > 0 AND balance - ${total} >= 0
                  RETURNING id, balance
             ), entries AS (
                 INSERT INTO ledger_entries (account_id, wallet_id, kind, amount, balance_after, reference)
                 SELECT $1, moved.id, 'usage', t.amount, t.balance_after, t.reference
                   FROM moved, unnest(${amounts}::numeric[], ${balances}::numeric[], ${references}::text[])
                        WITH ORDINALITY AS t(amount, balance_after, reference, n)
                  ORDER BY t.n
                 RETURNING id, reference
             )"
        )
    }

    /// Binds the CTEs' four parameters, in order after the caller's own.
    pub fn bind<'q>(
        &'q self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, (i64, String, Decimal), sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, (i64, String, Decimal), sqlx::postgres::PgArguments> {
        query.bind(self.total).bind(&self.amounts).bind(&self.balances).bind(&self.references)
    }

    /// From the statement's `SELECT entries.id, entries.reference, moved.balance FROM entries, moved`: the
    /// entry id per reference, after checking that every debit was written and the wallet closed at the
    /// running balance. An error leaves the caller's transaction to roll back: nothing is kept.
    pub fn entry_ids(&self, rows: Vec<(i64, String, Decimal)>) -> Result<HashMap<String, i64>, AppError> {
        if self.references.is_empty() {
            return Ok(HashMap::new());
        }
        // No row: the balance didn't cover the total.
        let closing = rows.first().map(|(_, _, closing)| *closing).ok_or(AppError::InsufficientBalance)?;
        if closing != self.closing || rows.len() != self.references.len() {
            tracing::error!("wallet changed under a batch that holds its lock");
            return Err(AppError::Internal);
        }
        Ok(rows.into_iter().map(|(id, reference, _)| (reference, id)).collect())
    }
}

/// The invariant, checkable in one query: the cached balance and the sum of the ledger, per wallet.
pub async fn balance_and_ledger_sum(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<(Decimal, Decimal), AppError> {
    Ok(sqlx::query_as(
        "SELECT w.balance, COALESCE((SELECT SUM(amount) FROM ledger_entries e WHERE e.wallet_id = w.id), 0)
           FROM wallets w WHERE w.account_id = $1",
    )
    .bind(account_id)
    .fetch_one(&mut *conn)
    .await?)
}
