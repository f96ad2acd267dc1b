//! Add Funds: the money path from "Continue" to a credited wallet, exactly once.
//!
//! Phases (ARCHITECTURE.md "atomic phases"), each its own transaction, so a crash between any two leaves
//! a state that `recover_pending` finishes:
//! 1. `start_draft`: amount and card are checked and a new card is tokenized; a `draft` attempt with a
//!    server-made idempotency key is stored. Nothing is charged.
//! 2. `confirm`: the draft becomes `pending` (only one confirmer can make that change), then the processor
//!    is charged with the attempt's key.
//! 3. `record_outcome`: in one transaction the attempt becomes `succeeded` and the ledger credits the
//!    wallet — or it becomes `failed` with the decline on the attempt and on the card.
//!
//! Confirming the same draft again (double click, back button, concurrent posts) never charges again:
//! it waits for the first confirmation to finish and answers its result.

use super::attempt::{card_label, AttemptStatus, AttemptView};
use super::card::Expiry;
use super::ledger::{self, EntryKind, Posting};
use super::processor::{ChargeOutcome, NewCard, PaymentProcessor, ProcessorError};
use crate::error::AppError;
use crate::money::{TopUpAmount, Usd};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// The card a deposit is paid with.
pub enum CardChoice {
    Saved(Uuid),
    New { card: NewCard, save: bool },
}

/// How long a duplicate confirmation waits for the first one before answering "still processing".
const DUPLICATE_WAIT: Duration = Duration::from_secs(30);

/// Phase 1: a draft to confirm. Refused while the account is locked for card testing.
pub async fn start_draft(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    amount: TopUpAmount,
    choice: CardChoice,
) -> Result<AttemptView, AppError> {
    ensure_not_locked(pool, account_id).await?;
    let (payment_method_id, card, save_card) = match choice {
        CardChoice::Saved(id) => (Some(id), saved_card(pool, account_id, id).await?, false),
        CardChoice::New { card, save } => {
            let token = processor.tokenize(card).await.map_err(processor_failed)?;
            let card = CardOnFile {
                token: token.token,
                brand: token.brand.as_str().to_string(),
                last4: token.last4,
                expiry: token.expiry,
                postal_code: token.postal_code.as_str().to_string(),
            };
            (None, card, save)
        }
    };
    let id =
        insert_draft(pool, account_id, amount.usd().amount(), payment_method_id, &card, save_card).await?;
    attempt(pool, account_id, id).await
}

