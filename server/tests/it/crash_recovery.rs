//! The server process is killed with SIGKILL after the processor charged and before the wallet was
//! credited (a test-only fault point holds the request there); the restarted server credits the deposit
//! exactly once.

use reqwest::{header, redirect, Client};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_server(db: &str, port: u16, hang_after_charge: bool) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    cmd.env("DATABASE_URL", db)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "tollgate")
        .env("TOLLGATE_SANDBOX_LATENCY_MS", "0")
        .env("TOLLGATE_PROCESSOR", "sandbox")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if hang_after_charge {
        cmd.env("TOLLGATE_TEST_HANG_AFTER_CHARGE", "1");
    }
    let mut child = cmd.spawn().expect("server binary starts");
    let health = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..200 {
        if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not become healthy");
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
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap();

    let mut doomed = start_server(&db, port, true).await;
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
    doomed.kill().expect("SIGKILL");
    doomed.wait().unwrap();
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
        let mut server = start_server(&db, port, false).await;
        server.kill().unwrap();
        server.wait().unwrap();
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
