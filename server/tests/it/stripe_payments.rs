//! Deposits through Stripe (docs/CONTRACT.md "Card processors") against recorded answers (wiremock): the
//! whole money path on the real database — a card set up in the browser, the charge with the attempt's
//! idempotency key, 3-D Secure finished by the person or given up on by recovery, a bank that wants a person
//! who isn't there — and the payment settled exactly once whoever tells first: the charge's answer, Stripe's
//! webhook (signed, replayed, out of order) or recovery after a crash.

use crate::support::{balance_of, spawn_app_with, TestApp, PERSON};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use server::stripe::api::StripeApi;
use server::stripe::processor::StripeProcessor;
use server::stripe::settings::StripeSettings;
use sqlx::PgPool;
use std::time::Duration;
use tollgate_core::payments::add_funds::{self, CardChoice};
use tollgate_core::payments::processor::PaymentProcessor;
use tollgate_core::payments::recovery;
use tollgate_core::webhooks::signature;
use tollgate_domain::money::TopUpAmount;
use tollgate_domain::payments::attempt::AttemptStatus;
use uuid::Uuid;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WEBHOOK_SECRET: &str = "whsec_recorded";

fn settings(stripe: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("TOLLGATE_PROCESSOR", "stripe".into()),
        ("STRIPE_SECRET_KEY", "sk_test_recorded".into()),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_recorded".into()),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
        ("STRIPE_API_BASE", stripe.uri()),
        ("STRIPE_JS_URL", format!("{}/js.stripe.com/v3/", stripe.uri())),
        ("TOLLGATE_WEBHOOK_ALLOW_LOOPBACK", "false".into()),
    ]
}

fn processor(stripe: &MockServer) -> StripeProcessor {
    let lookup = |name: &str| settings(stripe).into_iter().find(|(k, _)| *k == name).map(|(_, v)| v);
    let settings = StripeSettings::from_lookup(&lookup).unwrap();
    let api = StripeApi::new(reqwest::Client::new(), &settings.api_base, &settings.secret_key)
        .timeout(Duration::from_secs(2));
    StripeProcessor::new(api, &settings)
}

async fn app_in_stripe_mode(pool: PgPool, stripe: &MockServer) -> TestApp {
    let owned = settings(stripe);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(pool, &pairs).await
}

fn intent(status: &str, extra: Value) -> Value {
    let mut pi = json!({"id": "pi_1", "object": "payment_intent", "amount": 2500, "currency": "usd",
        "status": status, "client_secret": "pi_1_secret_x", "customer": "cus_1", "payment_method": "pm_1",
        "metadata": {}, "last_payment_error": null});
    pi.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    pi
}

/// Stripe answers every new PaymentIntent (a charge) with `answer`.
async fn payments_answer(stripe: &MockServer, answer: ResponseTemplate) {
    Mock::given(method("POST")).and(path("/v1/payment_intents")).respond_with(answer).mount(stripe).await;
}

/// Stripe's side of a card set up in the browser: the customer, the setup, and the card it made.
async fn card_setup_answers(stripe: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "cus_1", "object": "customer"})))
        .mount(stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/setup_intents"))
        .and(body_string_contains("customer=cus_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "seti_1", "object": "setup_intent",
            "status": "requires_payment_method", "client_secret": "seti_1_secret_x", "customer": "cus_1", "payment_method": null})))
        .mount(stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/setup_intents/seti_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "seti_1", "object": "setup_intent",
            "status": "succeeded", "client_secret": "seti_1_secret_x", "customer": "cus_1", "payment_method": "pm_1"})))
        .mount(stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_methods/pm_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "pm_1", "object": "payment_method",
            "customer": "cus_1", "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
            "billing_details": {"address": {"postal_code": "10001"}}})))
        .mount(stripe)
        .await;
}

async fn person(pool: &PgPool, email: &str) -> Uuid {
    let email = tollgate_domain::accounts::credentials::Email::parse(email).unwrap();
    tollgate_core::accounts::store::create_user_with_account(pool, &email, "x").await.unwrap().account_id
}

