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
