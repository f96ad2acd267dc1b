//! The limits that stop strangers (docs/CONTRACT.md "Limits and account security"): card testing per
//! account, per address and site-wide; a funding key's daily limit; Retry only on a card the account keeps;
//! the production guard. Each fires many requests at once where a check-then-act race could let more
//! through than the limit.

use crate::support::{spawn_app_with, NEW_CARD_FORM, PERSON};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::sandbox_processor::SandboxProcessor;
use sqlx::PgPool;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::payments::add_funds::{self, CardChoice};
use tollgate_core::payments::card_store;
use tollgate_core::payments::card_testing::Payer;
use tollgate_core::payments::processor::PaymentProcessor;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::KeySettings;
use tollgate_domain::money::TopUpAmount;
use tollgate_domain::payments::card::{CardNumber, Cvc, Expiry, PostalCode};
use tollgate_domain::payments::new_card::NewCard;
use uuid::Uuid;

async fn sandbox(pool: &PgPool, latency_ms: u64) -> Arc<SandboxProcessor> {
    Arc::new(SandboxProcessor::install(pool.clone(), Duration::from_millis(latency_ms)).await.unwrap())
}

async fn account(pool: &PgPool, email: &str) -> Uuid {
    auth_db::create_user_with_account(pool, &Email::parse(email).unwrap(), "x").await.unwrap().account_id
}

fn card(number: &str, save: bool) -> CardChoice {
    CardChoice::New {
        card: NewCard {
            number: CardNumber::parse(number).unwrap(),
            expiry: Expiry::parse("12/30").unwrap(),
            cvc: Cvc::parse("123").unwrap(),
            postal_code: PostalCode::parse("10001").unwrap(),
        },
        save,
    }
}

const DECLINING: &str = "4000000000000002";
const WORKING: &str = "4242424242424242";