/// A $25 draft with a card the browser set up: its attempt id and idempotency key.
async fn draft_with_new_card(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account: Uuid,
) -> (Uuid, String) {
    let setup = add_funds::begin_card_setup(pool, processor, account, PERSON).await.unwrap();
    assert_eq!((setup.customer.as_str(), setup.client_secret.as_str()), ("cus_1", "seti_1_secret_x"));
    let choice = CardChoice::SetUp { setup_id: "seti_1".into(), save: true };
    let amount = TopUpAmount::parse("25").unwrap();
    let draft = add_funds::start_draft(pool, processor, account, amount, choice, PERSON, None).await.unwrap();
    let key: String = sqlx::query_scalar("SELECT idempotency_key FROM payment_attempts WHERE id = $1")
        .bind(draft.id)
        .fetch_one(pool)
        .await
        .unwrap();
    (draft.id, key)
}

/// Stripe answering as recorded (a card set up in the browser), its processor, and a new person's $25 draft
/// with that card: the account, the attempt and its idempotency key.
async fn new_card_draft(pool: &PgPool, email: &str) -> (MockServer, StripeProcessor, Uuid, Uuid, String) {
    let stripe = MockServer::start().await;
    card_setup_answers(&stripe).await;
    let processor = processor(&stripe);
    let account = person(pool, email).await;
    let (attempt, key) = draft_with_new_card(pool, &processor, account).await;
    (stripe, processor, account, attempt, key)
}

fn dollars(amount: &str) -> Decimal {
    amount.parse().unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_card_set_up_in_the_browser_is_charged_once_with_the_attempts_key_and_saved(pool: PgPool) {
    let (stripe, processor, account, attempt, key) = new_card_draft(&pool, "first@example.test").await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .and(header("idempotency-key", key.as_str()))
        .and(body_string_contains("amount=2500"))
        .and(body_string_contains("customer=cus_1"))
        .and(body_string_contains("payment_method=pm_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded", json!({}))))
        .expect(1)
        .mount(&stripe)
        .await;
    let done = add_funds::confirm(&pool, &processor, account, attempt, PERSON, None).await.unwrap();
    assert_eq!(done.status, AttemptStatus::Succeeded);
    assert_eq!(done.card_label, "Visa •••• 4242");
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
    let token: String =
        sqlx::query_scalar("SELECT processor_token FROM payment_methods WHERE account_id = $1")
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(token, "cus_1/pm_1", "the saved card is Stripe's customer and card, never a number");
    let sent = stripe.received_requests().await.unwrap();
    let charge = sent.iter().find(|r| r.url.path() == "/v1/payment_intents").unwrap();
    let body = String::from_utf8_lossy(&charge.body);
    assert!(!body.contains("off_session"), "a person was there: {body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_or_an_unfinished_setup_is_no_card(pool: PgPool) {
    let stripe = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/setup_intents/seti_other"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "seti_other", "status": "succeeded",
            "customer": "cus_someone_else", "payment_method": "pm_9"})),
        )
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/setup_intents/seti_open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "seti_open",
            "status": "requires_payment_method", "customer": "cus_1", "payment_method": null})))
        .mount(&stripe)
        .await;
    let processor = processor(&stripe);
    let account = person(&pool, "setup@example.test").await;
    tollgate_core::payments::processor_records::keep_customer(&pool, account, "cus_1").await.unwrap();
    for setup_id in ["seti_other", "seti_open", "seti_missing"] {
        let choice = CardChoice::SetUp { setup_id: setup_id.into(), save: true };
        let amount = TopUpAmount::parse("25").unwrap();
        let err = add_funds::start_draft(&pool, &processor, account, amount, choice, PERSON, None)
            .await
            .unwrap_err();
        assert_eq!(err, tollgate_domain::error::AppError::CardSetupIncomplete, "{setup_id}");
    }
    let drafts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payment_attempts").fetch_one(&pool).await.unwrap();
    assert_eq!(drafts, 0, "nothing is written for a card that isn't this account's");
}

