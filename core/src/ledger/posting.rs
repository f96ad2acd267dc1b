//! One balance change and its entry, in the caller's transaction.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::promotional::split_cost;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::Usd;
use uuid::Uuid;

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

struct Moved {
    wallet_id: Uuid,
    balance_after: Decimal,
}

/// Applies `posting` to the account's wallet and appends its ledger entry, inside the caller's
/// transaction. The entry's promotional part follows its kind (`EntryKind::promotional_part`): a paid call
/// spends the wallet's promotional credit first. A debit the balance can't cover — or that would take
/// promotional or paid credit below zero — changes nothing and fails with `InsufficientBalance`; only a
/// dispute may take paid credit below zero (`EntryKind::may_go_below_zero`), as far as the wallet's
/// `withdrawn_by_disputes` allows (the table's CHECK).
#[tracing::instrument(name = "ledger::post", skip_all, fields(account_id = %posting.account_id, kind = ?posting.kind))]
pub async fn post(conn: &mut PgConnection, posting: Posting<'_>) -> Result<Posted, AppError> {
    if posting.amount.is_zero() {
        return Err(AppError::bug("zero ledger posting refused"));
    }
    let promotional = match posting.kind.promotional_part(posting.amount) {
        Some(part) => part,
        None => {
            let unspent = sqlx::query_scalar!(
                "SELECT promotional FROM wallets WHERE account_id = $1 FOR UPDATE",
                posting.account_id
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::InsufficientBalance)?;
            -split_cost(-posting.amount, unspent).promotional
        }
    };
    let moved: Option<Moved> = sqlx::query_as!(
        Moved,
        "UPDATE wallets SET balance = balance + $2, promotional = promotional + $3, updated_at = now()
          WHERE account_id = $1 AND promotional + $3 >= 0
            AND ($4 OR (balance + $2 >= 0 AND balance + $2 - (promotional + $3) >= 0))
          RETURNING id AS wallet_id, balance AS balance_after",
        posting.account_id,
        posting.amount,
        promotional,
        posting.kind.may_go_below_zero(),
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Moved { wallet_id, balance_after } = moved.ok_or(AppError::InsufficientBalance)?;
    let entry_id: i64 = sqlx::query_scalar!(
        "INSERT INTO ledger_entries (account_id, wallet_id, kind, amount, promotional, balance_after, reference, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()))
         RETURNING id",
        posting.account_id,
        wallet_id,
        posting.kind as EntryKind,
        posting.amount,
        promotional,
        balance_after,
        posting.reference,
        posting.at as Option<DateTime<Utc>>,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Posted { entry_id, balance_after: Usd::new(balance_after) })
}
