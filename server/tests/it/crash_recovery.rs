//! The server process is killed with SIGKILL after the processor charged and before the wallet was
//! credited (a test-only fault point holds the request there); the restarted server credits the deposit
//! exactly once.

use crate::support::ServerProcess;
use reqwest::{header, redirect, Client};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::time::Duration;

/// The real binary on the test's database, with charges answered at once; `hang_after_charge` holds every
/// confirm between "charged" and "credited" (the `test-hooks` fault point).
async fn start_server(db: &str, hang_after_charge: bool) -> ServerProcess {
    let mut settings = vec![("TOLLGATE_SANDBOX_LATENCY_MS", "0")];
    if hang_after_charge {
        settings.push(("TOLLGATE_TEST_HANG_AFTER_CHARGE", "1"));
    }
    ServerProcess::start(db, &settings).await
}

fn post(client: &Client, base: &str, path: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    client
        .post(format!("{base}{path}"))
        .header(header::ORIGIN, base)
        .header(header::ACCEPT, "application/json")
        .form(form)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_crash_between_charge_and_credit_is_credited_exactly_once_after_restart(pool: PgPool) {
    let db = crate::support::database_url_of(&pool);
    let mut doomed = start_server(&db, true).await;
    let base = doomed.base.clone();
    let client = Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap();

    let signup = [("email", "crash@example.test"), ("password", "correct-horse-1"), ("next", "")];
    assert!(post(&client, &base, "/api/signup", &signup).send().await.unwrap().status().is_success());
    let card = [
        ("amount", "42.50"),
        ("card", "new"),
        ("card_number", "4242424242424242"),
        ("expiry", "12/30"),
        ("cvc", "123"),
        ("postal_code", "10001"),
        ("save_card", "on"),
    ];
    let draft: serde_json::Value =
        post(&client, &base, "/api/wallet/add-funds", &card).send().await.unwrap().json().await.unwrap();
    let attempt_id = draft["id"].as_str().expect("draft id").to_string();

    // Confirm; the server charges, then is held at the fault point until we SIGKILL it there.
    let confirm =
        tokio::spawn(post(&client, &base, "/api/wallet/confirm", &[("attempt_id", &attempt_id)]).send());
    let charged = "SELECT count(*) FROM sandbox_processor.charges";
    for _ in 0..200 {
        if sqlx::query_scalar::<_, i64>(charged).fetch_one(&pool).await.unwrap() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    doomed.child.kill().expect("SIGKILL");
    doomed.child.wait().unwrap();
    assert!(confirm.await.unwrap().is_err(), "the request died with the process");

    let (state, charges): (String, i64) = sqlx::query_as(
        "SELECT status, (SELECT count(*) FROM sandbox_processor.charges) FROM payment_attempts WHERE id = $1::uuid",
    )
    .bind(&attempt_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((state.as_str(), charges), ("pending", 1), "charged but not credited");

    // Restart: recovery asks the processor by key and credits once. A second restart changes nothing.
    for _ in 0..2 {
        drop(start_server(&db, false).await); // healthy means start-up recovery has run; then killed
    }
    let (state, entries, balance, ledger_sum, charges): (String, i64, Decimal, Decimal, i64) =
        sqlx::query_as(
            "SELECT a.status,
                (SELECT count(*) FROM ledger_entries),
                (SELECT balance FROM wallets),
                (SELECT COALESCE(SUM(amount), 0) FROM ledger_entries),
                (SELECT count(*) FROM sandbox_processor.charges)
           FROM payment_attempts a WHERE a.id = $1::uuid",
        )
        .bind(&attempt_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "succeeded");
    assert_eq!((entries, charges), (1, 1), "one credit, one charge");
    assert_eq!(balance, Decimal::new(4250, 2));
    assert_eq!(balance, ledger_sum, "the balance is the sum of the ledger");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_auto_top_up_cut_off_between_charge_and_credit_is_credited_once_after_restart(pool: PgPool) {
    use tollgate_core::accounts::store as auth_db;
    use tollgate_core::payments::auto_top_up::settings;
    use tollgate_domain::accounts::credentials::Email;
    use tollgate_domain::payments::auto_top_up::AutoTopUpRule;
    let db = crate::support::database_url_of(&pool);
    let account = auth_db::create_user_with_account(&pool, &Email::parse("auto@example.test").unwrap(), "x")
        .await
        .unwrap()
        .account_id;
    let processor =
        server::sandbox_processor::SandboxProcessor::install(pool.clone(), Duration::ZERO).await.unwrap();
    let card = crate::support::save_card(&pool, &processor, crate::support::VISA, account).await; // $10.00
    crate::support::deposit(&pool, account, 10).await;
    let owner = crate::support::owner_actor(&pool, account).await;
    let rule = AutoTopUpRule::parse("10", "40", "1000").unwrap();
    settings::change(&pool, &owner, settings::Change::TurnOn { rule, card: Some(card) }).await.unwrap();
    let key = tollgate_domain::keys::settings::KeySettings::parse("agent", "", "", &[], false, "").unwrap();
    let secret = crate::support::owner_key(&pool, account, &key).await.unwrap().secret;

    // A paid call crosses the threshold; the server's worker charges and is held before the credit.
    let doomed = start_server(&db, true).await;
    let paid = Client::new()
        .post(format!("{}/v1/requests", doomed.base))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"service": "anthropic", "model": "claude-haiku", "usage": {"input_tokens": 0, "output_tokens": 2_600_000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 201, "the call is answered; the top-up runs on its own");
    let charged = "SELECT count(*) FROM sandbox_processor.charges";
    for _ in 0..400 {
        if sqlx::query_scalar::<_, i64>(charged).fetch_one(&pool).await.unwrap() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    drop(doomed); // SIGKILL
    let (attempt, job): (String, String) = sqlx::query_as(
        "SELECT a.status, j.state FROM auto_top_up_jobs j JOIN payment_attempts a ON a.id = j.attempt_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempt.as_str(), job.as_str()), ("pending", "charging"), "charged but not credited");

    for _ in 0..2 {
        drop(start_server(&db, false).await);
    }
    let (attempt, job, amount, balance, ledger_sum, charges): (
        String,
        String,
        Decimal,
        Decimal,
        Decimal,
        i64,
    ) = sqlx::query_as(
        "SELECT a.status, j.state, a.amount, (SELECT balance FROM wallets),
                    (SELECT COALESCE(SUM(amount), 0) FROM ledger_entries),
                    (SELECT count(*) FROM sandbox_processor.charges)
               FROM auto_top_up_jobs j JOIN payment_attempts a ON a.id = j.attempt_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempt.as_str(), job.as_str()), ("succeeded", "succeeded"));
    assert_eq!(amount, Decimal::new(3040, 2), "the gap from $9.60 to $40.00");
    assert_eq!(charges, 2, "the first deposit and the one top-up");
    assert_eq!(balance, Decimal::new(4000, 2));
    assert_eq!(balance, ledger_sum);
}
