//! The `/v1` JSON API over HTTP, on the real router: docs/CONTRACT.md's answers, keys, isolation between
//! accounts, and exactly-once funding.

use crate::support::{balance_of, save_card, spawn_app, TestApp, VISA};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::str::FromStr;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::keys::db::StatusChange;
use tollgate_core::ledger::{self, Posting};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::keys::settings::KeySettings;
use tollgate_domain::ledger::EntryKind;
use uuid::Uuid;

pub(crate) struct Agent {
    pub account: Uuid,
    pub secret: String,
    pub key_id: Uuid,
}

pub(crate) async fn agent(app: &TestApp, email: &str, balance: &str, settings: KeySettings) -> Agent {
    let account = auth_db::create_user_with_account(&app.pool, &Email::parse(email).unwrap(), "x")
        .await
        .unwrap()
        .account_id;
    let amount = Decimal::from_str(balance).unwrap();
    if amount > Decimal::ZERO {
        let mut tx = app.pool.begin().await.unwrap();
        ledger::post(
            &mut tx,
            Posting { account_id: account, kind: EntryKind::Deposit, amount, reference: "test", at: None },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let created = crate::support::owner_key(&app.pool, account, &settings).await.unwrap();
    Agent { account, secret: created.secret, key_id: created.key.id }
}

pub(crate) fn settings(limit: &str, services: &[&str], allow_funding: bool) -> KeySettings {
    let services: Vec<String> = services.iter().map(|s| s.to_string()).collect();
    KeySettings::parse("agent", limit, "daily", &services, allow_funding, "").unwrap()
}

pub(crate) async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    secret: &str,
    body: Option<Value>,
    idem: Option<&str>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), app.url(path)).bearer_auth(secret);
    if let Some(body) = body {
        req = req.json(&body);
    }
    if let Some(key) = idem {
        req = req.header("Idempotency-Key", key);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn exa() -> Option<Value> {
    Some(json!({"service": "exa", "model": "search"}))
}

#[sqlx::test(migrations = "../migrations")]
async fn a_call_over_the_balance_gets_exactly_the_contracts_402_and_costs_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "0.006", settings("", &[], false)).await;
    let (status, body) = api(&app, "POST", "/v1/requests", &a.secret, exa(), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["status"], "completed");
    assert_eq!(body["cost"], json!({"input": "0", "output": "0", "fee": "0.005", "total": "0.005"}));
    assert_eq!(body["balance"], "0.00");
    let (status, body) = api(&app, "POST", "/v1/requests", &a.secret, exa(), None).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body, json!({"error": "Insufficient wallet balance", "code": 402}));
    assert_eq!(balance_of(&app.pool, a.account).await, Decimal::from_str("0.001").unwrap());
    let (_, list) = api(&app, "GET", "/v1/requests", &a.secret, None, None).await;
    assert_eq!(list["data"][0]["status"], "rejected");
    assert_eq!(list["data"][0]["cost"]["total"], "0");
    assert_eq!(list["data"][1]["status"], "completed");
    assert_eq!(list["has_more"], false);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_request_list_pages_newest_first_each_call_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "1", settings("", &[], false)).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(api(&app, "POST", "/v1/requests", &a.secret, exa(), None).await.1["request_id"].clone());
    }
    ids.reverse();
    let (_, first) = api(&app, "GET", "/v1/requests?limit=2", &a.secret, None, None).await;
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    // A call made meanwhile appears on top later, never inside the next pages.
    api(&app, "POST", "/v1/requests", &a.secret, exa(), None).await;
    let (_, second) =
        api(&app, "GET", &format!("/v1/requests?limit=2&cursor={cursor}"), &a.secret, None, None).await;
    let cursor = second["next_cursor"].as_str().unwrap().to_string();
    let (_, third) =
        api(&app, "GET", &format!("/v1/requests?limit=2&cursor={cursor}"), &a.secret, None, None).await;
    assert_eq!(third["has_more"], false);
    assert_eq!(third["next_cursor"], Value::Null);
    let seen: Vec<Value> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap().iter().map(|r| r["request_id"].clone()))
        .collect();
    assert_eq!(seen, ids);
    for bad in ["limit=0", "limit=101", "limit=x", "cursor=abc"] {
        assert_eq!(
            api(&app, "GET", &format!("/v1/requests?{bad}"), &a.secret, None, None).await.0,
            StatusCode::BAD_REQUEST
        );
    }
    let (status, _) = api(&app, "GET", "/v1/usage?tz=Not/AZone", &a.secret, None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, usage) = api(&app, "GET", "/v1/usage", &a.secret, None, None).await;
    assert_eq!(usage["timezone"], "UTC");
    assert_eq!(usage["items"].as_array().unwrap().len(), 7);
    assert_eq!(usage["totals"], json!({"requests": 6, "cost": "0.03"}));
}

