//! Card disputes (docs/CONTRACT.md "Disputes") on the real Postgres: the disputed amount withdrawn at once,
//! even below zero; while negative, paid calls and holds refused with the contract's words and auto top-up
//! off; the next deposit pays the debt; each stage applied once in any order; the sandbox's disputed card.

use crate::api_http::{agent, api, settings};
use crate::metering::d;
use crate::support::{balance_of, spawn_app, NEW_CARD_FORM};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use server::sandbox_processor::SandboxProcessor;
use sqlx::PgPool;
use tollgate_core::ledger::{self, Posting};
use tollgate_core::payments::auto_top_up::settings as auto_top_up;
use tollgate_core::payments::disputes::{self, DisputeNews, Received, Stage};
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::payments::auto_top_up::AutoTopUpRule;
use uuid::Uuid;

/// The charge id of the account's latest succeeded deposit.
async fn charge_of(pool: &PgPool, account: Uuid) -> String {
    sqlx::query_scalar(
        "SELECT processor_charge_id FROM payment_attempts WHERE account_id = $1 AND status = 'succeeded'
          ORDER BY completed_at DESC LIMIT 1",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn news<'a>(dispute: &'a str, charge: &'a str, amount: &str, stage: Stage) -> DisputeNews<'a> {
    DisputeNews {
        processor_dispute_id: dispute,
        processor_charge_id: charge,
        amount: d(amount),
        stage,
        reason: None,
    }
}

/// (balance, Σ ledger, withdrawn by disputes).
async fn books(pool: &PgPool, account: Uuid) -> (Decimal, Decimal, Decimal) {
    sqlx::query_as(
        "SELECT w.balance, (SELECT COALESCE(sum(amount), 0) FROM ledger_entries e WHERE e.account_id = w.account_id),
                w.withdrawn_by_disputes
           FROM wallets w WHERE w.account_id = $1",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_dispute_takes_the_wallet_negative_calls_are_refused_and_the_next_deposit_pays_it_back(
    pool: PgPool,
) {
    let app = spawn_app(pool.clone()).await;
    let agent = agent(&app, "agent@example.test", "0", settings("", &[], true)).await;
    let account = agent.account;
    // A $10 deposit with a saved card, auto top-up on, and $8 spent.
    let sandbox = SandboxProcessor::install(pool.clone(), std::time::Duration::ZERO).await.unwrap();
    crate::support::save_card(&pool, &sandbox, "4242 4242 4242 4242", account).await;
    let charge = charge_of(&pool, account).await;
    let owner = crate::support::owner_actor(&pool, account).await;
    let rule = AutoTopUpRule::parse("5", "25", "100").unwrap();
    auto_top_up::change(&pool, &owner, auto_top_up::Change::TurnOn { rule, card: None }).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let spent =
        Posting { account_id: account, kind: EntryKind::Usage, amount: d("-8"), reference: "test", at: None };
    ledger::post(&mut tx, spent).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        disputes::receive(&pool, &news("dp_1", &charge, "10", Stage::Opened)).await.unwrap(),
        Received::Applied
    );
    assert_eq!(books(&pool, account).await, (d("-8"), d("-8"), d("10")), "withdrawn at once, below zero");
    let refused =
        json!({"error": "Your wallet is negative after a card dispute. Add funds to continue.", "code": 402});
    let call = json!({"service": "openai", "model": "gpt-4o-mini", "usage": {"input_tokens": 10, "output_tokens": 10}});
    assert_eq!(
        api(&app, "POST", "/v1/requests", &agent.secret, Some(call.clone()), None).await,
        (StatusCode::PAYMENT_REQUIRED, refused.clone())
    );
    let hold = json!({"service": "openai", "model": "gpt-4o-mini", "amount": "0.01"});
    assert_eq!(
        api(&app, "POST", "/v1/holds", &agent.secret, Some(hold), None).await,
        (StatusCode::PAYMENT_REQUIRED, refused)
    );
    let (_, balance) = api(&app, "GET", "/v1/balance", &agent.secret, None, None).await;
    assert_eq!((balance["balance"].as_str(), balance["paid"].as_str()), (Some("-8.00"), Some("-8.00")));
    let auto = auto_top_up::view(&pool, account).await.unwrap();
    assert!(auto.sentence().is_none(), "auto top-up is off while the wallet owes a dispute");

    // The next deposit pays the debt first; calls run again.
    let fund = json!({"amount": "30.00"});
    let (status, funded) =
        api(&app, "POST", "/v1/wallet/fund", &agent.secret, Some(fund), Some("after-dispute")).await;
    assert_eq!((status, funded["status"].as_str()), (StatusCode::OK, Some("completed")), "{funded}");
    assert_eq!(balance_of(&pool, account).await, d("22"));
    assert_eq!(
        api(&app, "POST", "/v1/requests", &agent.secret, Some(call), None).await.0,
        StatusCode::CREATED
    );

    // Won: the amount comes back; news after that changes nothing.
    assert_eq!(
        disputes::receive(&pool, &news("dp_1", &charge, "10", Stage::Won)).await.unwrap(),
        Received::Applied
    );
    assert_eq!(
        disputes::receive(&pool, &news("dp_1", &charge, "10", Stage::Lost)).await.unwrap(),
        Received::Unchanged
    );
    let (balance, sum, withdrawn) = books(&pool, account).await;
    assert_eq!((balance, withdrawn), (sum, Decimal::ZERO));
    assert!(balance > d("31.99") && balance < d("32"), "{balance}");
}

#[sqlx::test(migrations = "../migrations")]
async fn dispute_news_in_any_order_is_applied_once(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let mut charges = Vec::new();
    for n in 0..4 {
        let email = format!("order{n}@example.test");
        app.sign_up(&email, "correct-horse-1").await;
        let person = spawn_app(pool.clone()).await;
        person.log_in(&email, "correct-horse-1").await;
        let (_, draft) = person.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
        let id = draft["id"].as_str().unwrap().to_string();
        person.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
        let account = crate::support::account_of(&pool, &email).await;
        charges.push((account, charge_of(&pool, account).await));
    }
    // Won first: withdrawn and returned, both in the books.
    let (a, ref charge) = charges[0];
    assert_eq!(
        disputes::receive(&pool, &news("dp_a", charge, "25", Stage::Won)).await.unwrap(),
        Received::Applied
    );
    assert_eq!(books(&pool, a).await, (d("25"), d("25"), Decimal::ZERO));
    let kinds: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_entries WHERE account_id = $1 AND kind IN ('dispute', 'dispute_won')",
    )
    .bind(a)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kinds, 2);
    // Lost, then opened, then won: it stays lost.
    let (b, ref charge) = charges[1];
    for stage in [Stage::Lost, Stage::Opened, Stage::Won] {
        disputes::receive(&pool, &news("dp_b", charge, "25", stage)).await.unwrap();
    }
    assert_eq!(books(&pool, b).await, (d("0"), d("0"), d("25")));
    // The same news eight times at once: one withdrawal.
    let (c, charge) = charges[2].clone();
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (pool, charge) = (pool.clone(), charge.clone());
            tokio::spawn(async move {
                disputes::receive(&pool, &news("dp_c", &charge, "10", Stage::Opened)).await.unwrap()
            })
        })
        .collect();
    let answers: Vec<Received> =
        futures::future::join_all(tries).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(answers.iter().filter(|a| **a == Received::Applied).count(), 1, "{answers:?}");
    assert_eq!(books(&pool, c).await, (d("15"), d("15"), d("10")));
    // A dispute larger than its deposit takes the deposit; an unknown charge is for later.
    let (e, ref charge) = charges[3];
    disputes::receive(&pool, &news("dp_e", charge, "99", Stage::Opened)).await.unwrap();
    assert_eq!(books(&pool, e).await.0, Decimal::ZERO);
    assert_eq!(
        disputes::receive(&pool, &news("dp_x", "ch_nobody", "5", Stage::Opened)).await.unwrap(),
        Received::UnknownCharge
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sandbox_card_0259_is_disputed_right_after_it_succeeds(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up("dp@example.test", "correct-horse-1").await;
    let mut form = NEW_CARD_FORM.to_vec();
    form[2] = ("card_number", "4000 0000 0000 0259");
    let (_, draft) = app.call("/api/wallet/add-funds", &form).await;
    let id = draft["id"].as_str().unwrap().to_string();
    let (_, paid) = app.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
    assert_eq!(paid["status"], "succeeded");
    let account = crate::support::account_of(&pool, "dp@example.test").await;
    let mut withdrawn = Decimal::ZERO;
    for _ in 0..100 {
        withdrawn = books(&pool, account).await.2;
        if withdrawn > Decimal::ZERO {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(withdrawn, d("25"));
    assert_eq!(books(&pool, account).await, (Decimal::ZERO, Decimal::ZERO, d("25")));
    let page = app.get("/dashboard/wallet").await.text().await.unwrap();
    assert!(page.contains("Dispute"));
}

#[sqlx::test(migrations = "../migrations")]
async fn finance_records_a_disputes_outcome_with_a_reason_once(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up("owner@example.test", "correct-horse-1").await;
    let (_, draft) = app.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let id = draft["id"].as_str().unwrap().to_string();
    app.call("/api/wallet/confirm", &[("attempt_id", &id)]).await;
    let account = crate::support::account_of(&pool, "owner@example.test").await;
    let charge = charge_of(&pool, account).await;
    disputes::receive(&pool, &news("dp_staff", &charge, "25", Stage::Opened)).await.unwrap();
    let dispute: Uuid = sqlx::query_scalar("SELECT id FROM disputes").fetch_one(&pool).await.unwrap();
    let staff_app = |email: &'static str, role: tollgate_domain::staff::StaffRole| {
        let pool = pool.clone();
        async move {
            let app = spawn_app(pool.clone()).await;
            app.sign_up(email, "correct-horse-1").await;
            let email = tollgate_domain::accounts::credentials::Email::parse(email).unwrap();
            tollgate_core::staff::add(&pool, &email, role, "test").await.unwrap();
            app
        }
    };
    let settle = |app: crate::support::TestApp, outcome: &'static str| {
        let (account, dispute) = (account.to_string(), dispute.to_string());
        async move {
            app.call(
                "/api/admin/dispute-outcome",
                &[
                    ("account_id", &account),
                    ("dispute_id", &dispute),
                    ("outcome", outcome),
                    ("reason", "bank letter"),
                ],
            )
            .await
        }
    };
    let ana = staff_app("ana@example.test", tollgate_domain::staff::StaffRole::Support).await;
    assert_eq!(
        settle(ana.clone_handle(), "won").await,
        (StatusCode::FORBIDDEN, serde_json::Value::from("not_permitted"))
    );
    let bo = staff_app("bo@example.test", tollgate_domain::staff::StaffRole::Finance).await;
    let page = bo.get(&format!("/admin/accounts/{account}")).await.text().await.unwrap();
    assert!(page.contains("Open: amount withdrawn") && page.contains("dp_staff"));
    assert_eq!(settle(bo.clone_handle(), "maybe").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(settle(bo.clone_handle(), "won").await.0, StatusCode::OK);
    assert_eq!(books(&pool, account).await, (d("25"), d("25"), Decimal::ZERO));
    assert_eq!(
        settle(bo.clone_handle(), "lost").await,
        (StatusCode::CONFLICT, serde_json::Value::from("already_decided"))
    );
    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT action, detail FROM audit_events WHERE account_id = $1 AND channel = 'staff'")
            .bind(account)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audit,
        [(
            "dispute_won".into(),
            "Dispute of $25.00 won: returned to the wallet (reason: bank letter)".into()
        )]
    );
}
