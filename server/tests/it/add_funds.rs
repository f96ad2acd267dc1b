//! Add Funds exactly once: concurrency, declines, recovery and authorization, on the real Postgres with
//! the sandbox processor.

use async_trait::async_trait;
use rust_decimal::Decimal;
use server::sandbox_processor::SandboxProcessor;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::ledger;
use tollgate_core::payments::add_funds::{self, CardChoice};
use tollgate_core::payments::attempt_store;
use tollgate_core::payments::card_store;
use tollgate_core::payments::processor::{
    CardToken, ChargeOutcome, PaymentProcessor, Presence, ProcessorError, RefundOutcome,
};
use tollgate_core::payments::recovery;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;
use tollgate_domain::money::{TopUpAmount, Usd};
use tollgate_domain::payments::attempt::{AttemptStatus, AttemptView};
use tollgate_domain::payments::card::{CardChange, CardNumber, Cvc, Expiry, PostalCode};
use tollgate_domain::payments::decline::DeclineCode;
use tollgate_domain::payments::new_card::NewCard;
use uuid::Uuid;

async fn sandbox(pool: &PgPool) -> Arc<SandboxProcessor> {
    // A little latency, so concurrent confirmations really overlap the charge.
    Arc::new(SandboxProcessor::install(pool.clone(), Duration::from_millis(20)).await.unwrap())
}

async fn account(pool: &PgPool, email: &str) -> Uuid {
    auth_db::create_user_with_account(pool, &Email::parse(email).unwrap(), "x").await.unwrap().account_id
}

fn new_card(number: &str, expiry: &str, postal: &str, save: bool) -> CardChoice {
    CardChoice::New {
        card: NewCard {
            number: CardNumber::parse(number).unwrap(),
            expiry: Expiry::parse(expiry).unwrap(),
            cvc: Cvc::parse("123").unwrap(),
            postal_code: PostalCode::parse(postal).unwrap(),
        },
        save,
    }
}

fn amount(text: &str) -> TopUpAmount {
    TopUpAmount::parse(text).unwrap()
}

async fn deposit(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    text: &str,
    choice: CardChoice,
) -> AttemptView {
    let draft = add_funds::start_draft(
        pool,
        processor,
        account_id,
        amount(text),
        choice,
        crate::support::PERSON,
        None,
    )
    .await
    .unwrap();
    assert_eq!(draft.status, AttemptStatus::Draft);
    add_funds::confirm(pool, processor, account_id, draft.id, crate::support::PERSON, None).await.unwrap()
}

