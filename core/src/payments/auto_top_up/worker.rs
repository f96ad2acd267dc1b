//! The auto top-up worker: claims queued jobs and charges them, on any number of servers at once.
//!
//! A job is claimed in one transaction (`claim_next`): the job row (`FOR UPDATE SKIP LOCKED`: two
//! workers never take the same job), then the account, the rule's card and the rule's row, in the lock
//! order of `settings`. Under those locks the safeguards decide (and, for a rule an agent's key set, that
//! key's status and daily funding limit); a charge due becomes a `pending` attempt
//! whose idempotency key is the job's, and the job becomes `charging`. After commit the card is charged and
//! the attempt settled like a confirmed Add Funds (`add_funds::charge_claimed`), which also settles the job
//! (`job::settle`). A crash after the claim leaves a pending attempt that start-up recovery settles.

use super::job::NOTIFY_CHANNEL;
use super::settings::SPENT_THIS_MONTH_SQL;
use crate::audit::Channel;
use crate::payments::add_funds;
use crate::payments::attempt_store::ClaimedDraft;
use crate::payments::funding_limit;
use crate::payments::processor::PaymentProcessor;
use crate::pg_wakeup::run_when_notified;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tollgate_domain::error::AppError;
use tollgate_domain::payments::auto_top_up::rule::AutoTopUpRule;
use uuid::Uuid;

/// Auto top-up charges a wallet may have in any rolling 24 hours (declined ones count: they are charges
/// tried on the person's card).
pub const CHARGES_PER_DAY: i64 = 3;

