//! A metered batch's debits: one balance move and one ledger entry per paid call, written inside the batch's
//! own statement so the batch stays one round trip (docs/ARCHITECTURE.md "Hot paths").

use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};
use std::collections::HashMap;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::promotional::split_cost;
use uuid::Uuid;

/// A batch of metered calls' debits from one or more wallets, for the caller's transaction (which holds
/// every one of those wallet rows locked and has decided, in arrival order, that each wallet's debits fit
/// its balance). Each debit spends the wallet's promotional credit first, then paid credit
/// (`promotional::split_cost`), and its entry says how much of each. Each wallet's balance and promotional
/// credit move once by their totals, under the same never-negative conditions as [`post`](super::post); each
/// entry carries its wallet's running balance after it.
///
/// The caller builds its statement with a [`QueryBuilder`] and lets the ledger add its part: two CTEs
/// (`push_ctes`) and the statement's final SELECT (`push_posted_select`). The builder numbers every
/// parameter, so the caller never knows the ledger's placeholders. What the ledger offers the rest of the
/// statement is the CTE `entries(id, account_id, reference)`: the entries written, one per debit's reference.
#[derive(Default)]
pub struct UsageDebits {
    /// Per wallet with at least one debit: its account, totals and expected closing balance.
    wallets: Vec<WalletTotal>,
    /// Per entry, in the order given (wallet by wallet, each in arrival order).
    entry_accounts: Vec<Uuid>,
    amounts: Vec<Decimal>,
    /// The promotional part of each amount (same sign).
    promotional: Vec<Decimal>,
    balances: Vec<Decimal>,
    references: Vec<String>,
}

struct WalletTotal {
    account_id: Uuid,
    total: Decimal,
    /// The part of `total` spent from promotional credit.
    promotional: Decimal,
    closing: Decimal,
}

/// A row of the statement's final SELECT: one written entry and its wallet's closing balance.
#[derive(sqlx::FromRow)]
pub struct PostedUsage {
    entry_id: i64,
    account_id: Uuid,
    reference: String,
    closing_balance: Decimal,
}

impl UsageDebits {
    /// No debits yet.
    pub fn new() -> UsageDebits {
        UsageDebits::default()
    }

    /// Adds one wallet's debits: `debits` are (reference, cost) in arrival order, each cost positive, from
    /// `opening_balance`, of which `opening_promotional` is promotional credit. A wallet is added at most
    /// once per batch. With no debits the wallet doesn't move.
    pub fn add_wallet(
        &mut self,
        account_id: Uuid,
        opening_balance: Decimal,
        opening_promotional: Decimal,
        debits: &[(String, Decimal)],
    ) -> Result<(), AppError> {
        if debits.iter().any(|(_, cost)| *cost <= Decimal::ZERO) {
            return Err(AppError::bug("non-positive usage debit refused"));
        }
        if self.wallets.iter().any(|w| w.account_id == account_id) {
            return Err(AppError::bug("a wallet's debits added twice to one batch"));
        }
        if debits.is_empty() {
            return Ok(());
        }
        let mut running = opening_balance;
        let mut unspent = opening_promotional;
        for (reference, cost) in debits {
            let split = split_cost(*cost, unspent);
            running -= *cost;
            unspent -= split.promotional;
            self.entry_accounts.push(account_id);
            self.amounts.push(-*cost);
            self.promotional.push(-split.promotional);
            self.balances.push(running);
            self.references.push(reference.clone());
        }
        self.wallets.push(WalletTotal {
            account_id,
            total: opening_balance - running,
            promotional: opening_promotional - unspent,
            closing: running,
        });
        Ok(())
    }

    /// Adds `moved` (the wallets, each moved by its total — or not at all, and then none of its entries is
    /// written) and `entries` (`RETURNING id, account_id, reference`) to the caller's `WITH` list. With no
    /// debits nothing moves.
    pub fn push_ctes<'args>(&'args self, sql: &mut QueryBuilder<'args, Postgres>) {
        sql.push(
            "moved AS (UPDATE wallets w SET balance = w.balance - m.total, \
             promotional = w.promotional - m.promotional, updated_at = now() FROM unnest(",
        )
        .push_bind(self.wallets.iter().map(|w| w.account_id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(self.wallets.iter().map(|w| w.total).collect::<Vec<_>>())
        .push("::numeric[], ")
        .push_bind(self.wallets.iter().map(|w| w.promotional).collect::<Vec<_>>())
        .push(
            "::numeric[]) AS m(account_id, total, promotional) \
             WHERE w.account_id = m.account_id AND m.total > 0 AND w.balance - m.total >= 0 \
               AND w.promotional - m.promotional >= 0 \
             RETURNING w.id, w.account_id, w.balance), \
             entries AS (INSERT INTO ledger_entries (account_id, wallet_id, kind, amount, promotional, balance_after, reference) \
             SELECT t.account_id, moved.id, 'usage', t.amount, t.promotional, t.balance_after, t.reference FROM unnest(",
        )
        .push_bind(&self.entry_accounts)
        .push("::uuid[], ")
        .push_bind(&self.amounts)
        .push("::numeric[], ")
        .push_bind(&self.promotional)
        .push("::numeric[], ")
            .push_bind(&self.balances)
            .push("::numeric[], ")
            .push_bind(&self.references)
            .push(
                "::text[]) WITH ORDINALITY AS t(account_id, amount, promotional, balance_after, reference, n) \
                 JOIN moved ON moved.account_id = t.account_id \
                 ORDER BY t.n RETURNING id, account_id, reference)",
            );
    }

    /// The statement's final SELECT: the entries written and their wallets' closing balances (read back by
    /// [`UsageDebits::entry_ids`]).
    pub fn push_posted_select(sql: &mut QueryBuilder<'_, Postgres>) {
        sql.push(
            " SELECT entries.id AS entry_id, entries.account_id, entries.reference, moved.balance AS closing_balance \
               FROM entries JOIN moved ON moved.account_id = entries.account_id",
        );
    }

    /// The entry id per reference, after checking that every debit was written and every wallet closed at
    /// its running balance. An error leaves the caller's transaction to roll back: nothing is kept.
    pub fn entry_ids(&self, rows: Vec<PostedUsage>) -> Result<HashMap<String, i64>, AppError> {
        if rows.len() != self.references.len() {
            // A wallet's row didn't move: its balance didn't cover the total (it can't, under the lock).
            tracing::error!(
                written = rows.len(),
                debits = self.references.len(),
                "a batch's debits were not all written"
            );
            return Err(AppError::InsufficientBalance);
        }
        let closing: HashMap<Uuid, Decimal> =
            rows.iter().map(|r| (r.account_id, r.closing_balance)).collect();
        if self.wallets.iter().any(|w| closing.get(&w.account_id) != Some(&w.closing)) {
            return Err(AppError::bug("wallet changed under a batch that holds its lock"));
        }
        Ok(rows.into_iter().map(|r| (r.reference, r.entry_id)).collect())
    }
}