async fn balance_and_ledger(pool: &PgPool, account_id: Uuid) -> (Decimal, Decimal) {
    let mut conn = pool.acquire().await.unwrap();
    ledger::balance_and_ledger_sum(&mut conn, account_id).await.unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn usd(text: &str) -> Usd {
    Usd::new(text.parse().unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn first_deposit_saves_the_card_as_default_and_the_second_uses_it(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "first@example.test").await;
    let first =
        deposit(&pool, &*processor, me, "$25", new_card("4242 4242 4242 4242", "12/30", "10001", true)).await;
    assert_eq!((first.status, first.balance_after), (AttemptStatus::Succeeded, Some(usd("25"))));
    assert_eq!(first.card_label, "Visa •••• 4242");
    let card = first.payment_method_id.expect("card saved");
    let (is_default, has_error): (bool, bool) =
        sqlx::query_as("SELECT is_default, has_error FROM payment_methods WHERE id = $1")
            .bind(card)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(is_default && !has_error);

    let second = deposit(&pool, &*processor, me, "10", CardChoice::Saved(card)).await;
    assert_eq!(second.balance_after, Some(usd("35")));
    assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::from(35), Decimal::from(35)));
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_parallel_confirms_of_one_draft_charge_once_and_all_get_the_same_answer(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "double@example.test").await;
    let draft = add_funds::start_draft(
        &pool,
        &*processor,
        me,
        amount("25.00"),
        new_card("4242424242424242", "12/30", "10001", true),
        crate::support::PERSON,
        None,
    )
    .await
    .unwrap();
    let confirms: Vec<_> = (0..50)
        .map(|_| {
            let (pool, processor) = (pool.clone(), processor.clone());
            tokio::spawn(async move {
                add_funds::confirm(&pool, &*processor, me, draft.id, crate::support::PERSON, None).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for confirm in confirms {
        answers.push(confirm.await.unwrap().expect("every duplicate gets the result, never an error"));
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "50 identical answers");
    assert_eq!(answers[0].status, AttemptStatus::Succeeded);
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, 1, "one charge");
    assert_eq!(count(&pool, "SELECT count(*) FROM ledger_entries").await, 1, "one ledger entry");
    assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::from(25), Decimal::from(25)));
    // And later replays (back button, resubmit) still answer the same.
    assert_eq!(
        add_funds::confirm(&pool, &*processor, me, draft.id, crate::support::PERSON, None).await.unwrap(),
        answers[0]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn twenty_drafts_confirmed_in_parallel_make_twenty_charges_and_an_exact_sum(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "many@example.test").await;
    let first =
        deposit(&pool, &*processor, me, "10", new_card("4242424242424242", "12/30", "10001", true)).await;
    let card = first.payment_method_id.unwrap();
    let mut drafts = Vec::new();
    for i in 0..20 {
        let text = format!("{}.{:02}", 10 + i, i * 3 + 1);
        drafts.push(
            add_funds::start_draft(
                &pool,
                &*processor,
                me,
                amount(&text),
                CardChoice::Saved(card),
                crate::support::PERSON,
                None,
            )
            .await
            .unwrap(),
        );
    }
    let expected: Decimal = Decimal::from(10) + drafts.iter().map(|d| d.amount.amount()).sum::<Decimal>();
    let confirms: Vec<_> = drafts
        .iter()
        .map(|d| {
            let (pool, processor, id) = (pool.clone(), processor.clone(), d.id);
            tokio::spawn(async move {
                add_funds::confirm(&pool, &*processor, me, id, crate::support::PERSON, None).await
            })
        })
        .collect();
    for confirm in confirms {
        assert_eq!(confirm.await.unwrap().unwrap().status, AttemptStatus::Succeeded);
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, 21);
    assert_eq!(balance_and_ledger(&pool, me).await, (expected, expected));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_decline_is_kept_on_attempt_and_card_and_a_fixed_card_succeeds_and_clears_it(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "address@example.test").await;
    let failed =
        deposit(&pool, &*processor, me, "20", new_card("4000 0000 0000 0010", "12/30", "10001", true)).await;
    assert_eq!(failed.status, AttemptStatus::Failed);
    assert_eq!(failed.decline_code.map(DeclineCode::as_str), Some("incorrect_address"));
    assert_eq!(
        failed.decline_message.as_deref(),
        Some("The billing address doesn't match your card. Update the billing postal code or use another card.")
    );
    let card = failed.payment_method_id.expect("a failed new card with Save checked is saved");
    let (has_error, code): (bool, Option<String>) =
        sqlx::query_as("SELECT has_error, error_code FROM payment_methods WHERE id = $1")
            .bind(card)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((has_error, code.as_deref()), (true, Some("incorrect_address")));
    assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::ZERO, Decimal::ZERO));

    card_store::update_card(
        &pool,
        &*processor,
        &crate::support::owner_actor(&pool, me).await,
        card,
        // Only the postal code typed: the expiry stays as it was.
        CardChange { expiry: None, postal_code: Some(PostalCode::parse("94107").unwrap()) },
    )
    .await
    .unwrap();
    let kept: (i32, i32, String) = sqlx::query_as(
        "SELECT expiry_month, expiry_year, billing_postal_code FROM payment_methods WHERE id = $1",
    )
    .bind(card)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, (12, 2030, "94107".to_string()), "the blank expiry kept its value");
    let retried = deposit(&pool, &*processor, me, "20", CardChoice::Saved(card)).await;
    assert_eq!(retried.status, AttemptStatus::Succeeded);
    let has_error: bool = sqlx::query_scalar("SELECT has_error FROM payment_methods WHERE id = $1")
        .bind(card)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!has_error, "a later success clears the card's error");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_saved_card_that_expired_is_declined_then_works_after_updating_its_expiry(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "expired@example.test").await;
    let first =
        deposit(&pool, &*processor, me, "10", new_card("4242424242424242", "12/30", "10001", true)).await;
    let card = first.payment_method_id.unwrap();
    // The card expires while saved (set up through the database, as at both the processor and here).
    sqlx::query("UPDATE sandbox_processor.cards SET exp_month = 1, exp_year = 2024")
        .execute(&pool)
        .await
        .unwrap();
    let failed = deposit(&pool, &*processor, me, "10", CardChoice::Saved(card)).await;
    assert_eq!(failed.decline_code.map(DeclineCode::as_str), Some("expired_card"));
    card_store::update_card(
        &pool,
        &*processor,
        &crate::support::owner_actor(&pool, me).await,
        card,
        CardChange { expiry: Some(Expiry::parse("11/31").unwrap()), postal_code: None },
    )
    .await
    .unwrap();
    let retried = deposit(&pool, &*processor, me, "10", CardChoice::Saved(card)).await;
    assert_eq!(retried.balance_after, Some(usd("20")));
}