#[sqlx::test(migrations = "../migrations")]
async fn three_d_secure_is_finished_by_the_person_or_given_up_by_recovery(pool: PgPool) {
    let (stripe, processor, account, attempt, _) = new_card_draft(&pool, "bank@example.test").await;
    payments_answer(&stripe, ResponseTemplate::new(200).set_body_json(intent("requires_action", json!({}))))
        .await;
    let waiting = add_funds::confirm(&pool, &processor, account, attempt, PERSON, None).await.unwrap();
    assert_eq!(waiting.status, AttemptStatus::Pending);
    assert_eq!(waiting.authenticate_with.as_deref(), Some("pi_1_secret_x"));
    // The person closed the bank's window: still waiting, the secret given again.
    let read = Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("requires_action", json!({}))))
        .mount_as_scoped(&stripe)
        .await;
    let again = add_funds::finish_authentication(&pool, &processor, account, attempt, None).await.unwrap();
    assert_eq!(
        (again.status, again.authenticate_with.as_deref()),
        (AttemptStatus::Pending, Some("pi_1_secret_x"))
    );
    // Recovery asks, and leaves it alone while the person may still answer.
    assert_eq!(recovery::recover_pending(&pool, &processor, Duration::ZERO).await.unwrap(), 0);
    drop(read);
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded", json!({}))))
        .mount(&stripe)
        .await;
    let done = add_funds::finish_authentication(&pool, &processor, account, attempt, None).await.unwrap();
    assert_eq!(done.status, AttemptStatus::Succeeded);
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
    let twice = add_funds::finish_authentication(&pool, &processor, account, attempt, None).await.unwrap();
    assert_eq!(twice.status, AttemptStatus::Succeeded);
    assert_eq!(balance_of(&pool, account).await, dollars("25"), "credited once");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_person_who_never_answers_their_bank_is_charged_nothing(pool: PgPool) {
    let (stripe, processor, account, attempt, _) = new_card_draft(&pool, "gone@example.test").await;
    payments_answer(&stripe, ResponseTemplate::new(200).set_body_json(intent("requires_action", json!({}))))
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("requires_action", json!({}))))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents/pi_1/cancel"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("canceled", json!({}))))
        .expect(1)
        .mount(&stripe)
        .await;
    add_funds::confirm(&pool, &processor, account, attempt, PERSON, None).await.unwrap();
    sqlx::query("UPDATE payment_attempts SET confirmed_at = now() - interval '16 minutes' WHERE id = $1")
        .bind(attempt)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(recovery::recover_pending(&pool, &processor, Duration::ZERO).await.unwrap(), 1);
    let (status, reason): (String, String) =
        sqlx::query_as("SELECT status::text, decline_reason FROM payment_attempts WHERE id = $1")
            .bind(attempt)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), reason.as_str()), ("failed", "authentication_required"));
    assert_eq!(balance_of(&pool, account).await, Decimal::ZERO);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_charge_lost_in_a_crash_is_recovered_once_with_the_same_key(pool: PgPool) {
    let (stripe, processor, account, attempt, key) = new_card_draft(&pool, "crash@example.test").await;
    // Stripe charged, but its answer never arrived (Tollgate stopped, or the network broke).
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .up_to_n_times(1)
        .mount(&stripe)
        .await;
    let lost = add_funds::confirm(&pool, &processor, account, attempt, PERSON, None).await;
    assert!(lost.is_err(), "the answer was lost: {lost:?}");
    // Asked again with the same key, Stripe answers the charge it made.
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .and(header("idempotency-key", key.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded", json!({}))))
        .mount(&stripe)
        .await;
    assert_eq!(recovery::recover_pending(&pool, &processor, Duration::ZERO).await.unwrap(), 1);
    assert_eq!(recovery::recover_pending(&pool, &processor, Duration::ZERO).await.unwrap(), 0);
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
}

#[sqlx::test(migrations = "../migrations")]
async fn with_no_one_there_a_bank_that_wants_the_person_is_a_decline(pool: PgPool) {
    let (stripe, processor, account, attempt, _) = new_card_draft(&pool, "agent@example.test").await;
    // The card saved by a first deposit, then charged by auto top-up: off-session.
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .and(body_string_contains("off_session=true"))
        .respond_with(ResponseTemplate::new(402).set_body_json(json!({"error": {"type": "card_error",
            "code": "authentication_required", "decline_code": "authentication_required",
            "payment_intent": intent("requires_payment_method", json!({}))}})))
        .mount(&stripe)
        .await;
    payments_answer(&stripe, ResponseTemplate::new(200).set_body_json(intent("succeeded", json!({})))).await;
    add_funds::confirm(&pool, &processor, account, attempt, PERSON, None).await.unwrap();
    // The same saved card charged again where no person is there (as auto top-up charges it): the attempt
    // stands pending with a new key, as auto top-up's claim leaves its attempt.
    sqlx::query(
        "UPDATE payment_attempts SET channel = 'auto_top_up', status = 'pending', completed_at = NULL,
                ledger_entry_id = NULL, receipt_number = NULL, processor_charge_id = NULL,
                idempotency_key = 'tg_off_session_1'
          WHERE id = $1",
    )
    .bind(attempt)
    .execute(&pool)
    .await
    .unwrap();
    recovery::recover_pending(&pool, &processor, Duration::ZERO).await.unwrap();
    let (code, reason): (String, String) =
        sqlx::query_as("SELECT decline_code, decline_reason FROM payment_attempts WHERE id = $1")
            .bind(attempt)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((code.as_str(), reason.as_str()), ("authentication_required", "authentication_required"));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_agents_top_up_the_bank_wants_confirmed_answers_a_link_for_the_person(pool: PgPool) {
    let stripe = MockServer::start().await;
    card_setup_answers(&stripe).await;
    // Off-session (no person there), this card's bank wants its person; on-session it is charged.
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .and(body_string_contains("off_session=true"))
        .respond_with(ResponseTemplate::new(402).set_body_json(json!({"error": {"type": "card_error",
            "code": "authentication_required", "payment_intent": intent("requires_payment_method", json!({}))}})))
        .mount(&stripe)
        .await;
    payments_answer(&stripe, ResponseTemplate::new(200).set_body_json(intent("succeeded", json!({})))).await;
    let app = app_in_stripe_mode(pool.clone(), &stripe).await;
    let processor = processor(&stripe);
    let account = person(&pool, "agent-3ds@example.test").await;
    let (attempt, _) = draft_with_new_card(&pool, &processor, account).await;
    add_funds::confirm(&pool, &processor, account, attempt, PERSON, None).await.unwrap();
    let key =
        crate::support::owner_key(&pool, account, &crate::api_http::settings("", &[], true)).await.unwrap();
    let fund = || {
        crate::api_http::api(
            &app,
            "POST",
            "/v1/wallet/fund",
            &key.secret,
            Some(json!({"amount": "20.00"})),
            Some("agent-top-up-1"),
        )
    };
    let (status, answer) = fund().await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "requires_authentication", "{answer}");
    let payment = answer["payment_id"].as_str().unwrap();
    assert!(
        answer["authentication_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/dashboard/wallet?attempt={payment}")),
        "{answer}"
    );
    assert_eq!(balance_of(&pool, account).await, dollars("25"), "nothing more was charged");
    // The same request again answers the same.
    let (_, again) = fund().await;
    assert_eq!(again, answer);
    // The chat app's `add_funds` says the same in its words.
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "add_funds", "arguments": {"amount": "30.00"}}});
    let said: Value = reqwest::Client::new()
        .post(app.url("/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .bearer_auth(&key.secret)
        .json(&call)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let result = &said["result"];
    assert_eq!(result["isError"], true, "{said}");
    assert_eq!(result["structuredContent"]["status"], "requires_authentication", "{said}");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("Your bank wants to confirm this payment: open http"), "{text}");
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
}

