//! `POST /v1/wallet/fund`: an agent tops up its wallet ("add $25 to my wallet", docs/CONTRACT.md "JSON
//! API").
//!
//! With a saved card this is Add Funds without the clicks — the same draft → pending → settled phases of
//! `add_funds`, so a charge happens exactly once. The agent's `Idempotency-Key` makes the *request*
//! idempotent too (as Stripe): the first answer is stored and replayed, a concurrent duplicate waits for
//! it, and the same key with other parameters is refused. If the answer is lost in a crash, it is rebuilt
//! from the attempt once recovery has settled it. Without a saved card the answer is a hosted checkout
//! link (`checkout_session::create`).

use super::add_funds::{self, CardChoice};
use super::attempt_store;
use super::card_store;
use super::card_testing::Payer;
use super::checkout_session;
use super::processor::PaymentProcessor;
use crate::audit::Channel;
use crate::client_ip::ClientIp;
use crate::ledger;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::time::Duration;
use tollgate_domain::error::AppError;
use tollgate_domain::money::{TopUpAmount, Usd};
use tollgate_domain::payments::attempt::{AttemptStatus, AttemptView};
use tollgate_domain::payments::decline::DeclineCode;
use tollgate_domain::payments::payment_method::PaymentMethodView;
use uuid::Uuid;

/// What the agent asked for.
pub enum FundRequest {
    /// No amount: the balance and saved cards, so the agent can tell its user what is possible.
    Overview,
    Charge {
        amount: TopUpAmount,
        payment_method_id: Option<Uuid>,
    },
}

/// The answer, as stored for replays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FundAnswer {
    Completed { payment_id: Uuid, amount: Usd, balance: Usd },
    RequiresCheckout { checkout_id: String },
    Declined { payment_id: Uuid, decline_code: DeclineCode, message: String },
}

/// The balance and saved cards (the no-amount answer).
pub struct FundOverview {
    pub balance: Usd,
    pub payment_methods: Vec<PaymentMethodView>,
}

const WAIT_FOR_FIRST: Duration = Duration::from_secs(30);
/// A claim this old with no attempt behind it belongs to a request that died before charging anything.
const ABANDONED_AFTER_SECS: f64 = 60.0;

#[tracing::instrument(name = "agent_funding::overview", skip(pool))]
pub async fn overview(pool: &PgPool, account_id: Uuid) -> Result<FundOverview, AppError> {
    Ok(FundOverview {
        balance: ledger::balance_of(pool, account_id).await?,
        payment_methods: card_store::saved_cards(pool, account_id).await?,
    })
}

/// One agent's request to add funds.
pub struct FundOrder<'a> {
    pub account_id: Uuid,
    /// The key that asked: its daily funding limit applies.
    pub spend_key_id: Uuid,
    pub idempotency_key: &'a str,
    pub amount: TopUpAmount,
    /// A saved card of the account; the default card when `None`.
    pub payment_method_id: Option<Uuid>,
    /// Where the agent's request came from, and through what: the audit log's address and channel.
    pub client_ip: Option<ClientIp>,
    pub channel: Channel,
}

/// Charges (or links a checkout for) the order's amount once per idempotency key.
#[tracing::instrument(name = "agent_funding::fund", skip_all, fields(account_id = %order.account_id))]
pub async fn fund(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    order: &FundOrder<'_>,
) -> Result<FundAnswer, AppError> {
    let FundOrder { account_id, idempotency_key, amount, payment_method_id, .. } = *order;
    let fingerprint = format!(
        "{}|{}",
        amount.usd().amount().normalize(),
        payment_method_id.map_or("default".to_string(), |id| id.to_string())
    );
    let claimed: Option<Uuid> = sqlx::query_scalar!(
        "INSERT INTO api_idempotency (account_id, operation, idempotency_key, fingerprint)
         VALUES ($1, 'fund', $2, $3) ON CONFLICT DO NOTHING RETURNING claim_token",
        account_id,
        idempotency_key,
        fingerprint,
    )
    .fetch_optional(pool)
    .await?;
    match claimed {
        Some(claim) => first_run(pool, processor, order, claim).await,
        None => answer_of_first(pool, processor, order, &fingerprint).await,
    }
}