#[sqlx::test(migrations = "../migrations")]
async fn lost_and_stolen_cards_show_the_generic_decline_and_are_never_saved(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "stolen@example.test").await;
    for number in ["4000000000009987", "4000000000009979"] {
        let failed = deposit(&pool, &*processor, me, "10", new_card(number, "12/30", "10001", true)).await;
        assert_eq!(failed.decline_code.map(DeclineCode::as_str), Some("generic_decline"));
        assert_eq!(failed.payment_method_id, None);
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_methods").await, 0);
    let reasons: Vec<String> =
        sqlx::query_scalar("SELECT decline_reason FROM payment_attempts ORDER BY created_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(reasons, ["lost_card", "stolen_card"], "the real reason stays in our records");
}

#[sqlx::test(migrations = "../migrations")]
async fn five_declines_in_ten_minutes_lock_new_attempts(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "tester@example.test").await;
    for _ in 0..5 {
        deposit(&pool, &*processor, me, "10", new_card("4000000000000002", "12/30", "10001", false)).await;
    }
    let sixth = add_funds::start_draft(
        &pool,
        &*processor,
        me,
        amount("10"),
        new_card("4242424242424242", "12/30", "10001", false),
        crate::support::PERSON,
        None,
    )
    .await;
    assert_eq!(sixth.unwrap_err(), AppError::CardTestingLocked);
    assert_eq!(AppError::CardTestingLocked.message(), "Too many declined attempts. Try again in 15 minutes.");
    // Declines older than the window don't count.
    sqlx::query("UPDATE payment_attempts SET completed_at = completed_at - interval '16 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(add_funds::start_draft(
        &pool,
        &*processor,
        me,
        amount("10"),
        new_card("4242424242424242", "12/30", "10001", false),
        crate::support::PERSON,
        None
    )
    .await
    .is_ok());
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_cards_and_attempts_are_not_found(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let alice = account(&pool, "alice@example.test").await;
    let mallory = account(&pool, "mallory@example.test").await;
    let paid =
        deposit(&pool, &*processor, alice, "10", new_card("4242424242424242", "12/30", "10001", true)).await;
    let alices_card = paid.payment_method_id.unwrap();
    let draft = add_funds::start_draft(
        &pool,
        &*processor,
        alice,
        amount("10"),
        CardChoice::Saved(alices_card),
        crate::support::PERSON,
        None,
    )
    .await
    .unwrap();

    let steal = add_funds::start_draft(
        &pool,
        &*processor,
        mallory,
        amount("10"),
        CardChoice::Saved(alices_card),
        crate::support::PERSON,
        None,
    )
    .await;
    assert_eq!(steal.unwrap_err(), AppError::NotFound);
    assert_eq!(
        add_funds::confirm(&pool, &*processor, mallory, draft.id, crate::support::PERSON, None)
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(attempt_store::attempt(&pool, mallory, paid.id).await.unwrap_err(), AppError::NotFound);
    let update = card_store::update_card(
        &pool,
        &*processor,
        &crate::support::owner_actor(&pool, mallory).await,
        alices_card,
        CardChange::parse("01/31", "99999").unwrap(),
    )
    .await;
    assert_eq!(update.unwrap_err(), AppError::NotFound);
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, 1);
}

