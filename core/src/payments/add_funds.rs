//! Add Funds: the money path from "Continue" to a credited wallet, exactly once.
//!
//! Phases (docs/ARCHITECTURE.md "Add Funds: atomic phases"), each its own transaction, so a crash between
//! any two leaves a state that `recovery::recover_pending` finishes:
//! 1. `start_draft`: amount and card are checked and a new card is tokenized; a `draft` attempt with a
//!    server-made idempotency key is stored. Nothing is charged.
//! 2. `confirm`: the draft becomes `pending` (only one confirmer can make that change), then the processor
//!    is charged with the attempt's key.
//! 3. `record_outcome`: in one transaction the attempt becomes `succeeded` and the ledger credits the
//!    wallet — or it becomes `failed` with the decline on the attempt and on the card.
//!
//! Confirming the same draft again (double click, back button, concurrent posts) never charges again:
//! it waits for the first confirmation to finish and answers its result.

use super::attempt_store::{self, ClaimedDraft, NewDraft};
use super::auto_top_up::job::{self, Settled};
use super::card_store::{self, CardOnFile};
use super::card_testing::{self, ensure_not_locked, Payer};
use super::processor::{CardSetup, ChargeOutcome, PaymentProcessor, Presence, ProcessorError};
use super::processor_records;
use crate::audit::{self, Channel, TopUpEvents};
use crate::ledger::{self, Posting};
use crate::webhooks::outbox;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::money::{TopUpAmount, Usd};
use tollgate_domain::payments::attempt::{card_label, AttemptStatus, AttemptView};
use tollgate_domain::payments::decline::DeclineCode;
use tollgate_domain::payments::new_card::NewCard;
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

/// The card a deposit is paid with.
pub enum CardChoice {
    Saved(Uuid),
    /// Card details posted to Tollgate's own form (a `TollgateForm` processor: the sandbox).
    New {
        card: NewCard,
        save: bool,
    },
    /// A card the processor's script set up in the browser (`begin_card_setup`), named by its setup.
    SetUp {
        setup_id: String,
        save: bool,
    },
}

/// How long a charge waits for the person to answer their bank (3-D Secure) before recovery gives up on
/// it: the processor's charge is stopped, and the attempt fails as `authentication_required`.
pub const AUTHENTICATION_WAIT: Duration = Duration::from_secs(15 * 60);

/// How long a duplicate confirmation waits for the first one before answering "still processing".
const DUPLICATE_WAIT: Duration = Duration::from_secs(30);

/// Phase 1: a draft to confirm. Refused while the account is locked for card testing; a new card also
/// counts against the payer's address and is refused while new cards are paused site-wide
/// (`card_testing`).
#[tracing::instrument(name = "add_funds::start_draft", skip(pool, processor, choice))]
pub async fn start_draft(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    amount: TopUpAmount,
    choice: CardChoice,
    payer: Payer,
    made_by: Option<Uuid>,
) -> Result<AttemptView, AppError> {
    ensure_not_locked(pool, account_id).await?;
    let (payment_method_id, card, save_card) = match choice {
        CardChoice::Saved(id) => (Some(id), card_store::card_on_file(pool, account_id, id).await?, false),
        CardChoice::New { .. } | CardChoice::SetUp { .. } => {
            card_testing::ensure_new_cards_allowed(pool).await?;
            card_testing::count_card_attempt(pool, payer).await?;
            let (token, save) = match choice {
                CardChoice::New { card, save } => {
                    (processor.tokenize(card).await.map_err(processor_failed)?, save)
                }
                CardChoice::SetUp { setup_id, save } => {
                    let customer =
                        processor_records::customer_of(pool, account_id).await?.ok_or(AppError::NotFound)?;
                    let token =
                        processor.card_from_setup(&customer, &setup_id).await.map_err(card_setup_failed)?;
                    (token, save)
                }
                CardChoice::Saved(_) => unreachable!("matched above"),
            };
            let card = CardOnFile {
                processor_token: token.token,
                brand: token.brand,
                last4: token.last4,
                expiry_month: token.expiry.month as i32,
                expiry_year: token.expiry.year,
                billing_postal_code: token.postal_code.as_str().to_string(),
            };
            (None, card, save)
        }
    };
    let spend_key_id = match payer {
        Payer::Agent { spend_key_id, .. } => Some(spend_key_id),
        Payer::Person { .. } => None,
    };
    let draft = NewDraft {
        account_id,
        amount: amount.usd().amount(),
        payment_method_id,
        card: &card,
        save_card,
        spend_key_id,
        made_by,
        client_ip: payer.ip(),
        channel: payer.channel(),
    };
    let id = attempt_store::insert_draft(pool, &draft).await?;
    attempt_store::attempt(pool, account_id, id).await
}