/// The request holding the claim (`claim`: its token) does the work and stores its answer. A failure before
/// anything was charged releases the key (nothing happened, so the agent may retry with it). Every write is
/// conditional on still holding the claim: a request so slow that a duplicate took its claim over can no
/// longer attach a charge to the key.
async fn first_run(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    order: &FundOrder<'_>,
    claim: Uuid,
) -> Result<FundAnswer, AppError> {
    let FundOrder {
        account_id,
        spend_key_id,
        idempotency_key,
        amount,
        payment_method_id,
        client_ip,
        channel,
    } = *order;
    let payer = Payer::Agent { spend_key_id, ip: client_ip, channel };
    let release = |attempt: Option<Uuid>| async move {
        let _ = sqlx::query!(
            "DELETE FROM api_idempotency
              WHERE account_id = $1 AND operation = 'fund' AND idempotency_key = $2 AND claim_token = $3
                AND attempt_id IS NOT DISTINCT FROM $4 AND response_body IS NULL",
            account_id,
            idempotency_key,
            claim,
            attempt,
        )
        .execute(pool)
        .await;
    };
    let card = match payment_method_id {
        Some(id) => Some(id),
        None => default_card(pool, account_id).await?,
    };
    let Some(card) = card else {
        let checkout_id = checkout_session::create(pool, account_id, amount).await?;
        let answer = FundAnswer::RequiresCheckout { checkout_id };
        store_answer(pool, account_id, idempotency_key, &answer).await?;
        return Ok(answer);
    };
    let draft = match add_funds::start_draft(
        pool,
        processor,
        account_id,
        amount,
        CardChoice::Saved(card),
        payer,
        None,
    )
    .await
    {
        Ok(draft) => draft,
        Err(err) => {
            release(None).await;
            return Err(err);
        }
    };
    let attached = sqlx::query!(
        "UPDATE api_idempotency SET attempt_id = $3
          WHERE account_id = $1 AND operation = 'fund' AND idempotency_key = $2 AND claim_token = $4
            AND attempt_id IS NULL",
        account_id,
        idempotency_key,
        draft.id,
        claim,
    )
    .execute(pool)
    .await?;
    if attached.rows_affected() != 1 {
        // Another request took the claim over: it charges, this draft is left unconfirmed (never charged).
        return Err(AppError::IdempotencyInProgress);
    }
    let settled = match add_funds::confirm(pool, processor, account_id, draft.id, payer, None).await {
        Ok(settled) => settled,
        Err(err) => {
            // Refused before the charge (the card-testing lock, the key's funding limit): the draft was never
            // charged, so the key is free again. (A charge in doubt leaves the attempt pending: the key stays
            // held for recovery.)
            if attempt_store::attempt(pool, account_id, draft.id)
                .await
                .is_ok_and(|a| a.status == AttemptStatus::Draft)
            {
                release(Some(draft.id)).await;
            }
            return Err(err);
        }
    };
    let answer = answer_from_attempt(&settled).ok_or(AppError::ProcessorUnavailable)?;
    store_answer(pool, account_id, idempotency_key, &answer).await?;
    Ok(answer)
}