/// A processor whose charges fail with `error`: "unavailable" for an answer lost on the way back (after
/// charging, or not), or a refusal for good. Everything else is the sandbox's.
struct FailingCharges {
    inner: Arc<SandboxProcessor>,
    charge_before_failing: bool,
    error: fn() -> ProcessorError,
}

#[async_trait]
impl PaymentProcessor for FailingCharges {
    async fn tokenize(&self, card: NewCard) -> Result<CardToken, ProcessorError> {
        self.inner.tokenize(card).await
    }
    async fn update_card(
        &self,
        token: &str,
        expiry: Expiry,
        postal: &PostalCode,
    ) -> Result<(), ProcessorError> {
        self.inner.update_card(token, expiry, postal).await
    }
    async fn charge(
        &self,
        token: &str,
        amount: Usd,
        key: &str,
        presence: Presence,
    ) -> Result<ChargeOutcome, ProcessorError> {
        if self.charge_before_failing {
            self.inner.charge(token, amount, key, presence).await?;
        }
        Err((self.error)())
    }
    async fn find_charge(&self, key: &str) -> Result<Option<ChargeOutcome>, ProcessorError> {
        self.inner.find_charge(key).await
    }
    async fn refund(&self, charge_id: &str, amount: Usd, key: &str) -> Result<RefundOutcome, ProcessorError> {
        self.inner.refund(charge_id, amount, key).await
    }
}

/// An account with an attempt left `pending`: confirmed, but the processor's answer was lost (after
/// charging when `charged`). Returns the account, the attempt and the flaky processor.
async fn pending_after_lost_answer(
    pool: &PgPool,
    sandbox: &Arc<SandboxProcessor>,
    charged: bool,
    email: &str,
    text: &str,
) -> (Uuid, Uuid, FailingCharges) {
    let flaky = FailingCharges {
        inner: sandbox.clone(),
        charge_before_failing: charged,
        error: || ProcessorError::Unavailable("connection reset".into()),
    };
    let me = account(pool, email).await;
    let choice = new_card("4242424242424242", "12/30", "10001", true);
    let draft = add_funds::start_draft(pool, &flaky, me, amount(text), choice, crate::support::PERSON, None)
        .await
        .unwrap();
    assert_eq!(
        add_funds::confirm(pool, &flaky, me, draft.id, crate::support::PERSON, None).await.unwrap_err(),
        AppError::ProcessorUnavailable
    );
    (me, draft.id, flaky)
}