/// A Stripe event about `pi_1` for the attempt with `key`, signed (or not) as Stripe signs.
async fn send_event(
    app: &TestApp,
    id: &str,
    kind: &str,
    status: &str,
    key: &str,
    secret: &str,
) -> reqwest::Response {
    let mut object = intent(status, json!({"metadata": {"tollgate_attempt": key}}));
    if status == "requires_payment_method" {
        object["last_payment_error"] =
            json!({"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"});
    }
    let body = json!({"id": id, "object": "event", "type": kind, "data": {"object": object}}).to_string();
    post_signed(app, &body, secret).await
}

/// `POST /webhooks/stripe` with `body`, signed with `secret` as Stripe signs.
async fn post_signed(app: &TestApp, body: &str, secret: &str) -> reqwest::Response {
    let signed = signature::sign(secret, chrono::Utc::now().timestamp(), body.as_bytes());
    reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("Stripe-Signature", signed)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// A server in Stripe mode and a $25 deposit of a new person's that Stripe answered "processing": the
/// server, the account, the attempt (pending) and its idempotency key.
async fn processing_payment(
    pool: &PgPool,
    stripe: &MockServer,
    email: &str,
) -> (TestApp, Uuid, Uuid, String) {
    card_setup_answers(stripe).await;
    payments_answer(stripe, ResponseTemplate::new(200).set_body_json(intent("processing", json!({})))).await;
    let app = app_in_stripe_mode(pool.clone(), stripe).await;
    let processor = processor(stripe);
    let account = person(pool, email).await;
    let (attempt, key) = draft_with_new_card(pool, &processor, account).await;
    let unsettled = add_funds::confirm(pool, &processor, account, attempt, PERSON, None).await.unwrap();
    assert_eq!(unsettled.status, AttemptStatus::Pending, "still processing: left pending");
    (app, account, attempt, key)
}

#[sqlx::test(migrations = "../migrations")]
async fn stripes_events_settle_a_payment_once_in_any_order_and_forged_ones_write_nothing(pool: PgPool) {
    let stripe = MockServer::start().await;
    let (app, account, attempt, key) = processing_payment(&pool, &stripe, "events@example.test").await;

    // Forged, tampered or stale: refused, nothing stored.
    let forged =
        send_event(&app, "evt_forged", "payment_intent.succeeded", "succeeded", &key, "whsec_wrong").await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let body = json!({"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": {}}}).to_string();
    let old = signature::sign(WEBHOOK_SECRET, chrono::Utc::now().timestamp() - 600, body.as_bytes());
    let stale = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("Stripe-Signature", old)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::BAD_REQUEST);
    let unsigned = reqwest::Client::new().post(app.url("/webhooks/stripe")).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processor_events").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, 0);
    assert_eq!(balance_of(&pool, account).await, Decimal::ZERO);

    // The success, sent three times at once and again later: credited once.
    let sends = (0..3)
        .map(|_| send_event(&app, "evt_ok", "payment_intent.succeeded", "succeeded", &key, WEBHOOK_SECRET));
    for res in futures::future::join_all(sends).await {
        assert_eq!(res.status(), StatusCode::OK);
    }
    let replay =
        send_event(&app, "evt_ok", "payment_intent.succeeded", "succeeded", &key, WEBHOOK_SECRET).await;
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
    // A failure about the same payment arriving late changes nothing (and is logged for reconciling).
    let late = send_event(
        &app,
        "evt_late",
        "payment_intent.payment_failed",
        "requires_payment_method",
        &key,
        WEBHOOK_SECRET,
    )
    .await;
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
    let status: String = sqlx::query_scalar("SELECT status::text FROM payment_attempts WHERE id = $1")
        .bind(attempt)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "succeeded");
    // Refunds and disputes are recorded for the money operations that act on them.
    let refund = send_event(&app, "evt_refund", "charge.refunded", "succeeded", &key, WEBHOOK_SECRET).await;
    assert_eq!(refund.status(), StatusCode::OK);
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT event_type FROM processor_events ORDER BY event_type")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(kinds, ["charge.refunded", "payment_intent.payment_failed", "payment_intent.succeeded"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_decline_reported_first_is_the_outcome_and_a_new_card_never_reaches_tollgate(pool: PgPool) {
    let stripe = MockServer::start().await;
    let (app, _, attempt, key) = processing_payment(&pool, &stripe, "declined@example.test").await;
    let failed = send_event(
        &app,
        "evt_f",
        "payment_intent.payment_failed",
        "requires_payment_method",
        &key,
        WEBHOOK_SECRET,
    )
    .await;
    assert_eq!(failed.status(), StatusCode::OK);
    let (status, code): (String, String) =
        sqlx::query_as("SELECT status::text, decline_code FROM payment_attempts WHERE id = $1")
            .bind(attempt)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), code.as_str()), ("failed", "insufficient_funds"));

    // In Stripe mode the page's form has no card fields, and card fields posted anyway are never used:
    // a new card is a setup finished in the browser, or "needs JavaScript".
    app.sign_up("formless@example.test", "a-long-password").await;
    let page = app.get("/dashboard/wallet?add=1").await;
    // The page lets Stripe.js (here the double's origin) load, frame and connect, and nothing else.
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    let origin = stripe.uri();
    let directive = |name: &str| {
        policy.split(';').map(str::trim).find(|d| d.starts_with(name)).unwrap_or_default().to_string()
    };
    assert!(directive("script-src ").contains(&origin), "{policy}");
    assert_eq!(directive("frame-src "), format!("frame-src {origin}"), "{policy}");
    assert_eq!(directive("connect-src "), format!("connect-src 'self' {origin}"), "{policy}");
    assert_eq!(policy.matches("http").count(), 3, "no other origin: {policy}");
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("<script src=\"{origin}/js.stripe.com/v3/\"")), "Stripe.js is loaded");
    assert!(page.contains("data-card-entry=\"pk_test_recorded\""), "the card Element's mount point");
    assert!(!page.contains("name=\"card_number\"") && !page.contains("name=\"cvc\""), "no card fields");
    assert!(page.contains("Adding a new card needs JavaScript"));
    let res = app
        .post_form(
            "/api/wallet/add-funds",
            "/dashboard/wallet?add=1",
            &[
                ("amount", "25"),
                ("card", "new"),
                ("card_number", "4242424242424242"),
                ("expiry", "12/40"),
                ("cvc", "123"),
                ("postal_code", "10001"),
            ],
        )
        .await;
    assert!(
        crate::support::location(&res).contains("error=new_card_needs_javascript"),
        "{}",
        crate::support::location(&res)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn update_card_saves_the_card_entered_again_and_lets_the_old_one_go_and_an_unsaved_card_goes_too(
    pool: PgPool,
) {
    let (stripe, processor, account, attempt, _) = new_card_draft(&pool, "update@example.test").await;
    payments_answer(&stripe, ResponseTemplate::new(200).set_body_json(intent("succeeded", json!({})))).await;
    add_funds::confirm(&pool, &processor, account, attempt, PERSON, None).await.unwrap();
    // "Update card": the card entered again in the Element, with a new expiry and postal code.
    Mock::given(method("GET"))
        .and(path("/v1/setup_intents/seti_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "seti_2", "status": "succeeded",
            "customer": "cus_1", "payment_method": "pm_2"})))
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_methods/pm_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "pm_2", "customer": "cus_1",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 3, "exp_year": 2031},
            "billing_details": {"address": {"postal_code": "94107"}}})))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_methods/pm_1/detach"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "pm_1", "customer": null})))
        .expect(2)
        .mount(&stripe)
        .await;
    let card: Uuid = sqlx::query_scalar("SELECT id FROM payment_methods WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    let actor = crate::support::owner_actor(&pool, account).await;
    tollgate_core::payments::card_store::replace_card(&pool, &processor, &actor, card, "seti_2")
        .await
        .unwrap();
    let saved: (String, i32, i32, String) = sqlx::query_as(
        "SELECT processor_token, expiry_month, expiry_year, billing_postal_code FROM payment_methods WHERE id = $1",
    )
    .bind(card)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(saved, ("cus_1/pm_2".to_string(), 3, 2031, "94107".to_string()));
    // Another account's setup is no card of this one's: nothing changes.
    let other =
        tollgate_core::payments::card_store::replace_card(&pool, &processor, &actor, card, "seti_missing")
            .await;
    assert_eq!(other.unwrap_err(), tollgate_domain::error::AppError::CardSetupIncomplete);

    // A new card not saved: detached from the customer once its deposit is settled (`seti_1` is `pm_1`).
    let choice = CardChoice::SetUp { setup_id: "seti_1".into(), save: false };
    let amount = TopUpAmount::parse("10").unwrap();
    let draft =
        add_funds::start_draft(&pool, &processor, account, amount, choice, PERSON, None).await.unwrap();
    let done = add_funds::confirm(&pool, &processor, account, draft.id, PERSON, None).await.unwrap();
    assert_eq!((done.status, done.payment_method_id), (AttemptStatus::Succeeded, None));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_payment_stripe_is_still_processing_is_asked_for_by_recovery_until_it_is_decided(pool: PgPool) {
    let stripe = MockServer::start().await;
    let (_app, account, attempt, _) = processing_payment(&pool, &stripe, "processing@example.test").await;
    let processor = processor(&stripe);
    let still = Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("processing", json!({}))))
        .mount_as_scoped(&stripe)
        .await;
    assert_eq!(recovery::recover_pending(&pool, &processor, Duration::ZERO).await.unwrap(), 0);
    drop(still);
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded", json!({}))))
        .mount(&stripe)
        .await;
    assert_eq!(recovery::recover_pending(&pool, &processor, Duration::ZERO).await.unwrap(), 1);
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
    let status: String = sqlx::query_scalar("SELECT status::text FROM payment_attempts WHERE id = $1")
        .bind(attempt)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "succeeded");
}