/// Begins setting up a new card in the browser (a `ProcessorScript` processor): the account's customer at
/// the processor is made with its first card and kept; answers what the browser's script confirms the
/// setup with. Counted like a new card's attempt (`card_testing`).
#[tracing::instrument(name = "add_funds::begin_card_setup", skip(pool, processor))]
pub async fn begin_card_setup(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    payer: Payer,
) -> Result<CardSetup, AppError> {
    ensure_not_locked(pool, account_id).await?;
    card_testing::ensure_new_cards_allowed(pool).await?;
    card_testing::count_card_attempt(pool, payer).await?;
    let customer = processor_records::customer_of(pool, account_id).await?;
    // One key per account: servers making an account's first customer at once are answered the same one.
    let key = format!("customer-{account_id}");
    let setup = processor
        .begin_card_setup(&account_id.to_string(), customer.as_deref(), &key)
        .await
        .map_err(processor_failed)?;
    let kept = processor_records::keep_customer(pool, account_id, &setup.customer).await?;
    if kept != setup.customer {
        return Err(AppError::ProcessorUnavailable);
    }
    Ok(setup)
}

/// "Retry": a new draft with the failed attempt's amount and its card as saved now (its expiry or postal
/// code may have been fixed), so the retry is a new charge with its own idempotency key. A card that was
/// never saved or has been removed is not charged again: the person chose not to keep it.
#[tracing::instrument(name = "add_funds::retry_as_new_draft", skip(pool))]
pub async fn retry_as_new_draft(
    pool: &PgPool,
    account_id: Uuid,
    failed_attempt_id: Uuid,
    payer: Payer,
    made_by: Option<Uuid>,
) -> Result<AttemptView, AppError> {
    ensure_not_locked(pool, account_id).await?;
    let failed = attempt_store::failed_attempt_card(pool, account_id, failed_attempt_id).await?;
    let draft = NewDraft {
        account_id,
        amount: failed.amount,
        payment_method_id: Some(failed.payment_method_id),
        card: &failed.card,
        save_card: false,
        spend_key_id: None,
        made_by,
        client_ip: payer.ip(),
        channel: payer.channel(),
    };
    let id = attempt_store::insert_draft(pool, &draft).await?;
    attempt_store::attempt(pool, account_id, id).await
}

/// Phases 2 and 3 for a draft of this account made by `made_by` (the signed-in person who made it; `None`
/// for an agent's or a checkout page's draft): anyone else's draft is "not found". Safe to call any
/// number of times, concurrently: one charge, one ledger entry, the same answer every time. The draft's
/// age, its card still being saved, the card-testing lock and a spend key's daily funding limit are
/// checked in the claim's transaction (`attempt_store::claim_draft`).
#[tracing::instrument(name = "add_funds::confirm", skip(pool, processor))]
pub async fn confirm(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    attempt_id: Uuid,
    payer: Payer,
    made_by: Option<Uuid>,
) -> Result<AttemptView, AppError> {
    let current = attempt_store::attempt_for(pool, account_id, attempt_id, made_by).await?;
    if current.status == AttemptStatus::Draft {
        card_testing::count_card_attempt(pool, payer).await?;
    }
    let Some(claimed) = attempt_store::claim_draft(pool, account_id, attempt_id, made_by).await? else {
        return wait_for_result(pool, account_id, attempt_id).await;
    };
    let authenticate_with = charge_claimed(pool, processor, attempt_id, &claimed).await?;
    let view = attempt_store::attempt(pool, account_id, attempt_id).await?;
    Ok(AttemptView { authenticate_with, ..view })
}