#[sqlx::test(migrations = "../migrations")]
async fn recovery_credits_a_charge_whose_answer_was_lost_exactly_once(pool: PgPool) {
    for charged in [true, false] {
        let sandbox = sandbox(&pool).await;
        let email = format!("recover-{charged}@example.test");
        let (me, attempt_id, _) = pending_after_lost_answer(&pool, &sandbox, charged, &email, "42.50").await;
        assert_eq!(
            attempt_store::attempt(&pool, me, attempt_id).await.unwrap().status,
            AttemptStatus::Pending
        );
        assert_eq!(balance_and_ledger(&pool, me).await.0, Decimal::ZERO, "nothing credited yet");

        assert_eq!(recovery::recover_pending(&pool, &*sandbox, Duration::ZERO).await.unwrap(), 1);
        assert_eq!(
            recovery::recover_pending(&pool, &*sandbox, Duration::ZERO).await.unwrap(),
            0,
            "a second pass changes nothing"
        );
        let settled = attempt_store::attempt(&pool, me, attempt_id).await.unwrap();
        assert_eq!((settled.status, settled.balance_after), (AttemptStatus::Succeeded, Some(usd("42.50"))));
        assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::new(4250, 2), Decimal::new(4250, 2)));
        // A confirm arriving late (the person pressed again) replays the result: no second charge.
        assert_eq!(
            add_funds::confirm(&pool, &*sandbox, me, attempt_id, crate::support::PERSON, None).await.unwrap(),
            settled
        );
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await,
        2,
        "one charge per attempt"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sweep_leaves_a_fresh_pending_attempt_to_its_request_and_settles_a_stale_one(pool: PgPool) {
    let sandbox = sandbox(&pool).await;
    let (me, _, _) = pending_after_lost_answer(&pool, &sandbox, true, "sweep@example.test", "30").await;
    let minute = Duration::from_secs(60);
    assert_eq!(recovery::recover_pending(&pool, &*sandbox, minute).await.unwrap(), 0, "too fresh to sweep");
    sqlx::query("UPDATE payment_attempts SET confirmed_at = confirmed_at - interval '2 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(recovery::recover_pending(&pool, &*sandbox, minute).await.unwrap(), 1);
    assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::from(30), Decimal::from(30)));
}

#[sqlx::test(migrations = "../migrations")]
async fn recovery_keeps_going_when_the_processor_cannot_answer_for_one_attempt(pool: PgPool) {
    let sandbox = sandbox(&pool).await;
    let (me, attempt_id, flaky) =
        pending_after_lost_answer(&pool, &sandbox, false, "down@example.test", "30").await;
    // The processor is still down: nothing settles, nothing fails, the attempt waits for the next pass.
    assert_eq!(recovery::recover_pending(&pool, &flaky, Duration::ZERO).await.unwrap(), 0);
    assert_eq!(attempt_store::attempt(&pool, me, attempt_id).await.unwrap().status, AttemptStatus::Pending);
    assert_eq!(recovery::recover_pending(&pool, &*sandbox, Duration::ZERO).await.unwrap(), 1);
}

/// Fail closed: a decline code the processor recorded that this build doesn't know can never read as a
/// success. The attempt is recovered as failed (the generic decline), nothing is credited, and the code
/// is kept as the decline's internal reason.
#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_decline_code_at_the_processor_leaves_the_attempt_failed_and_the_balance_unchanged(
    pool: PgPool,
) {
    let sandbox = sandbox(&pool).await;
    // The charge was made, but its answer was lost: the attempt waits, pending, for recovery.
    let (me, attempt_id, _) =
        pending_after_lost_answer(&pool, &sandbox, true, "odd@example.test", "25").await;
    // Meanwhile the processor's record of that charge says: declined, for a reason we have no code for.
    sqlx::query(
        "UPDATE sandbox_processor.charges SET decline_code = 'card_velocity_exceeded', decline_reason = NULL",
    )
    .execute(&pool)
    .await
    .unwrap();

    assert_eq!(recovery::recover_pending(&pool, &*sandbox, Duration::ZERO).await.unwrap(), 1);
    let settled = attempt_store::attempt(&pool, me, attempt_id).await.unwrap();
    assert_eq!(settled.status, AttemptStatus::Failed);
    assert_eq!(settled.decline_code, Some(DeclineCode::GenericDecline));
    assert_eq!(settled.balance_after, None);
    assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::ZERO, Decimal::ZERO));
    let reason: String = sqlx::query_scalar("SELECT decline_reason FROM payment_attempts WHERE id = $1")
        .bind(attempt_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(reason.contains("card_velocity_exceeded"), "{reason}");
}