/// A deposit of $10 with `choice`, Continue then Confirm.
async fn deposit(
    pool: &PgPool,
    processor: &dyn PaymentProcessor,
    account_id: Uuid,
    choice: CardChoice,
) -> Result<tollgate_domain::payments::attempt::AttemptView, AppError> {
    let amount = TopUpAmount::parse("10").unwrap();
    let draft = add_funds::start_draft(pool, processor, account_id, amount, choice, PERSON, None).await?;
    add_funds::confirm(pool, processor, account_id, draft.id, PERSON, None).await
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn confirms_fired_at_once_at_the_fourth_decline_let_at_most_one_more_reach_the_processor(pool: PgPool) {
    let processor = sandbox(&pool, 50).await;
    let me = account(&pool, "tester@example.test").await;
    // A declining card, saved with its failure, then declined three more times: 4 declines.
    let first = deposit(&pool, &*processor, me, card(DECLINING, true)).await.unwrap();
    let saved = first.payment_method_id.expect("saved with its failure");
    for _ in 0..3 {
        deposit(&pool, &*processor, me, CardChoice::Saved(saved)).await.unwrap();
    }
    let charges_before = count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await;
    assert_eq!(charges_before, 4);
    // Thirty drafts, confirmed all at once.
    let mut drafts = Vec::new();
    for _ in 0..30 {
        let amount = TopUpAmount::parse("10").unwrap();
        drafts.push(
            add_funds::start_draft(&pool, &*processor, me, amount, CardChoice::Saved(saved), PERSON, None)
                .await
                .unwrap()
                .id,
        );
    }
    // From ten addresses (a botnet), so nothing but the account's own lock orders them.
    let confirms = drafts.into_iter().enumerate().map(|(i, id)| {
        let (pool, processor) = (pool.clone(), processor.clone());
        let ip = ClientIp::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i as u8)));
        let payer = Payer::Person { ip, card_attempts_per_ip: 100 };
        tokio::spawn(async move { add_funds::confirm(&pool, &*processor, me, id, payer, None).await })
    });
    let results: Vec<_> = futures::future::join_all(confirms).await.into_iter().map(|r| r.unwrap()).collect();
    let refused = results.iter().filter(|r| r.as_ref().err() == Some(&AppError::CardTestingLocked)).count();
    let charged = count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await - charges_before;
    assert_eq!(charged, 1, "only the fifth decline reaches the processor");
    assert_eq!(refused, 29);
    // The refused drafts were never charged and stay drafts; the account is now locked.
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_attempts WHERE status = 'draft'").await, 29);
    assert_eq!(
        deposit(&pool, &*processor, me, card(WORKING, false)).await.unwrap_err(),
        AppError::CardTestingLocked
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn card_attempts_from_one_address_are_limited_across_accounts(pool: PgPool) {
    let app = spawn_app_with(
        pool.clone(),
        &[("TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN", "3"), ("TOLLGATE_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let stranger = "198.51.100.7";
    // Account A: Continue (1) and Confirm (2) from the stranger's address.
    app.sign_up("a@example.test", "correct-horse-1").await;
    let (_, draft) = app.call_from(stranger, "/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let id = draft["id"].as_str().unwrap().to_string();
    let (status, paid) = app.call_from(stranger, "/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!((status, paid["status"].as_str()), (StatusCode::OK, Some("succeeded")));
    // Account B, same address: Continue (3) passes, Confirm (4) is refused, nothing charged.
    let b = crate::support::TestApp { client: crate::support::browser_like_client(), ..app.clone_handle() };
    b.sign_up("b@example.test", "correct-horse-2").await;
    let (_, draft) = b.call_from(stranger, "/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let id = draft["id"].as_str().unwrap().to_string();
    let (_, refused) = b.call_from(stranger, "/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!(refused, json!("card_attempts_from_network"));
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, 1);
    // Still refused for the next tokenization from that address; another address is not affected.
    let (_, again) = b.call_from(stranger, "/api/wallet/add-funds", &NEW_CARD_FORM).await;
    assert_eq!(again, json!("card_attempts_from_network"));
    let (status, paid) = b.call_from("203.0.113.5", "/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!((status, paid["status"].as_str()), (StatusCode::OK, Some("succeeded")));
    assert_eq!(
        AppError::CardAttemptsFromNetwork.message(),
        "Too many card attempts from your network. Try again in 15 minutes."
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_address_a_client_claims_is_ignored_unless_a_trusted_proxy_relays_it(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), &[("TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN", "2")]).await;
    app.sign_up("c@example.test", "correct-horse-1").await;
    // Each call claims another address; all of them are 127.0.0.1 to the app, so the third is refused.
    for (i, expected) in [(1, None), (2, None), (3, Some("card_attempts_from_network"))] {
        let (_, answer) =
            app.call_from(&format!("198.51.100.{i}"), "/api/wallet/add-funds", &NEW_CARD_FORM).await;
        assert_eq!(answer.as_str(), expected, "attempt {i}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_burst_of_declines_site_wide_pauses_new_cards_but_not_saved_ones(pool: PgPool) {
    let processor = sandbox(&pool, 0).await;
    let payer = account(&pool, "payer@example.test").await;
    let saved =
        deposit(&pool, &*processor, payer, card(WORKING, true)).await.unwrap().payment_method_id.unwrap();
    // 30 declines within a minute, 5 per account (each account then locks itself): not yet a burst.
    for n in 0..6 {
        let tester = account(&pool, &format!("tester{n}@example.test")).await;
        for _ in 0..5 {
            deposit(&pool, &*processor, tester, card(DECLINING, false)).await.unwrap();
        }
    }
    assert!(deposit(&pool, &*processor, payer, card(WORKING, false)).await.is_ok(), "30 is not more than 30");
    let last = account(&pool, "tester-last@example.test").await;
    deposit(&pool, &*processor, last, card(DECLINING, false)).await.unwrap();
    // The 31st: new cards are refused for everyone, before tokenizing; saved cards still work.
    let charges = count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await;
    assert_eq!(
        deposit(&pool, &*processor, payer, card(WORKING, false)).await.unwrap_err(),
        AppError::NewCardsPaused
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, charges);
    assert!(deposit(&pool, &*processor, payer, CardChoice::Saved(saved))
        .await
        .unwrap()
        .balance_after
        .is_some());
    // Five minutes later new cards are welcome again.
    sqlx::query("UPDATE payment_attempts SET completed_at = completed_at - interval '6 minutes' WHERE status = 'failed'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(deposit(&pool, &*processor, payer, card(WORKING, false)).await.is_ok());
}

#[sqlx::test(migrations = "../migrations")]
async fn retry_never_charges_a_card_that_was_not_saved_or_was_removed(pool: PgPool) {
    let processor = sandbox(&pool, 0).await;
    let me = account(&pool, "retry@example.test").await;
    let unsaved = deposit(&pool, &*processor, me, card(DECLINING, false)).await.unwrap();
    let saved = deposit(&pool, &*processor, me, card(DECLINING, true)).await.unwrap();
    card_store::remove(
        &pool,
        &crate::support::owner_actor(&pool, me).await,
        saved.payment_method_id.unwrap(),
    )
    .await
    .unwrap();
    let charges = count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await;
    for failed in [unsaved.id, saved.id] {
        assert_eq!(
            add_funds::retry_as_new_draft(&pool, me, failed, crate::support::PERSON, None).await.unwrap_err(),
            AppError::CardNotSaved
        );
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, charges);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_attempts WHERE status = 'draft'").await, 0);
    // A failed attempt on a card still kept is retried on it.
    let kept = deposit(&pool, &*processor, me, card("4000000000000010", true)).await.unwrap();
    let retried =
        add_funds::retry_as_new_draft(&pool, me, kept.id, crate::support::PERSON, None).await.unwrap();
    assert_eq!(retried.payment_method_id, kept.payment_method_id);
}

/// A funding key of a fresh account with a saved working card, and its secret.
async fn funding_key(app: &crate::support::TestApp, daily_limit: &str) -> (Uuid, String) {
    let processor = sandbox(&app.pool, 0).await;
    let me = account(&app.pool, "agent-owner@example.test").await;
    deposit(&app.pool, &*processor, me, card(WORKING, true)).await.unwrap();
    let settings = KeySettings::parse("agent", "", "", &[], true, daily_limit).unwrap();
    (me, crate::support::owner_key(&app.pool, me, &settings).await.unwrap().secret)
}

async fn fund(app: &crate::support::TestApp, secret: &str, amount: &str, key: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url("/v1/wallet/fund"))
        .bearer_auth(secret)
        .header("Idempotency-Key", key)
        .json(&json!({ "amount": amount }))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_funding_key_adds_at_most_its_daily_limit_even_when_called_at_once(pool: PgPool) {
    let app = crate::support::spawn_app(pool.clone()).await;
    let (me, secret) = funding_key(&app, "").await; // the default: $100.00 a day
    let before = crate::support::balance_of(&pool, me).await;
    let calls = (0..8).map(|i| {
        let (app, secret) = (&app, secret.clone());
        async move { fund(app, &secret, "25.00", &format!("top-up-{i}")).await }
    });
    let answers = futures::future::join_all(calls).await;
    let completed =
        answers.iter().filter(|(s, b)| *s == StatusCode::OK && b["status"] == "completed").count();
    let refused: Vec<&Value> =
        answers.iter().filter(|(s, _)| *s == StatusCode::FORBIDDEN).map(|(_, b)| b).collect();
    assert_eq!(completed, 4, "{answers:?}");
    assert_eq!(refused.len(), 4);
    assert_eq!(refused[0], &json!({"error": "Spend key funding limit reached", "code": 403}));
    assert_eq!(crate::support::balance_of(&pool, me).await - before, rust_decimal::Decimal::from(100));
    // Refused calls charged nothing and left their keys free: the same key tomorrow (here: after the day's
    // deposits are moved back a day) goes through.
    assert_eq!(count(&pool, "SELECT count(*) FROM sandbox_processor.charges").await, 5);
    sqlx::query("UPDATE payment_attempts SET confirmed_at = confirmed_at - interval '1 day'")
        .execute(&pool)
        .await
        .unwrap();
    let refused_key = (0..8).find(|i| answers[*i].0 == StatusCode::FORBIDDEN).unwrap();
    let (status, body) = fund(&app, &secret, "25.00", &format!("top-up-{refused_key}")).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("completed")));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_funding_key_with_its_own_limit_is_refused_past_it(pool: PgPool) {
    let app = crate::support::spawn_app(pool.clone()).await;
    let (_, secret) = funding_key(&app, "$30").await;
    assert_eq!(fund(&app, &secret, "20.00", "a").await.0, StatusCode::OK);
    let (status, body) = fund(&app, &secret, "10.01", "b").await;
    assert_eq!(
        (status, body),
        (StatusCode::FORBIDDEN, json!({"error": "Spend key funding limit reached", "code": 403}))
    );
    assert_eq!(fund(&app, &secret, "10.00", "c").await.0, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_keys_page_takes_a_daily_funding_limit_and_refuses_a_bad_one(pool: PgPool) {
    let app = crate::support::spawn_app(pool.clone()).await;
    app.sign_up("keys@example.test", "correct-horse-1").await;
    let res = app
        .post_form(
            "/dashboard/keys",
            "/dashboard/keys",
            &[("name", "x"), ("allow_funding", "on"), ("daily_funding_limit", "10000.01")],
        )
        .await;
    assert_eq!(crate::support::location(&res), "/dashboard/keys?error=funding_limit_invalid");
    assert_eq!(count(&pool, "SELECT count(*) FROM spend_keys").await, 0);
    app.post_form(
        "/dashboard/keys",
        "/dashboard/keys",
        &[("name", "agent"), ("allow_funding", "on"), ("daily_funding_limit", "250")],
    )
    .await;
    let page = app.get("/dashboard/keys").await.text().await.unwrap();
    assert!(page.contains("Allowed, up to $250.00 per day (UTC)"), "the key shows its limit");
    assert!(page.contains("Daily funding limit"));
}

#[test]
fn the_server_refuses_to_start_without_a_processor_named() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .env_clear()
        .env("DATABASE_URL", "postgres://127.0.0.1:1/never-reached")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("TOLLGATE_PROCESSOR=sandbox") && said.contains("TOLLGATE_PROCESSOR=stripe"),
        "{said}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn idempotency_keys_are_forgotten_after_24_hours_and_a_reused_key_is_a_new_request(pool: PgPool) {
    let app = crate::support::spawn_app(pool.clone()).await;
    let (_, secret) = funding_key(&app, "").await;
    assert_eq!(fund(&app, &secret, "10.00", "monday").await.0, StatusCode::OK);
    assert_eq!(
        fund(&app, &secret, "20.00", "monday").await.0,
        StatusCode::CONFLICT,
        "other parameters, same key"
    );
    // The maintenance pass keeps a key younger than a day …
    server::workers::maintenance::run_once(&pool).await.unwrap();
    assert_eq!(fund(&app, &secret, "20.00", "monday").await.0, StatusCode::CONFLICT);
    // … and forgets it after 24 h (here: the record is made a day older).
    sqlx::query("UPDATE api_idempotency SET created_at = created_at - interval '25 hours'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(server::workers::maintenance::run_once(&pool).await.unwrap() >= 1);
    let (status, body) = fund(&app, &secret, "20.00", "monday").await;
    assert_eq!((status, body["amount"].as_str()), (StatusCode::OK, Some("20.00")));
}