/// "Retry": a new draft with the failed attempt's amount and card (saved or not), so the retry is a new
/// charge with its own idempotency key.
pub async fn retry_as_new_draft(
    pool: &PgPool,
    account_id: Uuid,
    failed_attempt_id: Uuid,
) -> Result<AttemptView, AppError> {
    ensure_not_locked(pool, account_id).await?;
    type Row = (Decimal, Option<Uuid>, String, String, String, i32, i32, String);
    // The card as it is now if it is still saved (its expiry may have been fixed), else as it was.
    let failed: Row = sqlx::query_as(
        "SELECT a.amount, a.payment_method_id,
                COALESCE(p.processor_token, a.processor_token), COALESCE(p.brand, a.card_brand),
                COALESCE(p.last4, a.card_last4), COALESCE(p.expiry_month, a.card_expiry_month),
                COALESCE(p.expiry_year, a.card_expiry_year), COALESCE(p.billing_postal_code, a.card_postal_code)
           FROM payment_attempts a
           LEFT JOIN payment_methods p ON p.id = a.payment_method_id AND p.removed_at IS NULL
          WHERE a.id = $1 AND a.account_id = $2 AND a.status = 'failed'",
    )
    .bind(failed_attempt_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let (amount, payment_method_id, token, brand, last4, month, year, postal_code) = failed;
    let card = CardOnFile { token, brand, last4, expiry: Expiry { month: month as u32, year }, postal_code };
    let id = insert_draft(pool, account_id, amount, payment_method_id, &card, false).await?;
    attempt(pool, account_id, id).await
}

/// Phases 2 and 3 for a draft of this account. Safe to call any number of times, concurrently: one
/// charge, one ledger entry, the same answer every time.
pub async fn confirm(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    attempt_id: Uuid,
) -> Result<AttemptView, AppError> {
    let current = attempt(pool, account_id, attempt_id).await?;
    if current.status == AttemptStatus::Draft {
        ensure_not_locked(pool, account_id).await?;
    }
    let claimed: Option<(String, String, Decimal)> = sqlx::query_as(
        "UPDATE payment_attempts SET status = 'pending', confirmed_at = now()
          WHERE id = $1 AND account_id = $2 AND status = 'draft'
          RETURNING idempotency_key, processor_token, amount",
    )
    .bind(attempt_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    let Some((key, token, amount)) = claimed else {
        return wait_for_result(pool, account_id, attempt_id).await;
    };
    let outcome = processor.charge(&token, Usd::new(amount), &key).await.map_err(|err| {
        // The charge may or may not have happened: the attempt stays pending for recovery to settle.
        tracing::warn!(%attempt_id, error = %err, "charge unanswered; left pending for recovery");
        processor_failed(err)
    })?;
    hang_here_if_testing_recovery().await;
    record_outcome(pool, attempt_id, &outcome).await?;
    attempt(pool, account_id, attempt_id).await
}

/// Recovery: settles attempts left `pending` — by a crash, or by a charge whose answer never came — that
/// were confirmed at least `confirmed_before` ago (start-up uses zero; the periodic sweep leaves recent ones
/// to the request still handling them). The processor is asked by idempotency key; a charge it never saw
/// is made now with the same key (the person had confirmed it). Each attempt is credited exactly once,
/// however often and wherever this runs. An attempt the processor can't answer for now stays pending for
/// the next pass. Returns how many were settled.
pub async fn recover_pending(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    confirmed_before: Duration,
) -> Result<usize, AppError> {
    let pending: Vec<(Uuid, String, String, Decimal)> = sqlx::query_as(
        "SELECT id, idempotency_key, processor_token, amount FROM payment_attempts
          WHERE status = 'pending' AND confirmed_at <= now() - make_interval(secs => $1)
          ORDER BY confirmed_at",
    )
    .bind(confirmed_before.as_secs_f64())
    .fetch_all(pool)
    .await?;
    let mut settled = 0;
    for (attempt_id, key, token, amount) in pending {
        let outcome = match processor.find_charge(&key).await {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => processor.charge(&token, Usd::new(amount), &key).await,
            Err(err) => Err(err),
        };
        match outcome {
            Ok(outcome) => {
                if record_outcome(pool, attempt_id, &outcome).await? {
                    settled += 1;
                    tracing::info!(%attempt_id, "recovered a pending payment attempt");
                }
            }
            Err(err) => {
                tracing::warn!(%attempt_id, error = %err, "pending attempt not settled yet; next pass retries")
            }
        }
    }
    Ok(settled)
}

/// Phase 3, one transaction: the attempt's final state, the ledger credit and the card's state.
/// Returns false when the attempt was already settled (by a concurrent confirm or recovery).
async fn record_outcome(pool: &PgPool, attempt_id: Uuid, outcome: &ChargeOutcome) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, String, Decimal, Option<Uuid>, bool)> = sqlx::query_as(
        "SELECT account_id, status, amount, payment_method_id, save_card
           FROM payment_attempts WHERE id = $1 FOR UPDATE",
    )
    .bind(attempt_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((account_id, status, amount, payment_method_id, save_card)) = row else {
        return Err(AppError::NotFound);
    };
    if status != "pending" {
        return Ok(false);
    }
    match outcome {
        ChargeOutcome::Succeeded { charge_id } => {
            let reference = format!("payment:{attempt_id}");
            let posted = ledger::post(
                &mut tx,
                Posting { account_id, kind: EntryKind::Deposit, amount, reference: &reference, at: None },
            )
            .await?;
            let card = match (payment_method_id, save_card) {
                (Some(id), _) => Some(id),
                (None, true) => Some(save_new_card(&mut tx, attempt_id).await?),
                (None, false) => None,
            };
            if let Some(card) = card {
                sqlx::query(
                    "UPDATE payment_methods SET has_error = false, error_code = NULL, error_message = NULL,
                            error_at = NULL, updated_at = now() WHERE id = $1",
                )
                .bind(card)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE payment_attempts SET status = 'succeeded', processor_charge_id = $2, ledger_entry_id = $3,
                        payment_method_id = $4, completed_at = now() WHERE id = $1",
            )
            .bind(attempt_id)
            .bind(charge_id)
            .bind(posted.entry_id)
            .bind(card)
            .execute(&mut *tx)
            .await?;
        }
        ChargeOutcome::Declined { charge_id, decline } => {
            let card = match (payment_method_id, save_card && !decline.is_lost_or_stolen()) {
                (Some(id), _) => Some(id),
                (None, true) => Some(save_new_card(&mut tx, attempt_id).await?),
                (None, false) => None,
            };
            if let Some(card) = card {
                sqlx::query(
                    "UPDATE payment_methods SET has_error = true, error_code = $2, error_message = $3,
                            error_at = now(), updated_at = now() WHERE id = $1",
                )
                .bind(card)
                .bind(decline.code.as_str())
                .bind(decline.code.message())
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE payment_attempts SET status = 'failed', processor_charge_id = $2, decline_code = $3,
                        decline_message = $4, decline_reason = $5, payment_method_id = $6, completed_at = now()
                  WHERE id = $1",
            )
            .bind(attempt_id)
            .bind(charge_id)
            .bind(decline.code.as_str())
            .bind(decline.code.message())
            .bind(&decline.reason)
            .bind(card)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Saves the attempt's new card for its account; the account's first card becomes its default.
async fn save_new_card(conn: &mut PgConnection, attempt_id: Uuid) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO payment_methods
            (account_id, processor_token, brand, last4, expiry_month, expiry_year, billing_postal_code, is_default)
         SELECT a.account_id, a.processor_token, a.card_brand, a.card_last4, a.card_expiry_month,
                a.card_expiry_year, a.card_postal_code,
                NOT EXISTS (SELECT 1 FROM payment_methods p WHERE p.account_id = a.account_id AND p.is_default)
           FROM payment_attempts a WHERE a.id = $1
         RETURNING id",
    )
    .bind(attempt_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// A duplicate confirmation: wait (without holding a connection) until the first one settles.
async fn wait_for_result(pool: &PgPool, account_id: Uuid, attempt_id: Uuid) -> Result<AttemptView, AppError> {
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        let view = attempt(pool, account_id, attempt_id).await?;
        if view.status.is_final() || started.elapsed() > DUPLICATE_WAIT {
            return Ok(view);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// An attempt of this account; another account's id is "not found", never its data.
pub async fn attempt(pool: &PgPool, account_id: Uuid, attempt_id: Uuid) -> Result<AttemptView, AppError> {
    type Row = (
        Uuid,
        String,
        Decimal,
        String,
        String,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<Decimal>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT a.id, a.status, a.amount, a.card_brand, a.card_last4, a.payment_method_id, a.decline_code,
                a.decline_message, e.balance_after
           FROM payment_attempts a
           LEFT JOIN ledger_entries e ON e.id = a.ledger_entry_id
          WHERE a.id = $1 AND a.account_id = $2",
    )
    .bind(attempt_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    let (id, status, amount, brand, last4, payment_method_id, decline_code, decline_message, balance_after) =
        row.ok_or(AppError::NotFound)?;
    Ok(AttemptView {
        id,
        status: AttemptStatus::parse(&status).ok_or(AppError::Internal)?,
        amount: Usd::new(amount),
        card_label: card_label(&brand, &last4),
        payment_method_id,
        decline_code,
        decline_message,
        balance_after: balance_after.map(Usd::new),
    })
}

/// Stores a `draft` attempt with a new server-made idempotency key: the one key every charge of this
/// attempt will carry.
async fn insert_draft(
    pool: &PgPool,
    account_id: Uuid,
    amount: Decimal,
    payment_method_id: Option<Uuid>,
    card: &CardOnFile,
    save_card: bool,
) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO payment_attempts
            (account_id, amount, status, idempotency_key, payment_method_id, processor_token, card_brand,
             card_last4, card_expiry_month, card_expiry_year, card_postal_code, save_card)
         VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING id",
    )
    .bind(account_id)
    .bind(amount)
    .bind(format!("tg_attempt_{}", Uuid::new_v4().simple()))
    .bind(payment_method_id)
    .bind(&card.token)
    .bind(&card.brand)
    .bind(&card.last4)
    .bind(card.expiry.month as i32)
    .bind(card.expiry.year)
    .bind(&card.postal_code)
    .bind(save_card)
    .fetch_one(pool)
    .await?)
}

struct CardOnFile {
    token: String,
    brand: String,
    last4: String,
    expiry: Expiry,
    postal_code: String,
}

async fn saved_card(pool: &PgPool, account_id: Uuid, id: Uuid) -> Result<CardOnFile, AppError> {
    let row: Option<(String, String, String, i32, i32, String)> = sqlx::query_as(
        "SELECT processor_token, brand, last4, expiry_month, expiry_year, billing_postal_code
           FROM payment_methods WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
    )
    .bind(id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    let (token, brand, last4, month, year, postal_code) = row.ok_or(AppError::NotFound)?;
    Ok(CardOnFile { token, brand, last4, expiry: Expiry { month: month as u32, year }, postal_code })
}

/// Card-testing defence (CONTRACT.md): 5 processor declines within 10 minutes lock new attempts for 15
/// minutes from the fifth. Counted from `payment_attempts` in Postgres, so it holds across restarts and
/// app servers. Validation errors never create an attempt, so they don't count.
pub async fn locked_until(
    pool: &PgPool,
    account_id: Uuid,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT max(d.completed_at) + interval '15 minutes'
           FROM payment_attempts d
          WHERE d.account_id = $1 AND d.status = 'failed' AND d.completed_at > now() - interval '15 minutes'
            AND (SELECT count(*) FROM payment_attempts e
                  WHERE e.account_id = d.account_id AND e.status = 'failed'
                    AND e.completed_at BETWEEN d.completed_at - interval '10 minutes' AND d.completed_at) >= 5",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await?)
}

async fn ensure_not_locked(pool: &PgPool, account_id: Uuid) -> Result<(), AppError> {
    match locked_until(pool, account_id).await? {
        Some(until) if until > chrono::Utc::now() => Err(AppError::CardTestingLocked),
        _ => Ok(()),
    }
}

fn processor_failed(err: ProcessorError) -> AppError {
    match err {
        ProcessorError::Unavailable(detail) => {
            tracing::warn!(%detail, "payment processor unavailable");
            AppError::ProcessorUnavailable
        }
        other => {
            tracing::error!(error = %other, "payment processor refused the request");
            AppError::Internal
        }
    }
}

/// Test-only fault point for the crash-recovery test: with `TOLLGATE_TEST_HANG_AFTER_CHARGE=1` the request
/// stops right after the processor charged and before the wallet is credited, so the test can SIGKILL
/// the process in exactly that state.
async fn hang_here_if_testing_recovery() {
    if std::env::var("TOLLGATE_TEST_HANG_AFTER_CHARGE").is_ok_and(|v| v == "1") {
        tracing::error!("TOLLGATE_TEST_HANG_AFTER_CHARGE: holding between charge and credit");
        std::future::pending::<()>().await;
    }
}