/// Fail closed in our own tables too: a status or code we can't read back is an error, never a default.
#[sqlx::test(migrations = "../migrations")]
async fn an_unreadable_code_in_storage_is_an_error_not_a_default(pool: PgPool) {
    let sandbox = sandbox(&pool).await;
    let me = account(&pool, "stored@example.test").await;
    let failed =
        deposit(&pool, &*sandbox, me, "20", new_card("4000000000000002", "12/30", "10001", true)).await;
    assert_eq!(failed.status, AttemptStatus::Failed);
    sqlx::query("UPDATE payment_attempts SET decline_code = 'not_a_code' WHERE id = $1")
        .bind(failed.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        attempt_store::attempt(&pool, me, failed.id).await.unwrap_err(),
        AppError::Internal(Default::default())
    );
    sqlx::query("UPDATE payment_methods SET error_code = 'not_a_code' WHERE account_id = $1")
        .bind(me)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(card_store::saved_cards(&pool, me).await.unwrap_err(), AppError::Internal(Default::default()));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_charge_the_processor_refuses_for_good_settles_failed_with_a_reason_at_once(pool: PgPool) {
    // It no longer knows the card.
    let refusing = FailingCharges {
        inner: sandbox(&pool).await,
        charge_before_failing: false,
        error: || ProcessorError::UnknownToken,
    };
    let me = account(&pool, "refused@example.test").await;
    let choice = new_card("4242424242424242", "12/30", "10001", true);
    let draft =
        add_funds::start_draft(&pool, &refusing, me, amount("25"), choice, crate::support::PERSON, None)
            .await
            .unwrap();
    let settled =
        add_funds::confirm(&pool, &refusing, me, draft.id, crate::support::PERSON, None).await.unwrap();
    assert_eq!(settled.status, AttemptStatus::Failed, "not left pending for ever");
    assert_eq!(settled.decline_code, Some(DeclineCode::ProcessingError));
    let reason: String =
        sqlx::query_scalar("SELECT decline_reason FROM payment_attempts").fetch_one(&pool).await.unwrap();
    assert_eq!(reason, "refused by the processor: unknown card token");
    assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::ZERO, Decimal::ZERO));
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_methods").await, 0, "a refused card is not saved");
}