#[sqlx::test(migrations = "../migrations")]
async fn free_services_run_on_an_empty_wallet_and_token_costs_are_exact(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "0", settings("", &[], false)).await;
    let body = json!({"service": "open-meteo", "model": "forecast", "usage": {"input_tokens": 5, "output_tokens": 5}});
    let (status, answer) = api(&app, "POST", "/v1/requests", &a.secret, Some(body), None).await;
    assert_eq!((status, answer["cost"]["total"].clone()), (StatusCode::CREATED, json!("0")));
    let a = agent(&app, "b@example.test", "1", settings("", &[], false)).await;
    let body = json!({"service": "openai", "model": "gpt-4o-mini", "usage": {"input_tokens": 1000, "output_tokens": 500}});
    let (_, answer) = api(&app, "POST", "/v1/requests", &a.secret, Some(body), None).await;
    assert_eq!(
        answer["cost"],
        json!({"input": "0.00015", "output": "0.0003", "fee": "0", "total": "0.00045"})
    );
    assert_eq!(answer["balance"], "0.99");
}

#[sqlx::test(migrations = "../migrations")]
async fn keys_limits_and_allowances_are_enforced_with_clear_errors(pool: PgPool) {
    let app = spawn_app(pool).await;
    let limited = agent(&app, "a@example.test", "10", settings("0.01", &["exa"], false)).await;
    for _ in 0..2 {
        assert_eq!(
            api(&app, "POST", "/v1/requests", &limited.secret, exa(), None).await.0,
            StatusCode::CREATED
        );
    }
    let (status, body) = api(&app, "POST", "/v1/requests", &limited.secret, exa(), None).await;
    assert_eq!(
        (status, body),
        (StatusCode::PAYMENT_REQUIRED, json!({"error": "Spend key limit reached", "code": 402}))
    );
    let openai = Some(json!({"service": "openai", "model": "gpt-4o-mini", "usage": {"input_tokens": 1}}));
    let (status, body) = api(&app, "POST", "/v1/requests", &limited.secret, openai, None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::FORBIDDEN, json!(403)));
    for bad in [
        json!({"service": "nope", "model": "search"}),
        json!({"service": "exa"}),
        json!({"service": "exa", "model": "search", "usage": {"input_tokens": -1}}),
        json!({"service": "exa", "model": "search", "usage": {"input_tokens": 1.5}}),
        json!({"service": "exa", "model": "search", "usage": {"input_tokens": "12"}}),
        json!(["not", "an", "object"]),
    ] {
        let (status, body) =
            api(&app, "POST", "/v1/requests", &limited.secret, Some(bad.clone()), None).await;
        assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!(400)), "{bad}");
        assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Paused, revoked, unknown and missing keys: 401, with a message saying which.
    crate::support::change_key(&app.pool, limited.account, limited.key_id, StatusChange::Pause)
        .await
        .unwrap();
    let (status, body) = api(&app, "GET", "/v1/balance", &limited.secret, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("paused"));
    // The metered route remembers keys (api::call_cache); its transaction still refuses a paused key, and
    // records nothing for it.
    let recorded = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM requests").fetch_one(&pool).await.unwrap()
    };
    let before = recorded(app.pool.clone()).await;
    let (status, body) = api(&app, "POST", "/v1/requests", &limited.secret, exa(), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNAUTHORIZED, json!(401)));
    assert!(body["error"].as_str().unwrap().contains("paused"));
    assert_eq!(recorded(app.pool.clone()).await, before);
    crate::support::change_key(&app.pool, limited.account, limited.key_id, StatusChange::Revoke)
        .await
        .unwrap();
    let (status, body) = api(&app, "POST", "/v1/requests", &limited.secret, exa(), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNAUTHORIZED, json!(401)));
    assert!(body["error"].as_str().unwrap().contains("revoked"));
    assert_eq!(
        crate::support::change_key(&app.pool, limited.account, limited.key_id, StatusChange::Resume).await,
        Err(tollgate_domain::error::AppError::SpendKeyRevoked)
    );
    for secret in
        ["tg_sk_000000000000000000000000000000000000000000000000", "", "Basic abc", &"tg_sk_".repeat(100)]
    {
        assert_eq!(api(&app, "GET", "/v1/wallet", secret, None, None).await.0, StatusCode::UNAUTHORIZED);
    }
    let res = reqwest::get(app.url("/v1/balance")).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], 401);
}