/// A refund is `POST /v1/refunds` of the deposit's PaymentIntent, in cents, with the refund's idempotency
/// key: Stripe's `succeeded` and `pending` are on their way, its refusal and a `failed` refund say why, and
/// no answer (a 5xx) leaves it to be asked again.
#[tokio::test]
async fn a_refund_asks_stripe_once_per_key_and_reads_every_answer() {
    use tollgate_core::payments::processor::{ProcessorError, RefundOutcome};
    use tollgate_domain::money::Usd;
    let stripe = MockServer::start().await;
    let refund = |status: &str| {
        json!({"id": "re_1", "object": "refund", "amount": 1250, "status": status,
        "payment_intent": "pi_1", "failure_reason": if status == "failed" { json!("expired_or_canceled_card") } else { Value::Null }})
    };
    for (key, answer) in [
        ("k-succeeded", ResponseTemplate::new(200).set_body_json(refund("succeeded"))),
        ("k-pending", ResponseTemplate::new(200).set_body_json(refund("pending"))),
        ("k-failed", ResponseTemplate::new(200).set_body_json(refund("failed"))),
        (
            "k-disputed",
            ResponseTemplate::new(400).set_body_json(json!({"error": {"type": "invalid_request_error",
            "code": "charge_disputed", "message": "Charge ch_1 has been disputed."}})),
        ),
        ("k-down", ResponseTemplate::new(503)),
    ] {
        Mock::given(method("POST"))
            .and(path("/v1/refunds"))
            .and(header("idempotency-key", key))
            .and(body_string_contains("payment_intent=pi_1"))
            .and(body_string_contains("amount=1250"))
            .respond_with(answer)
            .mount(&stripe)
            .await;
    }
    let stripe_processor = processor(&stripe);
    let amount = Usd::new(Decimal::new(1250, 2));
    let ask = |key: &'static str| stripe_processor.refund("pi_1", amount, key);
    assert_eq!(ask("k-succeeded").await.unwrap(), RefundOutcome::Succeeded { refund_id: "re_1".into() });
    assert_eq!(ask("k-pending").await.unwrap(), RefundOutcome::Succeeded { refund_id: "re_1".into() });
    assert_eq!(
        ask("k-failed").await.unwrap(),
        RefundOutcome::Failed { reason: "Stripe: expired_or_canceled_card".into() }
    );
    assert_eq!(
        ask("k-disputed").await.unwrap(),
        RefundOutcome::Failed { reason: "Stripe: Charge ch_1 has been disputed.".into() }
    );
    assert!(matches!(ask("k-down").await, Err(ProcessorError::Unavailable(_))));
    // An id that isn't one never reaches a request: refused, so the money goes back to the wallet.
    let forged = stripe_processor.refund("pi_1&amount=99999", amount, "k-succeeded").await.unwrap();
    assert!(matches!(forged, RefundOutcome::Failed { .. }), "{forged:?}");
    assert_eq!(stripe.received_requests().await.unwrap().len(), 5);
}