#[sqlx::test(migrations = "../migrations")]
async fn one_attempt_that_cannot_be_settled_never_stops_a_recovery_pass(pool: PgPool) {
    let sandbox = sandbox(&pool).await;
    let (_, refused, _) = pending_after_lost_answer(&pool, &sandbox, false, "gone@example.test", "20").await;
    let (broken_owner, broken, _) =
        pending_after_lost_answer(&pool, &sandbox, true, "broken@example.test", "30").await;
    let (fine_owner, fine, _) =
        pending_after_lost_answer(&pool, &sandbox, true, "fine@example.test", "40").await;
    // The first attempt's card is unknown to the processor now; settling the second fails in the database.
    sqlx::query("UPDATE payment_attempts SET processor_token = 'tok_forgotten' WHERE id = $1")
        .bind(refused)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(&format!(
        "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id = '{broken}' THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER refuse_one BEFORE UPDATE ON payment_attempts FOR EACH ROW EXECUTE FUNCTION refuse_one()")
        .execute(&pool)
        .await
        .unwrap();

    assert_eq!(recovery::recover_pending(&pool, &*sandbox, Duration::ZERO).await.unwrap(), 2);
    let status = |id: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM payment_attempts WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(status(refused).await, "failed", "refused for good: settled failed");
    assert_eq!(status(broken).await, "pending", "kept for the next pass");
    assert_eq!(status(fine).await, "succeeded", "the pass went on after the broken one");
    assert_eq!(balance_and_ledger(&pool, fine_owner).await.0, Decimal::new(4000, 2));

    sqlx::query("DROP TRIGGER refuse_one ON payment_attempts").execute(&pool).await.unwrap();
    assert_eq!(recovery::recover_pending(&pool, &*sandbox, Duration::ZERO).await.unwrap(), 1);
    assert_eq!(balance_and_ledger(&pool, broken_owner).await.0, Decimal::new(3000, 2));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_database_keeps_only_card_brands_the_app_can_read(pool: PgPool) {
    use tollgate_domain::payments::card::CardBrand;
    let account = account(&pool, "brands@example.test").await;
    let save = |brand: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO payment_methods (account_id, processor_token, brand, last4, expiry_month, expiry_year,
                                              billing_postal_code, is_default, added_by)
                 SELECT $1, gen_random_uuid()::text, $2, '4242', 12, 2030, '94107', false, user_id
                   FROM memberships WHERE account_id = $1",
            )
            .bind(account)
            .bind(brand)
            .execute(&pool)
            .await
        }
    };
    for brand in
        [CardBrand::Visa, CardBrand::Mastercard, CardBrand::Amex, CardBrand::Discover, CardBrand::Other]
    {
        let name: &'static str = brand.into();
        save(name).await.unwrap_or_else(|e| panic!("{name} is a brand the app writes: {e}"));
    }
    for unreadable in ["visa", "VISA", "amex", ""] {
        assert!(save(unreadable).await.is_err(), "{unreadable:?} would break the page that lists it");
    }
}

/// A draft on a saved card of `account_id`, made by its owner on the wallet page.
async fn owners_draft(pool: &PgPool, processor: &dyn PaymentProcessor, account_id: Uuid, card: Uuid) -> Uuid {
    let owner = crate::support::owner_of(pool, account_id).await;
    let choice = CardChoice::Saved(card);
    let draft = add_funds::start_draft(
        pool,
        processor,
        account_id,
        amount("500"),
        choice,
        crate::support::PERSON,
        Some(owner),
    )
    .await
    .unwrap();
    draft.id
}

#[sqlx::test(migrations = "../migrations")]
async fn a_card_removed_after_its_draft_was_made_is_never_charged(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "remover@example.test").await;
    let owner = crate::support::owner_of(&pool, me).await;
    let card = crate::support::save_card(&pool, &*processor, "4242424242424242", me).await;
    let draft = owners_draft(&pool, &*processor, me, card).await;
    card_store::remove(&pool, &crate::support::owner_actor(&pool, me).await, card).await.unwrap();
    let charges_before = count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await;

    let refused =
        add_funds::confirm(&pool, &*processor, me, draft, crate::support::PERSON, Some(owner)).await;
    assert_eq!(refused.unwrap_err(), AppError::CardNotSaved);
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, charges_before);
    let left = attempt_store::attempt(&pool, me, draft).await.unwrap();
    assert_eq!(left.status, AttemptStatus::Draft, "nothing was claimed");
    assert_eq!(balance_and_ledger(&pool, me).await, (Decimal::from(10), Decimal::from(10)));
}