/// After the person answered their bank (3-D Secure) in their browser: the charge's outcome, recorded
/// once. Still waiting (the person closed the bank's window): the attempt stays pending and the answer
/// carries what to complete it with again. Only the person who confirmed the attempt can finish it.
#[tracing::instrument(name = "add_funds::finish_authentication", skip(pool, processor))]
pub async fn finish_authentication(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    attempt_id: Uuid,
    made_by: Option<Uuid>,
) -> Result<AttemptView, AppError> {
    let view = attempt_store::attempt_for(pool, account_id, attempt_id, made_by).await?;
    let Some(waiting) = attempt_store::waiting_charge(pool, attempt_id).await? else { return Ok(view) };
    let outcome = processor.payment_state(&waiting.charge_id).await.map_err(processor_failed)?;
    let card = ChargedCard { token: &waiting.processor_token, forget_after: waiting.forget_card_after };
    let settled = settle(pool, processor, attempt_id, card, outcome).await?;
    let view = attempt_store::attempt(pool, account_id, attempt_id).await?;
    Ok(AttemptView { authenticate_with: settled.authenticate_with, ..view })
}

/// The card a pending attempt was charged with, as settling it needs it.
#[derive(Clone, Copy)]
pub(super) struct ChargedCard<'a> {
    pub token: &'a str,
    /// A new card the person didn't save: let go at the processor once the attempt is settled.
    pub forget_after: bool,
}

/// What applying a charge's state to its attempt did.
pub(super) struct Settlement {
    /// The attempt was settled now (false: it waits, or was settled before).
    pub recorded: bool,
    /// While the charge waits for the person: what their browser completes it with.
    pub authenticate_with: Option<String>,
}

/// The one place a charge's state reaches its pending attempt, whoever learned it: a final outcome is
/// recorded once (`record_outcome`) and an unsaved new card let go; a charge that waits — for the person
/// (3-D Secure) or for the processor — keeps its charge on the attempt, for finishing or recovering it.
pub(super) async fn settle(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    attempt_id: Uuid,
    card: ChargedCard<'_>,
    outcome: ChargeOutcome,
) -> Result<Settlement, AppError> {
    let authenticate_with = match outcome {
        ChargeOutcome::NeedsAuthentication { ref charge_id, ref client_secret } => {
            attempt_store::remember_charge(pool, attempt_id, charge_id).await?;
            Some(client_secret.clone())
        }
        ChargeOutcome::Processing { ref charge_id } => {
            attempt_store::remember_charge(pool, attempt_id, charge_id).await?;
            None
        }
        ChargeOutcome::Succeeded { .. } | ChargeOutcome::Declined { .. } => {
            let recorded = record_outcome(pool, attempt_id, &outcome).await?;
            if recorded && card.forget_after {
                forget_card(processor, attempt_id, card.token).await;
            }
            return Ok(Settlement { recorded, authenticate_with: None });
        }
    };
    Ok(Settlement { recorded: false, authenticate_with })
}

/// What became of a charge's outcome the processor reported on its own (its webhook).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reported {
    /// Recorded now: the processor told first.
    Settled,
    /// Recorded before (the browser's return, recovery or an earlier event told first), the same way.
    AlreadySettled,
    /// No attempt has this key (another system's payment on the same processor account).
    UnknownAttempt,
    /// Recorded before the other way: the processor says it succeeded and Tollgate recorded a failure (or
    /// the reverse). Logged as an error for the people who run Tollgate to reconcile.
    Contradicts,
}

/// Records the final `outcome` the processor reported for the charge made with `idempotency_key`, once,
/// whoever told first (docs/ARCHITECTURE.md "Stripe": the browser's return, the webhook, recovery).
#[tracing::instrument(name = "add_funds::record_reported", skip(pool, processor, outcome))]
pub async fn record_reported(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    idempotency_key: &str,
    outcome: &ChargeOutcome,
) -> Result<Reported, AppError> {
    let Some(attempt) = attempt_store::by_idempotency_key(pool, idempotency_key).await? else {
        return Ok(Reported::UnknownAttempt);
    };
    if attempt.status == AttemptStatus::Pending {
        let card = ChargedCard { token: &attempt.processor_token, forget_after: attempt.forget_card_after };
        if settle(pool, processor, attempt.id, card, outcome.clone()).await?.recorded {
            return Ok(Reported::Settled);
        }
    }
    let now = attempt_store::by_idempotency_key(pool, idempotency_key).await?.map(|a| a.status);
    let agrees = match outcome {
        ChargeOutcome::Succeeded { .. } => now == Some(AttemptStatus::Succeeded),
        ChargeOutcome::Declined { .. } => now == Some(AttemptStatus::Failed),
        ChargeOutcome::NeedsAuthentication { .. } | ChargeOutcome::Processing { .. } => true,
    };
    if agrees {
        Ok(Reported::AlreadySettled)
    } else {
        tracing::error!(attempt_id = %attempt.id, status = ?now, reported = ?outcome,
            "the processor reports an outcome other than the one recorded: reconcile this payment");
        Ok(Reported::Contradicts)
    }
}