#[sqlx::test(migrations = "../migrations")]
async fn balance_wallet_and_low_balance_signal(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "47.5", settings("", &[], false)).await;
    let (status, body) = api(&app, "GET", "/v1/balance", &a.secret, None, None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"balance": "47.50", "held": "0.00", "available": "47.50", "low_balance": false, "paid": "47.50", "promotional": "0.00", "promotional_expiring": []})
        )
    );
    tollgate_core::accounts::store::set_low_balance_threshold(
        &app.pool,
        &crate::support::owner_actor(&app.pool, a.account).await,
        Some(tollgate_domain::money::Usd::new(Decimal::from(50))),
    )
    .await
    .unwrap();
    let (_, body) = api(&app, "GET", "/v1/wallet", &a.secret, None, None).await;
    assert_eq!(body["balance"], "47.50");
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["low_balance"], true);
    assert!(body["wallet_id"].as_str().unwrap().parse::<Uuid>().is_ok());
    let (_, body) = api(&app, "GET", "/v1/payment_methods", &a.secret, None, None).await;
    assert_eq!(body, json!({"data": []}));
}

#[sqlx::test(migrations = "../migrations")]
async fn one_accounts_key_reaches_nothing_of_another_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "20", settings("", &[], true)).await;
    let b = agent(&app, "b@example.test", "30", settings("", &[], true)).await;
    // b has a saved card (its $10 first deposit) and a call on record.
    let processor = server::startup::payments::processor(&app.pool, &test_config()).await.unwrap();
    let card = save_card(&app.pool, &*processor, VISA, b.account).await;
    assert_eq!(api(&app, "POST", "/v1/requests", &b.secret, exa(), None).await.0, StatusCode::CREATED);
    // a sees only its own wallet, cards and calls…
    assert_eq!(api(&app, "GET", "/v1/balance", &a.secret, None, None).await.1["balance"], "20.00");
    assert_eq!(api(&app, "GET", "/v1/payment_methods", &a.secret, None, None).await.1["data"], json!([]));
    assert_eq!(api(&app, "GET", "/v1/requests", &a.secret, None, None).await.1["data"], json!([]));
    assert_eq!(api(&app, "GET", "/v1/usage", &a.secret, None, None).await.1["totals"]["requests"], 0);
    // …and can't pay with b's card.
    let body = Some(json!({"amount": "25.00", "payment_method_id": card}));
    let (status, _) = api(&app, "POST", "/v1/wallet/fund", &a.secret, body, Some("k1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(balance_of(&app.pool, b.account).await, Decimal::from_str("39.995").unwrap());
    assert_eq!(balance_of(&app.pool, a.account).await, Decimal::from(20));
}

#[sqlx::test(migrations = "../migrations")]
async fn funding_with_a_saved_card_charges_once_under_twenty_parallel_retries(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "0", settings("", &[], true)).await;
    let processor = server::startup::payments::processor(&app.pool, &test_config()).await.unwrap();
    save_card(&app.pool, &*processor, VISA, a.account).await;
    let body = json!({"amount": "25.00"});
    let mut calls = Vec::new();
    for _ in 0..20 {
        let (base, secret, body) = (app.base.clone(), a.secret.clone(), body.clone());
        calls.push(tokio::spawn(async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/v1/wallet/fund"))
                .bearer_auth(secret)
                .header("Idempotency-Key", "top-up-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    let (status, first) = answers[0].clone();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["status"], "completed");
    assert_eq!(first["amount"], "25.00");
    assert_eq!(first["balance"], "35.00", "$10 from saving the card, then $25");
    assert!(answers.iter().all(|(s, b)| *s == StatusCode::OK && *b == first), "{answers:?}");
    let charges: i64 = sqlx::query_scalar("SELECT count(*) FROM sandbox_processor.charges")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(charges, 2, "the card's first deposit and this one");
    assert_eq!(balance_of(&app.pool, a.account).await, Decimal::from(35));
    // The same key with another amount is refused; no key at all is a 400; a bad amount says why.
    let (status, body) =
        api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(json!({"amount": "30.00"})), Some("top-up-1"))
            .await;
    assert_eq!((status, body["code"].clone()), (StatusCode::CONFLICT, json!(409)));
    let (status, _) =
        api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(json!({"amount": "30.00"})), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) =
        api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(json!({"amount": "9.99"})), Some("k2")).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "Enter an amount between $10.00 and $10,000.00", "code": 400})
        )
    );
    // No amount: the balance and the saved cards.
    let (status, body) = api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(json!({})), Some("k3")).await;
    assert_eq!((status, body["balance"].clone()), (StatusCode::OK, json!("35.00")));
    assert_eq!(body["payment_methods"][0]["last4"], "4242");
    assert_eq!(body["payment_methods"][0]["is_default"], true);
    assert_eq!(body["payment_methods"][0]["expiry_year"].as_i64().unwrap().to_string().len(), 4);
    assert_eq!(charges_now(&app).await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_without_allow_adding_funds_cannot_fund(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "0", settings("", &[], false)).await;
    let (status, body) =
        api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(json!({"amount": "25.00"})), Some("k")).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::FORBIDDEN, json!(403)));
    assert_eq!(charges_now(&app).await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_saved_card_funding_answers_a_single_use_checkout_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "0", settings("", &[], true)).await;
    let (status, body) =
        api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(json!({"amount": "25.00"})), Some("c1")).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("requires_checkout")));
    let url = body["checkout_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/checkout/cs_", app.base)), "{url}");
    // Replayed, not a second checkout.
    let (_, again) =
        api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(json!({"amount": "25.00"})), Some("c1")).await;
    assert_eq!(again["checkout_url"], url);
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Add $25.00 to your Tollgate wallet") && html.contains("Card number"));
    let missing = reqwest::get(app.url("/checkout/cs_nope")).await.unwrap().text().await.unwrap();
    assert!(missing.contains("Checkout not found"));

    // Paid with JavaScript off: Continue → confirm step → Confirm → credited once; then the link is spent.
    let path = url.trim_start_matches(&app.base).to_string();
    let checkout_id = path.trim_start_matches("/checkout/").to_string();
    let card = |number: &'static str| {
        vec![
            ("checkout_id", checkout_id.clone()),
            ("card_number", number.into()),
            ("expiry", "12/40".into()),
            ("cvc", "123".into()),
            ("postal_code", "10001".into()),
            ("save_card", "on".into()),
        ]
    };
    let guest = crate::support::browser_like_client();
    let post = |fields: Vec<(&'static str, String)>, endpoint: &'static str| {
        let (guest, base, path) = (guest.clone(), app.base.clone(), path.clone());
        async move {
            let res = guest
                .post(format!("{base}{endpoint}"))
                .header("Origin", &base)
                .header("Referer", format!("{base}{path}"))
                .header("Accept", "text/html")
                .form(&fields)
                .send()
                .await
                .unwrap();
            crate::support::location(&res)
        }
    };
    // Two tabs, two drafts, both confirmed at once: the link takes one payment.
    let draft_a = post(card("4242424242424242"), "/api/checkout/start").await;
    let draft_b = post(card("5555555555554444"), "/api/checkout/start").await;
    let confirm = |location: String| {
        let attempt = location.split("attempt=").nth(1).unwrap().to_string();
        post(vec![("checkout_id", checkout_id.clone()), ("attempt_id", attempt)], "/api/checkout/confirm")
    };
    let (a_answer, b_answer) = tokio::join!(confirm(draft_a.clone()), confirm(draft_b.clone()));
    assert_eq!(charges_now(&app).await, 1, "{a_answer} / {b_answer}");
    assert_eq!(balance_of(&app.pool, a.account).await, Decimal::from(25));
    assert!(
        [&a_answer, &b_answer].iter().any(|l| l.ends_with("error=checkout_used")),
        "{a_answer} / {b_answer}"
    );
    let done = guest.get(app.url(&draft_a)).send().await.unwrap().text().await.unwrap();
    assert!(
        done.contains("Payment complete. Return to your chat: your balance is $25.00."),
        "whichever tab lost, the used link shows the payment that used it and the balance it left: {done}"
    );
    // Reset for the single-tab walk-through below.
    sqlx::query("DELETE FROM sandbox_processor.charges").execute(&app.pool).await.unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    ledger::post(
        &mut tx,
        Posting {
            account_id: a.account,
            kind: EntryKind::Adjustment,
            amount: Decimal::from(-25),
            reference: "test reset",
            at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("UPDATE checkout_sessions SET completed_at = NULL, attempt_id = NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE payment_attempts SET checkout_id = NULL").execute(&app.pool).await.unwrap();
    let cards_before = api(&app, "GET", "/v1/payment_methods", &a.secret, None, None).await.1["data"]
        .as_array()
        .unwrap()
        .len();
    let to_confirm = post(card("4242424242424242"), "/api/checkout/start").await;
    assert!(to_confirm.starts_with(&format!("{path}?attempt=")), "{to_confirm}");
    let attempt = to_confirm.split("attempt=").nth(1).unwrap().to_string();
    let fields = vec![("checkout_id", checkout_id.clone()), ("attempt_id", attempt.clone())];
    assert_eq!(post(fields.clone(), "/api/checkout/confirm").await, to_confirm);
    assert_eq!(post(fields, "/api/checkout/confirm").await, to_confirm, "a second Confirm replays");
    assert_eq!(balance_of(&app.pool, a.account).await, Decimal::from(25));
    assert_eq!(charges_now(&app).await, 1);
    let done = guest.get(app.url(&to_confirm)).send().await.unwrap().text().await.unwrap();
    assert!(done.contains("Payment complete. Return to your chat: your balance is $25.00."), "{done}");
    assert!(done.contains("$25.00 was added with Visa •••• 4242."));
    assert_eq!(
        post(card("5555555555554444"), "/api/checkout/start").await,
        format!("{path}?error=checkout_used")
    );
    assert_eq!(charges_now(&app).await, 1);
    let (_, cards) = api(&app, "GET", "/v1/payment_methods", &a.secret, None, None).await;
    assert_eq!(
        cards["data"].as_array().unwrap().len(),
        cards_before + 1,
        "saved: \"Save this card\" was checked"
    );
    // A checkout past its 24 hours takes nothing (its payments detached, so only the expiry speaks).
    sqlx::query("UPDATE checkout_sessions SET expires_at = now() - interval '1 second', completed_at = NULL, attempt_id = NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE payment_attempts SET checkout_id = NULL").execute(&app.pool).await.unwrap();
    assert_eq!(
        post(card("4242424242424242"), "/api/checkout/start").await,
        format!("{path}?error=checkout_expired")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_describes_every_route(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc: Value = reqwest::get(app.url("/v1/openapi.json")).await.unwrap().json().await.unwrap();
    for path in
        ["/v1/balance", "/v1/wallet", "/v1/payment_methods", "/v1/wallet/fund", "/v1/requests", "/v1/usage"]
    {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(
        doc["paths"]["/v1/requests"]["post"].is_object() && doc["paths"]["/v1/requests"]["get"].is_object()
    );
    assert!(doc["components"]["securitySchemes"]["spend_key"].is_object());
    let res = reqwest::get(app.url("/v1/nothing-here")).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], 404);
}

/// Bodies are parsed into their documented types, each field refused with its own message; a nested
/// object given as an array (which serde alone would read into a struct) is refused too.
#[sqlx::test(migrations = "../migrations")]
async fn a_body_that_is_not_its_documented_type_is_refused_with_the_fields_message(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "10", settings("", &[], true)).await;
    for (body, message) in [
        (
            json!({"service": "exa", "model": "search", "usage": [1, 2]}),
            "Usage must be whole, non-negative token counts",
        ),
        (
            json!({"service": "exa", "model": "search", "usage": {"input_tokens": -1}}),
            "Usage must be whole, non-negative token counts",
        ),
        (json!({"service": 5, "model": "search"}), "Unknown service or model"),
        (json!({"model": "search"}), "Unknown service or model"),
        (json!(["exa", "search"]), "The request body is not valid JSON for this call"),
    ] {
        let (status, answer) = api(&app, "POST", "/v1/requests", &a.secret, Some(body.clone()), None).await;
        assert_eq!(
            (status, answer),
            (StatusCode::BAD_REQUEST, json!({"error": message, "code": 400})),
            "{body}"
        );
    }
    for (body, message) in [
        (json!({"amount": 25}), "Enter a valid amount"),
        (json!({"amount": "25.00", "payment_method_id": 7}), "Not found"),
    ] {
        let (status, answer) =
            api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(body.clone()), Some("k")).await;
        assert_eq!(answer["error"], message, "{body}");
        assert!(status.is_client_error(), "{body}");
    }
    // No body, or `null`, is the documented "no amount": the balance and saved cards.
    let (status, answer) =
        api(&app, "POST", "/v1/wallet/fund", &a.secret, Some(Value::Null), Some("k")).await;
    assert_eq!((status, answer["balance"].clone()), (StatusCode::OK, json!("10.00")));
    assert_eq!(balance_of(&app.pool, a.account).await, Decimal::from(10), "nothing was charged");
}

/// The document is generated from the types the handlers parse and send: its parameters are the query
/// types' fields, its bodies the body types, and `POST /v1/wallet/fund` documents the one 200 it sends in its
/// three shapes (no made-up statuses).
#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_is_the_handlers_own_types(pool: PgPool) {
    let app = spawn_app(pool).await;
    let doc: Value = reqwest::get(app.url("/v1/openapi.json")).await.unwrap().json().await.unwrap();
    let params = |path: &str, method: &str| -> Vec<String> {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap_or_default().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(params("/v1/requests", "get"), ["limit", "cursor"]);
    assert_eq!(params("/v1/usage", "get"), ["start", "end", "tz", "member"]);
    let body = |path: &str| {
        doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    assert_eq!(body("/v1/requests")["$ref"], "#/components/schemas/CreateRequestBody");
    // Optional: no body (or `null`) asks for the balance and saved cards.
    let fund_body = json!([{"$ref": "#/components/schemas/FundBody"}, {"type": "null"}]);
    assert_eq!(body("/v1/wallet/fund")["oneOf"], fund_body);
    let fund = &doc["paths"]["/v1/wallet/fund"]["post"]["responses"];
    let statuses: Vec<&str> = fund.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(!statuses.contains(&"201") && !statuses.contains(&"202"), "{statuses:?}");
    assert_eq!(
        fund["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/FundResponse"
    );
    let shapes = doc["components"]["schemas"]["FundResponse"]["oneOf"].as_array().map_or(0, Vec::len);
    assert_eq!(shapes, 2, "charged (completed or requires_checkout) or the overview");
    let required = &doc["components"]["schemas"]["CreateRequestBody"]["required"];
    assert!(required
        .as_array()
        .is_some_and(|r| r.contains(&json!("service")) && r.contains(&json!("model"))));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_created_without_javascript_shows_its_secret_once_and_stores_only_its_hash(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("keys@example.test", "a-long-password").await;
    let res = app
        .post_form(
            "/dashboard/keys",
            "/dashboard/keys",
            &[
                ("name", "Research agent"),
                ("spend_limit", "5"),
                ("limit_period", "weekly"),
                ("services", "exa"),
                ("services", "openai"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let start = html.find("tg_sk_").expect("the secret is in the response");
    let secret: String =
        html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(secret.len(), 54);
    assert!(html.contains("$5.00 per week (UTC)"));
    // It works, and it is nowhere in the database.
    let (status, _) = api(&app, "GET", "/v1/balance", &secret, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let dump: String = sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM spend_keys t")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!dump.contains(&secret[6..]));
    // The page shown again (a reload) never shows it.
    let again = app.get("/dashboard/keys").await.text().await.unwrap();
    assert!(!again.contains(&secret) && again.contains("Research agent"));
    // Bad input: back with the message's code, nothing written.
    let res =
        app.post_form("/dashboard/keys", "/dashboard/keys", &[("name", " "), ("spend_limit", "")]).await;
    assert_eq!(crate::support::location(&res), "/dashboard/keys?error=key_name_invalid");
    let res = app
        .post_form(
            "/dashboard/keys",
            "/dashboard/keys",
            &[("name", "x"), ("spend_limit", "0.001"), ("limit_period", "daily")],
        )
        .await;
    assert_eq!(crate::support::location(&res), "/dashboard/keys?error=spend_limit_invalid");
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM spend_keys").fetch_one(&app.pool).await.unwrap();
    assert_eq!(keys, 1);
}

fn test_config() -> server::Config {
    crate::support::test_config(&[("TOLLGATE_SANDBOX_LATENCY_MS", "20")])
}

async fn charges_now(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sandbox_processor.charges").fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn two_servers_on_one_database_drain_a_shared_wallet_and_many_small_ones_exactly(pool: PgPool) {
    // Two app instances, each with its own pool and meter, as two servers behind a load balancer.
    let servers = [spawn_app(pool.clone()).await, spawn_app(pool).await];
    let hot = agent(&servers[0], "hot@example.test", "1.00", settings("", &[], false)).await;
    let mut wallets = vec![hot];
    for n in 0..8 {
        wallets.push(
            agent(&servers[0], &format!("small{n}@example.test"), "0.05", settings("", &[], false)).await,
        );
    }
    // 32 clients, alternating servers; half on the shared wallet, the rest two to a small one. Each calls
    // until it is refused with the contract's 402.
    let mut clients = Vec::new();
    for client in 0..32usize {
        let app = servers[client % 2].clone_handle();
        let wallet = if client % 2 == 0 { 0 } else { 1 + (client / 2) % 8 };
        let secret = wallets[wallet].secret.clone();
        clients.push(tokio::spawn(async move {
            let mut completed = 0u32;
            loop {
                let (status, body) = api(&app, "POST", "/v1/requests", &secret, exa(), None).await;
                match status {
                    StatusCode::CREATED => completed += 1,
                    StatusCode::PAYMENT_REQUIRED => {
                        assert_eq!(body, json!({"error": "Insufficient wallet balance", "code": 402}));
                        return (wallet, completed);
                    }
                    other => panic!("unexpected {other}: {body}"),
                }
            }
        }));
    }
    let mut completed_per_wallet = [0u32; 9];
    for client in clients {
        let (wallet, completed) = client.await.unwrap();
        completed_per_wallet[wallet] += completed;
    }
    // $1.00 is exactly 200 calls of $0.005, and $0.05 exactly 10: each wallet ends at zero, every 201 paid.
    assert_eq!(completed_per_wallet[0], 200, "the shared wallet");
    assert!(completed_per_wallet[1..].iter().all(|n| *n == 10), "{completed_per_wallet:?}");
    for wallet in &wallets {
        let mut conn = servers[0].pool.acquire().await.unwrap();
        let (balance, ledger_sum) = ledger::balance_and_ledger_sum(&mut conn, wallet.account).await.unwrap();
        assert_eq!((balance, ledger_sum), (Decimal::ZERO, Decimal::ZERO), "balance = Σ ledger = 0");
    }
    let (paid, entries): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM requests WHERE status = 'completed'),
                (SELECT count(*) FROM ledger_entries WHERE kind = 'usage')",
    )
    .fetch_one(&servers[0].pool)
    .await
    .unwrap();
    assert_eq!((paid, entries), (280, 280), "one ledger entry per paid call, none more");
}

/// An amount in another currency is named as such on every channel — the API, the chat, the wallet page —
/// and nothing is charged.
#[sqlx::test(migrations = "../migrations")]
async fn an_amount_in_another_currency_is_refused_as_such_on_every_channel(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "euro@example.test", "0", settings("", &[], true)).await;
    let processor = server::startup::payments::processor(&app.pool, &test_config()).await.unwrap();
    save_card(&app.pool, &*processor, VISA, a.account).await;
    let message = "Tollgate bills in US dollars only. Enter the amount in USD; your card issuer converts at its own exchange rate.";
    for (n, amount) in ["€25", "25 EUR", "£10.00", "C$30"].into_iter().enumerate() {
        let key = format!("euro-{n}");
        let body = Some(json!({"amount": amount}));
        let (status, body) = api(&app, "POST", "/v1/wallet/fund", &a.secret, body, Some(&key)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{amount}");
        assert_eq!(body["error"], message, "{amount}");
    }
    let chat = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(&a.secret)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "add_funds", "arguments": {"amount": "€25", "idempotency_key": "chat-euro"}}}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(chat["result"]["isError"], json!(true));
    assert!(chat["result"]["content"][0]["text"].as_str().unwrap().contains("US dollars only"), "{chat}");
    app.sign_up("page@example.test", "correct-horse-1").await;
    let (status, code) = app.call("/api/wallet/add-funds", &[("amount", "€25"), ("card", "new")]).await;
    assert_eq!((status, code), (StatusCode::BAD_REQUEST, json!("currency_not_supported")));
    assert!(app.get("/dashboard/wallet?add=1").await.text().await.unwrap().contains("USD only."));
    assert_eq!(charges_now(&app).await, 1, "only the first deposit that saved the card");
}