/// A confirm and a removal of its card at the same moment: either the confirm got the card first (it is
/// charged once and credited) or the removal did (the draft is never claimed, nothing is charged).
#[sqlx::test(migrations = "../migrations")]
async fn a_confirm_racing_the_removal_of_its_card_charges_only_if_it_came_first(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "racer@example.test").await;
    let owner = crate::support::owner_of(&pool, me).await;
    let actor = crate::support::owner_actor(&pool, me).await;
    let (mut charged, mut refused) = (0, 0);
    for _ in 0..12 {
        let card = crate::support::save_card(&pool, &*processor, "4242424242424242", me).await;
        let draft = owners_draft(&pool, &*processor, me, card).await;
        let confirm = add_funds::confirm(&pool, &*processor, me, draft, crate::support::PERSON, Some(owner));
        let (confirmed, removed) = tokio::join!(confirm, card_store::remove(&pool, &actor, card));
        removed.unwrap();
        let status = attempt_store::attempt(&pool, me, draft).await.unwrap().status;
        match confirmed {
            Ok(view) => {
                assert_eq!(view.status, AttemptStatus::Succeeded);
                charged += 1;
            }
            Err(err) => {
                assert_eq!(err, AppError::CardNotSaved);
                assert_eq!(status, AttemptStatus::Draft, "never claimed");
                refused += 1;
            }
        }
    }
    let deposits = count(&pool, "SELECT count(*) FROM payment_attempts WHERE status = 'succeeded'").await;
    assert_eq!(deposits, 12 + charged, "12 first deposits and the confirms that won");
    let charges = count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await;
    assert_eq!(charges, deposits, "one charge per deposit, none for a refused confirm");
    let (balance, ledger) = balance_and_ledger(&pool, me).await;
    assert_eq!(balance, ledger);
    assert_eq!(balance, Decimal::from(12 * 10 + 500 * charged));
    assert_eq!(charged + refused, 12);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_draft_can_be_confirmed_for_thirty_minutes_and_then_expires(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "slow@example.test").await;
    let owner = crate::support::owner_of(&pool, me).await;
    let card = crate::support::save_card(&pool, &*processor, "4242424242424242", me).await;
    let age = |minutes: i32, draft: Uuid| {
        sqlx::query(
            "UPDATE payment_attempts SET created_at = now() - make_interval(mins => $2) WHERE id = $1",
        )
        .bind(draft)
        .bind(minutes)
        .execute(&pool)
    };
    let old = owners_draft(&pool, &*processor, me, card).await;
    age(31, old).await.unwrap();
    let expired = add_funds::confirm(&pool, &*processor, me, old, crate::support::PERSON, Some(owner)).await;
    assert_eq!(expired.unwrap_err(), AppError::TopUpExpired);
    assert_eq!(AppError::TopUpExpired.message(), "This top-up expired. Start again.");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await,
        1,
        "only the first deposit"
    );

    let recent = owners_draft(&pool, &*processor, me, card).await;
    age(29, recent).await.unwrap();
    let paid = add_funds::confirm(&pool, &*processor, me, recent, crate::support::PERSON, Some(owner)).await;
    assert_eq!(paid.unwrap().status, AttemptStatus::Succeeded);
}

#[sqlx::test(migrations = "../migrations")]
async fn only_the_person_who_made_a_draft_can_see_or_confirm_it(pool: PgPool) {
    let processor = sandbox(&pool).await;
    let me = account(&pool, "maker@example.test").await;
    let owner = crate::support::owner_of(&pool, me).await;
    let card = crate::support::save_card(&pool, &*processor, "4242424242424242", me).await;
    let draft = owners_draft(&pool, &*processor, me, card).await;
    let colleague = Some(Uuid::new_v4());
    for someone_else in [colleague, None] {
        let confirm = add_funds::confirm(&pool, &*processor, me, draft, crate::support::PERSON, someone_else);
        assert_eq!(confirm.await.unwrap_err(), AppError::NotFound);
        let seen = attempt_store::attempt_for(&pool, me, draft, someone_else).await;
        assert_eq!(seen.unwrap_err(), AppError::NotFound);
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, 1);
    assert_eq!(
        attempt_store::attempt_for(&pool, me, draft, Some(owner)).await.unwrap().status,
        AttemptStatus::Draft
    );
    let paid = add_funds::confirm(&pool, &*processor, me, draft, crate::support::PERSON, Some(owner)).await;
    assert_eq!(paid.unwrap().status, AttemptStatus::Succeeded);
    // Once settled it is the account's history: anyone on it sees it.
    assert_eq!(
        attempt_store::attempt_for(&pool, me, draft, colleague).await.unwrap().status,
        AttemptStatus::Succeeded
    );
}