/// Whether a person is there to answer their bank, from the channel an attempt was asked through.
pub(super) fn presence_of(channel: Option<Channel>) -> Presence {
    match channel {
        Some(Channel::Dashboard | Channel::Checkout) => Presence::Person,
        _ => Presence::NoOne,
    }
}

/// A new card used once and not saved is let go at the processor; failing that is logged (the card
/// stays unsaved at Tollgate, which never charges it again).
async fn forget_card(processor: &dyn PaymentProcessor, attempt_id: Uuid, token: &str) {
    if let Err(err) = processor.forget_card(token).await {
        tracing::warn!(%attempt_id, error = %err, "an unsaved card could not be let go at the processor");
    }
}

/// Phase 2's charge and phase 3, for an attempt just made `pending` (by a person's confirm, or by an auto
/// top-up's claim): the processor is charged with the attempt's idempotency key and the outcome recorded.
/// A charge left unanswered stays pending for recovery (`ProcessorUnavailable`); a permanent refusal
/// settles the attempt as failed. A charge whose bank wants the person (only where one is there) stays
/// pending with its charge kept, and the answer is what their browser completes it with.
pub(crate) async fn charge_claimed(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    attempt_id: Uuid,
    claimed: &ClaimedDraft,
) -> Result<Option<String>, AppError> {
    let presence = presence_of(claimed.channel);
    let outcome = match processor
        .charge(&claimed.processor_token, Usd::new(claimed.amount), &claimed.idempotency_key, presence)
        .await
    {
        Ok(outcome) => outcome,
        Err(err) if err.is_permanent() => {
            tracing::error!(%attempt_id, error = %err, "the processor refused the charge for good");
            record_refusal(pool, attempt_id, &err).await?;
            return Ok(None);
        }
        Err(err) => {
            // The charge may or may not have happened: the attempt stays pending for recovery to settle.
            tracing::warn!(%attempt_id, error = %err, "charge unanswered; left pending for recovery");
            return Err(processor_failed(err));
        }
    };
    hang_here_if_testing_recovery().await;
    let card = ChargedCard { token: &claimed.processor_token, forget_after: claimed.forget_card_after };
    Ok(settle(pool, processor, attempt_id, card, outcome).await?.authenticate_with)
}

/// Settles an attempt the processor refused outright ([`ProcessorError::is_permanent`]): failed, with a
/// processing error for the person and the processor's words as the reason; nothing was charged, so no
/// card is saved or marked. Returns false when the attempt was already settled.
#[tracing::instrument(name = "add_funds::record_refusal", skip(pool))]
pub(super) async fn record_refusal(
    pool: &PgPool,
    attempt_id: Uuid,
    refusal: &ProcessorError,
) -> Result<bool, AppError> {
    let code = DeclineCode::ProcessingError;
    let mut tx = pool.begin().await?;
    let reason = format!("refused by the processor: {refusal}");
    let settled = attempt_store::mark_refused(&mut tx, attempt_id, code, &reason).await?;
    if settled {
        job::settle(&mut tx, attempt_id, Settled::Declined { message: code.message() }).await?;
    }
    tx.commit().await?;
    Ok(settled)
}