/// How often a worker looks for queued jobs without being woken (a notification lost with a connection,
/// a job left by a server that stopped before charging it).
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Why a job charged nothing (`auto_top_up_jobs.skip_reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    AccountDeleted,
    TurnedOff,
    CardRemoved,
    /// The balance was back at or above the threshold (a deposit came first).
    NotNeeded,
    DailyLimit,
    MonthlyLimit,
    /// The key that set the rule was paused or revoked.
    KeyStopped,
    /// The key that set the rule has added its "Daily funding limit" today.
    KeyFundingLimit,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::AccountDeleted => "account_deleted",
            Skip::TurnedOff => "turned_off",
            Skip::CardRemoved => "card_removed",
            Skip::NotNeeded => "not_needed",
            Skip::DailyLimit => "daily_limit",
            Skip::MonthlyLimit => "monthly_limit",
            Skip::KeyStopped => "key_stopped",
            Skip::KeyFundingLimit => "key_funding_limit",
        }
    }
}

/// What claiming the oldest queued job came to.
pub enum Claimed {
    /// A pending attempt to charge now.
    Charge {
        attempt_id: Uuid,
        charge: ClaimedDraft,
    },
    Skipped(Skip),
}

/// Claims and charges queued jobs until none is left. Returns how many were handled.
#[tracing::instrument(name = "auto_top_up::run_queued", skip_all)]
pub async fn run_queued(pool: &PgPool, processor: &dyn PaymentProcessor) -> Result<usize, AppError> {
    let mut handled = 0;
    while let Some(claimed) = claim_next(pool).await? {
        handled += 1;
        match claimed {
            Claimed::Charge { attempt_id, charge } => {
                // A charge whose answer is lost stays pending for recovery; the next job goes on.
                if let Err(err) = add_funds::charge_claimed(pool, processor, attempt_id, &charge).await {
                    tracing::warn!(%attempt_id, error = %err, "auto top-up charge left pending for recovery");
                }
            }
            Claimed::Skipped(skip) => tracing::info!(reason = skip.as_str(), "auto top-up skipped"),
        }
    }
    Ok(handled)
}

#[derive(sqlx::FromRow)]

struct Due {
    enabled: bool,
    threshold: Decimal,
    top_up_to: Decimal,
    monthly_limit: Decimal,
    payment_method_id: Uuid,
    card_removed: bool,
    balance: Decimal,
    spent_this_month: Decimal,
    charges_today: i64,
    set_by_key_id: Option<Uuid>,
    key_status: Option<String>,
}

/// One transaction: the oldest queued job, decided and marked (see the module docs). `None` when no job is
/// queued (or every queued one is being claimed by another worker).
pub async fn claim_next(pool: &PgPool) -> Result<Option<Claimed>, AppError> {
    let mut tx = pool.begin().await?;
    let job = sqlx::query!(
        "SELECT id, account_id FROM auto_top_up_jobs WHERE state = 'queued'
          ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(job) = job else { return Ok(None) };
    let (job_id, account_id) = (job.id, job.account_id);
    let claimed = match decide(&mut tx, account_id).await? {
        Err(skip) => {
            sqlx::query!(
                "UPDATE auto_top_up_jobs SET state = 'skipped', skip_reason = $2, finished_at = now()
                  WHERE account_id = $3 AND id = $1",
                job_id,
                skip.as_str(),
                account_id,
            )
            .execute(&mut *tx)
            .await?;
            Claimed::Skipped(skip)
        }
        Ok(amount) => {
            let (attempt_id, charge) = insert_pending_attempt(&mut tx, account_id, job_id, amount).await?;
            sqlx::query!(
                "UPDATE auto_top_up_jobs SET state = 'charging', attempt_id = $2 WHERE account_id = $3 AND id = $1",
                job_id,
                attempt_id,
                account_id,
            )
                .execute(&mut *tx)
                .await?;
            Claimed::Charge { attempt_id, charge }
        }
    };
    tx.commit().await?;
    Ok(Some(claimed))
}

/// The safeguards, under the account's, the card's and the rule's locks: the amount to charge, or why not.
async fn decide(conn: &mut PgConnection, account_id: Uuid) -> Result<Result<Decimal, Skip>, AppError> {
    let deleted: bool = sqlx::query_scalar!(
        r#"SELECT deleted_at IS NOT NULL AS "deleted!" FROM accounts WHERE id = $1 FOR NO KEY UPDATE"#,
        account_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    if deleted {
        return Ok(Err(Skip::AccountDeleted));
    }
    // The card first (a removal holds it, then turns the rule off), then the rule.
    sqlx::query!(
        "SELECT FROM payment_methods p JOIN auto_top_up_settings s ON s.payment_method_id = p.id
          WHERE s.account_id = $1 FOR SHARE OF p",
        account_id,
    )
    .execute(&mut *conn)
    .await?;
    let due: Option<Due> = sqlx::query_as(&format!(
        "SELECT s.enabled, s.threshold, s.top_up_to, s.monthly_limit, s.payment_method_id,
                p.removed_at IS NOT NULL AS card_removed, w.balance,
                {SPENT_THIS_MONTH_SQL} AS spent_this_month,
                (SELECT count(*) FROM payment_attempts a
                  WHERE a.account_id = $1 AND a.channel = 'auto_top_up' AND a.status <> 'draft'
                    AND a.created_at > now() - interval '24 hours') AS charges_today,
                s.set_by_key_id, (SELECT k.status FROM spend_keys k WHERE k.id = s.set_by_key_id) AS key_status
           FROM auto_top_up_settings s
           JOIN payment_methods p ON p.account_id = s.account_id AND p.id = s.payment_method_id
           JOIN wallets w ON w.account_id = s.account_id
          WHERE s.account_id = $1
            FOR UPDATE OF s"
    ))
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(due) = due else { return Ok(Err(Skip::TurnedOff)) };
    if !due.enabled {
        return Ok(Err(Skip::TurnedOff));
    }
    if due.card_removed {
        return Ok(Err(Skip::CardRemoved));
    }
    let rule = AutoTopUpRule::stored(due.threshold, due.top_up_to, due.monthly_limit);
    if due.balance >= rule.threshold().amount() {
        return Ok(Err(Skip::NotNeeded));
    }
    if due.charges_today >= CHARGES_PER_DAY {
        return Ok(Err(Skip::DailyLimit));
    }
    tracing::debug!(card = %due.payment_method_id, "auto top-up due");
    let Some(amount) = rule.charge_for(due.balance, due.spent_this_month) else {
        return Ok(Err(Skip::MonthlyLimit));
    };
    // A rule an agent set is that agent's funding: its key must still be active and within its limit.
    if let Some(key) = due.set_by_key_id {
        if due.key_status.as_deref() != Some("active") {
            return Ok(Err(Skip::KeyStopped));
        }
        match funding_limit::ensure_within(conn, key, amount).await {
            Ok(()) => {}
            Err(AppError::FundingLimitReached) => return Ok(Err(Skip::KeyFundingLimit)),
            Err(err) => return Err(err),
        }
    }
    Ok(Ok(amount))
}

/// The job's charge as a `pending` attempt on the rule's card; its idempotency key is the job's, so the
/// job can never be charged under two keys. A rule an agent set charges as that agent's key (its daily
/// funding limit counts it).
async fn insert_pending_attempt(
    conn: &mut PgConnection,
    account_id: Uuid,
    job_id: Uuid,
    amount: Decimal,
) -> Result<(Uuid, ClaimedDraft), AppError> {
    let inserted = sqlx::query!(
        "INSERT INTO payment_attempts
            (account_id, amount, status, idempotency_key, payment_method_id, processor_token, card_brand,
             card_last4, card_expiry_month, card_expiry_year, card_postal_code, save_card, channel, confirmed_at,
             spend_key_id)
         SELECT s.account_id, $2, 'pending', 'tg_auto_top_up_' || replace($3::uuid::text, '-', ''), p.id,
                p.processor_token, p.brand, p.last4, p.expiry_month, p.expiry_year, p.billing_postal_code,
                false, 'auto_top_up', now(), s.set_by_key_id
           FROM auto_top_up_settings s JOIN payment_methods p ON p.account_id = s.account_id AND p.id = s.payment_method_id
          WHERE s.account_id = $1
         RETURNING id, idempotency_key, processor_token, amount",
        account_id,
        amount,
        job_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let charge = ClaimedDraft {
        idempotency_key: inserted.idempotency_key,
        processor_token: inserted.processor_token,
        amount: inserted.amount,
        channel: Some(Channel::AutoTopUp),
        forget_card_after: false,
    };
    Ok((inserted.id, charge))
}

/// The worker of this server: woken by a new job's notification (sent at the commit of the debit that
/// queued it, to every server), and every `SWEEP_EVERY` in case one was missed (`pg_wakeup`).
pub fn spawn(pool: PgPool, processor: Arc<dyn PaymentProcessor>) {
    let worker_pool = pool.clone();
    tokio::spawn(run_when_notified(pool, NOTIFY_CHANNEL, SWEEP_EVERY, "auto top-up", move || {
        let (pool, processor) = (worker_pool.clone(), processor.clone());
        async move {
            if let Err(err) = run_queued(&pool, &*processor).await {
                tracing::warn!(code = err.code(), "auto top-up pass failed");
            }
        }
    }));
}