/// A signed `charge.dispute.*` event about a dispute of `payment_intent`.
async fn send_dispute(app: &TestApp, id: &str, kind: &str, status: &str, payment_intent: &str) -> StatusCode {
    let dispute = json!({"id": "dp_1", "object": "dispute", "amount": 2500, "payment_intent": payment_intent,
        "charge": "ch_1", "status": status, "reason": "fraudulent"});
    let body = json!({"id": id, "object": "event", "type": kind, "data": {"object": dispute}}).to_string();
    post_signed(app, &body, WEBHOOK_SECRET).await.status()
}

#[sqlx::test(migrations = "../migrations")]
async fn stripes_dispute_events_withdraw_and_return_a_deposit_once_whatever_their_order(pool: PgPool) {
    let stripe = MockServer::start().await;
    let (app, account, _, key) = processing_payment(&pool, &stripe, "disputed@example.test").await;
    // News of a dispute about a deposit not recorded yet: Stripe is asked to send it again.
    assert_eq!(
        send_dispute(&app, "evt_early", "charge.dispute.created", "needs_response", "pi_1").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(balance_of(&pool, account).await, Decimal::ZERO);
    let settled =
        send_event(&app, "evt_paid", "payment_intent.succeeded", "succeeded", &key, WEBHOOK_SECRET).await;
    assert_eq!(settled.status(), StatusCode::OK);
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
    // Sent again: now the deposit is known, and the amount is withdrawn; a replay changes nothing.
    assert_eq!(
        send_dispute(&app, "evt_early", "charge.dispute.created", "needs_response", "pi_1").await,
        StatusCode::OK
    );
    assert_eq!(
        send_dispute(&app, "evt_again", "charge.dispute.created", "needs_response", "pi_1").await,
        StatusCode::OK
    );
    assert_eq!(balance_of(&pool, account).await, Decimal::ZERO);
    assert_eq!(send_dispute(&app, "evt_won", "charge.dispute.closed", "won", "pi_1").await, StatusCode::OK);
    assert_eq!(balance_of(&pool, account).await, dollars("25"));
    assert_eq!(send_dispute(&app, "evt_lost", "charge.dispute.closed", "lost", "pi_1").await, StatusCode::OK);
    assert_eq!(balance_of(&pool, account).await, dollars("25"), "a contradiction changes nothing");
    let kinds: Vec<(String, Decimal)> =
        sqlx::query_as("SELECT kind, amount FROM ledger_entries WHERE account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        kinds,
        [
            ("deposit".into(), dollars("25")),
            ("dispute".into(), dollars("-25")),
            ("dispute_won".into(), dollars("25"))
        ]
    );
}
