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