/// A repeated key: the same parameters get the first request's answer (waiting for it if it is still
/// running), other parameters are refused.
async fn answer_of_first(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    order: &FundOrder<'_>,
    fingerprint: &str,
) -> Result<FundAnswer, AppError> {
    let FundOrder { account_id, idempotency_key, .. } = *order;
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        let claim: Option<StoredClaim> = sqlx::query_as!(
            StoredClaim,
            r#"SELECT fingerprint, attempt_id, response_body,
                      extract(epoch FROM now() - created_at)::float8 AS "age_secs!"
                 FROM api_idempotency WHERE account_id = $1 AND operation = 'fund' AND idempotency_key = $2"#,
            account_id,
            idempotency_key,
        )
        .fetch_optional(pool)
        .await?;
        // No row: the first request failed before charging and released the key.
        let StoredClaim { fingerprint: stored_fingerprint, attempt_id, response_body: body, age_secs: age } =
            claim.unwrap_or_else(|| StoredClaim {
                fingerprint: fingerprint.to_string(),
                attempt_id: None,
                response_body: None,
                age_secs: f64::INFINITY,
            });
        if stored_fingerprint != fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        if let Some(body) = body {
            return serde_json::from_value(body)
                .map_err(|err| AppError::internal("reading a stored funding answer", err));
        }
        if let Some(attempt_id) = attempt_id {
            let attempt = attempt_store::attempt(pool, account_id, attempt_id).await?;
            if let Some(answer) = answer_from_attempt(&attempt) {
                store_answer(pool, account_id, idempotency_key, &answer).await?;
                return Ok(answer);
            }
        } else if age > ABANDONED_AFTER_SECS {
            // Nobody holds the key (released, or its request died before charging): claim it and run.
            let taken: Option<Uuid> = sqlx::query_scalar!(
                "INSERT INTO api_idempotency (account_id, operation, idempotency_key, fingerprint)
                 VALUES ($1, 'fund', $2, $3)
                 ON CONFLICT (account_id, operation, idempotency_key)
                 DO UPDATE SET created_at = now(), claim_token = gen_random_uuid()
                  WHERE api_idempotency.attempt_id IS NULL AND api_idempotency.response_body IS NULL
                    AND api_idempotency.created_at < now() - make_interval(secs => $4)
                 RETURNING claim_token",
                account_id,
                idempotency_key,
                fingerprint,
                ABANDONED_AFTER_SECS,
            )
            .fetch_optional(pool)
            .await?;
            if let Some(claim) = taken {
                return first_run(pool, processor, order, claim).await;
            }
        }
        if started.elapsed() > WAIT_FOR_FIRST {
            return Err(AppError::IdempotencyInProgress);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Whether the order charged under `idempotency_key` may have charged a card: its claim on the key is kept
/// from the moment a charge could happen, and released only when nothing was charged (`first_run`).
pub async fn may_have_charged(
    pool: &PgPool,
    account_id: Uuid,
    idempotency_key: &str,
) -> Result<bool, AppError> {
    let held: Option<bool> = sqlx::query_scalar!(
        r#"SELECT true AS "held!" FROM api_idempotency
            WHERE account_id = $1 AND operation = 'fund' AND idempotency_key = $2"#,
        account_id,
        idempotency_key,
    )
    .fetch_optional(pool)
    .await?;
    Ok(held.is_some())
}

/// An `api_idempotency` row as a repeated request reads it.
struct StoredClaim {
    fingerprint: String,
    attempt_id: Option<Uuid>,
    response_body: Option<serde_json::Value>,
    age_secs: f64,
}

fn answer_from_attempt(attempt: &AttemptView) -> Option<FundAnswer> {
    match attempt.status {
        AttemptStatus::Succeeded => Some(FundAnswer::Completed {
            payment_id: attempt.id,
            amount: attempt.amount,
            balance: attempt.balance_after?,
        }),
        AttemptStatus::Failed => Some(FundAnswer::Declined {
            payment_id: attempt.id,
            decline_code: attempt.decline_code?,
            message: attempt.decline_message.clone()?,
        }),
        AttemptStatus::Draft | AttemptStatus::Pending => None,
    }
}

async fn store_answer(
    pool: &PgPool,
    account_id: Uuid,
    idempotency_key: &str,
    answer: &FundAnswer,
) -> Result<(), AppError> {
    let status = match answer {
        FundAnswer::Declined { .. } => 402,
        _ => 200,
    };
    sqlx::query!(
        "UPDATE api_idempotency SET response_status = $3, response_body = $4
          WHERE account_id = $1 AND operation = 'fund' AND idempotency_key = $2 AND response_body IS NULL",
        account_id,
        idempotency_key,
        status,
        serde_json::to_value(answer).map_err(|err| AppError::internal("storing a funding answer", err))?,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The saved card of the account a top-up without a chosen card charges (see [`card_charged_by_default`]).
async fn default_card(pool: &PgPool, account_id: Uuid) -> Result<Option<Uuid>, AppError> {
    let cards = card_store::saved_cards(pool, account_id).await?;
    Ok(card_charged_by_default(&cards).map(|c| c.id))
}

/// Of `cards`, the one a top-up without a chosen card charges: the default — even when it has expired: its
/// decline then tells the agent what to fix, and no card the person didn't choose is charged. Without a
/// default, the first unexpired one. `None` when there is no such card. (What an agent or chat is told
/// will be charged is this same card.)
pub fn card_charged_by_default(cards: &[PaymentMethodView]) -> Option<&PaymentMethodView> {
    cards.iter().find(|c| c.is_default).or_else(|| cards.iter().find(|c| !c.expired))
}

/// Forgets funding requests' idempotency keys after the 24 hours they are kept (docs/CONTRACT.md "JSON
/// API"; the maintenance pass); how many.
pub async fn forget_expired_keys(pool: &PgPool) -> Result<u64, AppError> {
    Ok(sqlx::query!("DELETE FROM api_idempotency WHERE created_at < now() - interval '24 hours'")
        .execute(pool)
        .await?
        .rows_affected())
}
