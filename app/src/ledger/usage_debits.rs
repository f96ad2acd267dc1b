//! A metered batch's debits: one balance move and one ledger entry per paid call, written inside the batch's
//! own statement so the batch stays one round trip (docs/ARCHITECTURE.md "Hot paths").

use crate::error::AppError;
use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};
use std::collections::HashMap;
use uuid::Uuid;

/// A batch of metered calls' debits from one wallet, for the caller's transaction (which holds the wallet
/// row lock and has decided, in arrival order, that every debit fits). The balance moves once by the batch
/// total, under the same never-negative condition as [`post`](super::post); each entry carries the running
/// balance after it.
///
/// The caller builds its statement with a [`QueryBuilder`] and lets the ledger add its part: two CTEs
/// (`push_ctes`) and the statement's final SELECT (`push_posted_select`). The builder numbers every
/// parameter, so the caller never knows the ledger's placeholders. What the ledger offers the rest of the
/// statement is the CTE `entries(id, reference)`: the entries written, one per debit's reference.
pub struct UsageDebits {
    total: Decimal,
    closing: Decimal,
    amounts: Vec<Decimal>,
    balances: Vec<Decimal>,
    references: Vec<String>,
}

/// A row of the statement's final SELECT: one written entry and the wallet's closing balance.
#[derive(sqlx::FromRow)]
pub struct PostedUsage {
    entry_id: i64,
    reference: String,
    closing_balance: Decimal,
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

    /// Adds `moved` (the account's wallet row, moved by the total — or not at all, and then no entry is
    /// written) and `entries` (`RETURNING id, reference`) to the caller's `WITH` list. With no debits
    /// nothing moves.
    pub fn push_ctes<'args>(&'args self, sql: &mut QueryBuilder<'args, Postgres>, account_id: Uuid) {
        sql.push("moved AS (UPDATE wallets SET balance = balance - ")
            .push_bind(self.total)
            .push(", updated_at = now() WHERE account_id = ")
            .push_bind(account_id)
            .push(" AND ")
            .push_bind(self.total)
            .push(" > 0 AND balance - ")
            .push_bind(self.total)
            .push(
                " >= 0 RETURNING id, balance), \
                 entries AS (INSERT INTO ledger_entries (account_id, wallet_id, kind, amount, balance_after, reference) \
                 SELECT ",
            )
            .push_bind(account_id)
            .push(", moved.id, 'usage', t.amount, t.balance_after, t.reference FROM moved, unnest(")
            .push_bind(&self.amounts)
            .push("::numeric[], ")
            .push_bind(&self.balances)
            .push("::numeric[], ")
            .push_bind(&self.references)
            .push(
                "::text[]) WITH ORDINALITY AS t(amount, balance_after, reference, n) \
                 ORDER BY t.n RETURNING id, reference)",
            );
    }

    /// The statement's final SELECT: the entries written and the wallet's closing balance (read back by
    /// [`UsageDebits::entry_ids`]).
    pub fn push_posted_select(sql: &mut QueryBuilder<'_, Postgres>) {
        sql.push(
            " SELECT entries.id AS entry_id, entries.reference, moved.balance AS closing_balance \
               FROM entries, moved",
        );
    }

    /// The entry id per reference, after checking that every debit was written and the wallet closed at
    /// the running balance. An error leaves the caller's transaction to roll back: nothing is kept.
    pub fn entry_ids(&self, rows: Vec<PostedUsage>) -> Result<HashMap<String, i64>, AppError> {
        if self.references.is_empty() {
            return Ok(HashMap::new());
        }
        // No row: the balance didn't cover the total.
        let closing = rows.first().map(|r| r.closing_balance).ok_or(AppError::InsufficientBalance)?;
        if closing != self.closing || rows.len() != self.references.len() {
            tracing::error!("wallet changed under a batch that holds its lock");
            return Err(AppError::Internal);
        }
        Ok(rows.into_iter().map(|r| (r.reference, r.entry_id)).collect())
    }
}