/// Phase 3, one transaction: the attempt's final state, the ledger credit and the card's state.
/// Returns false when the attempt was already settled (by a concurrent confirm or recovery).
#[tracing::instrument(name = "add_funds::record_outcome", skip(pool, outcome))]
pub(super) async fn record_outcome(
    pool: &PgPool,
    attempt_id: Uuid,
    outcome: &ChargeOutcome,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let settling = attempt_store::lock_for_settling(&mut tx, attempt_id).await?;
    if settling.status != AttemptStatus::Pending {
        return Ok(false);
    }
    match outcome {
        ChargeOutcome::Succeeded { charge_id } => {
            let reference = format!("payment:{attempt_id}");
            let posting = Posting {
                account_id: settling.account_id,
                kind: EntryKind::Deposit,
                amount: settling.amount,
                reference: &reference,
                at: None,
            };
            let posted = ledger::post(&mut tx, posting).await?;
            let card = match (settling.payment_method_id, settling.save_card) {
                (Some(id), _) => Some(id),
                (None, true) => Some(card_store::save_from_attempt(&mut tx, attempt_id).await?),
                (None, false) => None,
            };
            let card_added = settling.payment_method_id.is_none() && card.is_some();
            audit::record_top_up(&mut tx, attempt_id, TopUpEvents { funds_added: true, card_added }).await?;
            if let Some(card) = card {
                card_store::clear_error(&mut tx, settling.account_id, card).await?;
            }
            attempt_store::mark_succeeded(
                &mut tx,
                attempt_id,
                settling.account_id,
                (charge_id, posted.entry_id),
                card,
            )
            .await?;
            job::settle(&mut tx, attempt_id, Settled::Paid).await?;
            let channel: &str = settling.channel.unwrap_or(Channel::Dashboard).into();
            let data = json!({
                "payment_id": attempt_id,
                "amount": Usd::new(settling.amount).json_cents(),
                "balance": posted.balance_after.json_cents(),
                "channel": channel,
            });
            outbox::emit(&mut tx, settling.account_id, EventType::FundsAdded, data).await?;
        }
        ChargeOutcome::NeedsAuthentication { .. } | ChargeOutcome::Processing { .. } => {
            return Err(AppError::bug("a charge that waits was recorded as settled"));
        }
        ChargeOutcome::Declined { charge_id, decline } => {
            let save = settling.save_card && !decline.is_lost_or_stolen();
            let card = match (settling.payment_method_id, save) {
                (Some(id), _) => Some(id),
                (None, true) => Some(card_store::save_from_attempt(&mut tx, attempt_id).await?),
                (None, false) => None,
            };
            if settling.payment_method_id.is_none() && card.is_some() {
                let events = TopUpEvents { funds_added: false, card_added: true };
                audit::record_top_up(&mut tx, attempt_id, events).await?;
            }
            if let Some(card) = card {
                card_store::mark_declined(&mut tx, settling.account_id, card, decline.code).await?;
            }
            attempt_store::mark_declined(&mut tx, attempt_id, charge_id, decline, card).await?;
            job::settle(&mut tx, attempt_id, Settled::Declined { message: decline.code.message() }).await?;
            if let Some(card) = card {
                let data = json!({
                    "payment_method_id": card,
                    "card": card_label(settling.card_brand, &settling.card_last4),
                    "payment_id": attempt_id,
                    "decline_code": decline.code.as_str(),
                    "message": decline.code.message(),
                });
                outbox::emit(&mut tx, settling.account_id, EventType::PaymentMethodFailed, data).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// A duplicate confirmation: wait (without holding a connection) until the first one settles.
async fn wait_for_result(pool: &PgPool, account_id: Uuid, attempt_id: Uuid) -> Result<AttemptView, AppError> {
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        let view = attempt_store::attempt(pool, account_id, attempt_id).await?;
        if view.status.is_final() || started.elapsed() > DUPLICATE_WAIT {
            return Ok(view);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// A card setup the processor wouldn't turn into a card (not this account's, not finished, unknown).
fn card_setup_failed(err: ProcessorError) -> AppError {
    match err {
        ProcessorError::Unavailable(_) => processor_failed(err),
        other => {
            tracing::warn!(error = %other, "a card setup was refused");
            AppError::CardSetupIncomplete
        }
    }
}

/// How a processor failure reads to a person: "try again" when it may be passing, else ours.
pub(super) fn processor_failed(err: ProcessorError) -> AppError {
    match err {
        ProcessorError::Unavailable(detail) => {
            tracing::warn!(%detail, "payment processor unavailable");
            AppError::ProcessorUnavailable
        }
        other => AppError::internal("the payment processor refused the request", other),
    }
}

/// Fault point for the crash-recovery test, compiled only with the `test-hooks` feature (which `make test`
/// turns on for its test builds; the site `make run` serves never has it): with
/// `TOLLGATE_TEST_HANG_AFTER_CHARGE=1` the request stops right after the processor charged and before the
/// wallet is credited, so the test can SIGKILL the process in exactly that state.
#[cfg(feature = "test-hooks")]
async fn hang_here_if_testing_recovery() {
    if std::env::var("TOLLGATE_TEST_HANG_AFTER_CHARGE").is_ok_and(|v| v == "1") {
        tracing::error!("TOLLGATE_TEST_HANG_AFTER_CHARGE: holding between charge and credit");
        std::future::pending::<()>().await;
    }
}

#[cfg(not(feature = "test-hooks"))]
async fn hang_here_if_testing_recovery() {}
