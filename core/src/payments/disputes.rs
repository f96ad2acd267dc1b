//! Card disputes (docs/CONTRACT.md "Disputes", docs/ARCHITECTURE.md "Disputes"): the processor's news of a
//! dispute about a deposit, applied once per stage whatever order it comes in, each under the wallet's lock:
//!
//! - **opened**: the disputed amount is withdrawn at once (ledger "Dispute"), even below zero — the one
//!   way a balance goes negative; below zero, auto top-up is turned off and paid calls and holds are refused
//!   (`wallet_negative`) until a deposit pays the debt;
//! - **won**: the amount comes back ("Dispute won");
//! - **lost**: it stays withdrawn.
//!
//! News of a stage whose opening wasn't heard yet opens it first (a `won` withdraws and returns, so the books
//! show both). News that contradicts what was recorded (`lost` after `won`) changes nothing and is logged.
//! News about a deposit not recorded yet is answered `UnknownCharge`, and the processor asked to send it
//! again later (Stripe retries for days; the sandbox retries itself).

use crate::ledger::{lock_paid_credit, post, Posting};
use crate::payments::auto_top_up::settings as auto_top_up;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use uuid::Uuid;

/// How far a dispute has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Stage {
    Opened,
    Won,
    Lost,
}

/// What the processor says about a dispute.
#[derive(Clone, Debug)]
pub struct DisputeNews<'a> {
    pub processor_dispute_id: &'a str,
    /// The deposit's charge at the processor (`payment_attempts.processor_charge_id`).
    pub processor_charge_id: &'a str,
    pub amount: Decimal,
    pub stage: Stage,
    /// The bank's reason (`fraudulent`, `product_not_received`), for staff.
    pub reason: Option<&'a str>,
}

/// What became of the news.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    Applied,
    /// Heard before, or contradicting what was recorded: nothing changed.
    Unchanged,
    /// No deposit of Tollgate's has this charge (yet): ask again later.
    UnknownCharge,
}

struct Deposit {
    account_id: Uuid,
    id: Uuid,
    amount: Decimal,
}

struct Known {
    id: Uuid,
    amount: Decimal,
    status: String,
}

/// Applies the news (see the module docs), in one transaction under the wallet's lock.
#[tracing::instrument(name = "disputes::receive", skip(pool), fields(dispute = news.processor_dispute_id))]
pub async fn receive(pool: &PgPool, news: &DisputeNews<'_>) -> Result<Received, AppError> {
    if news.amount <= Decimal::ZERO {
        return Err(AppError::bug("a dispute of nothing"));
    }
    let Some(deposit) = sqlx::query_as!(
        Deposit,
        "SELECT account_id, id, amount FROM payment_attempts
          WHERE processor_charge_id = $1 AND status = 'succeeded' LIMIT 1",
        news.processor_charge_id,
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(Received::UnknownCharge);
    };
    let mut tx = pool.begin().await?;
    let received = apply(&mut tx, &deposit, news).await?;
    tx.commit().await?;
    Ok(received)
}

/// The outcome of a dispute Tollgate has recorded, as staff learned it (docs/CONTRACT.md "Back office"),
/// in the caller's transaction: the same as the processor's news of it. Answers the dispute's account.
pub async fn record_outcome(
    conn: &mut PgConnection,
    account_id: Uuid,
    dispute_id: Uuid,
    won: bool,
) -> Result<Received, AppError> {
    let known = sqlx::query!(
        "SELECT d.processor_dispute_id, d.amount, a.processor_charge_id, a.id AS payment_id, a.amount AS deposited
           FROM disputes d JOIN payment_attempts a ON a.account_id = d.account_id AND a.id = d.payment_attempt_id
          WHERE d.account_id = $1 AND d.id = $2",
        account_id,
        dispute_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let news = DisputeNews {
        processor_dispute_id: &known.processor_dispute_id,
        processor_charge_id: known.processor_charge_id.as_deref().unwrap_or_default(),
        amount: known.amount,
        stage: if won { Stage::Won } else { Stage::Lost },
        reason: None,
    };
    let deposit = Deposit { account_id, id: known.payment_id, amount: known.deposited };
    apply(conn, &deposit, &news).await
}

/// Applies `news` about `deposit`, in the caller's transaction (see the module docs).
async fn apply(
    conn: &mut PgConnection,
    deposit: &Deposit,
    news: &DisputeNews<'_>,
) -> Result<Received, AppError> {
    // Never more than the deposit brought.
    let amount = news.amount.min(deposit.amount);
    let account_id = deposit.account_id;
    lock_paid_credit(conn, account_id).await?;
    let known = sqlx::query_as!(
        Known,
        "SELECT id, amount, status FROM disputes WHERE account_id = $1 AND processor_dispute_id = $2 FOR UPDATE",
        account_id,
        news.processor_dispute_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (id, amount) = match known {
        Some(known) if known.status != "opened" || news.stage == Stage::Opened => {
            if known.status != <&str>::from(news.stage) && news.stage != Stage::Opened {
                tracing::warn!(dispute = news.processor_dispute_id, recorded = %known.status, told = ?news.stage,
                    "news of a dispute contradicts what was recorded; nothing changed");
            }
            return Ok(Received::Unchanged);
        }
        Some(known) => (known.id, known.amount),
        None => {
            let id = Uuid::new_v4();
            sqlx::query!(
                "UPDATE wallets SET withdrawn_by_disputes = withdrawn_by_disputes + $2 WHERE account_id = $1",
                account_id,
                amount
            )
            .execute(&mut *conn)
            .await?;
            let reference = format!("dispute:{id}");
            let posting = Posting {
                account_id,
                kind: EntryKind::Dispute,
                amount: -amount,
                reference: &reference,
                at: None,
            };
            let withdrawn = post(&mut *conn, posting).await?;
            sqlx::query!(
                "INSERT INTO disputes (account_id, id, processor_dispute_id, payment_attempt_id, amount, status, reason,
                                       withdrawn_entry_id)
                 VALUES ($1, $2, $3, $4, $5, 'opened', $6, $7)",
                account_id,
                id,
                news.processor_dispute_id,
                deposit.id,
                amount,
                news.reason.map(|r| r.chars().take(200).collect::<String>()),
                withdrawn.entry_id,
            )
            .execute(&mut *conn)
            .await?;
            if withdrawn.balance_after.amount() < Decimal::ZERO {
                auto_top_up::turn_off_after_dispute(&mut *conn, account_id).await?;
            }
            (id, amount)
        }
    };
    match news.stage {
        Stage::Opened => {}
        Stage::Won => {
            let reference = format!("dispute:{id}:won");
            let posting =
                Posting { account_id, kind: EntryKind::DisputeWon, amount, reference: &reference, at: None };
            let returned = post(&mut *conn, posting).await?;
            sqlx::query!(
                "UPDATE wallets SET withdrawn_by_disputes = withdrawn_by_disputes - $2 WHERE account_id = $1",
                account_id,
                amount
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE disputes SET status = 'won', returned_entry_id = $3, closed_at = now()
                  WHERE account_id = $1 AND id = $2",
                account_id,
                id,
                returned.entry_id,
            )
            .execute(&mut *conn)
            .await?;
        }
        Stage::Lost => {
            sqlx::query!(
                "UPDATE disputes SET status = 'lost', closed_at = now() WHERE account_id = $1 AND id = $2",
                account_id,
                id
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(Received::Applied)
}
