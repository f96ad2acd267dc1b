//! Holds over HTTP on the real router (docs/CONTRACT.md "Holds"): placed like a paid call, captured as one,
//! voided, expired exactly, resolved once — and exact under concurrency.

use crate::api_http::{agent, api, settings, Agent};
use crate::support::{balance_of, spawn_app, TestApp};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::str::FromStr;
use tollgate_core::metering::holds;

fn dollars(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

async fn hold(app: &TestApp, a: &Agent, body: Value) -> (StatusCode, Value) {
    api(app, "POST", "/v1/holds", &a.secret, Some(body), None).await
}

async fn balance(app: &TestApp, a: &Agent) -> Value {
    api(app, "GET", "/v1/balance", &a.secret, None, None).await.1
}

/// The wallet's balance equals the sum of its ledger, and its count of open holds the holds marked `held`.
async fn assert_books_balance(pool: &PgPool, account: uuid::Uuid) {
    let ledger: Decimal =
        sqlx::query_scalar("SELECT COALESCE(sum(amount), 0) FROM ledger_entries WHERE account_id = $1")
            .bind(account)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(balance_of(pool, account).await, ledger, "balance = Σ ledger");
    let (counted, open): (i32, i64) = sqlx::query_as(
        "SELECT w.open_holds, (SELECT count(*) FROM holds h WHERE h.account_id = w.account_id AND h.status = 'held')
           FROM wallets w WHERE w.account_id = $1",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(i64::from(counted), open, "open_holds = holds marked held");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hold_is_captured_as_a_paid_call_and_the_rest_released_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "10.00", settings("", &[], false)).await;
    let (status, placed) =
        hold(&app, &a, json!({"amount": "2.00", "service": "openai", "model": "gpt-4o-mini"})).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["status"], "held");
    assert_eq!(placed["amount"], "2.00");
    assert_eq!(
        (placed["balance"].as_str(), placed["held"].as_str(), placed["available"].as_str()),
        (Some("10.00"), Some("2.00"), Some("8.00"))
    );
    let expires_in = chrono::DateTime::parse_from_rfc3339(placed["expires_at"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(placed["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires_in.num_seconds(), 300, "five minutes by default");
    assert_eq!(
        balance(&app, &a).await,
        json!({"balance": "10.00", "held": "2.00", "available": "8.00", "low_balance": false, "paid": "10.00", "promotional": "0.00", "promotional_expiring": []})
    );

    let id = placed["hold_id"].as_str().unwrap().to_string();
    let (status, captured) = api(
        &app,
        "POST",
        &format!("/v1/holds/{id}/capture"),
        &a.secret,
        Some(json!({"amount": "0.37"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    assert_eq!(captured["status"], "captured");
    assert_eq!((captured["captured"].as_str(), captured["released"].as_str()), (Some("0.37"), Some("1.63")));
    assert_eq!(
        (captured["balance"].as_str(), captured["held"].as_str(), captured["available"].as_str()),
        (Some("9.63"), Some("0.00"), Some("9.63"))
    );
    assert_eq!(captured["cost"]["total"], "0.37");
    assert_eq!(captured["cost"]["fee"], "0.37", "a capture by amount is the call's per-request price");
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("9.63"));

    // The capture is a paid call like any other: in the request list, with the hold's service and model.
    let (_, list) = api(&app, "GET", "/v1/requests", &a.secret, None, None).await;
    assert_eq!(list["data"][0]["request_id"], captured["request_id"]);
    assert_eq!(list["data"][0]["via"], "api");
    assert_eq!(
        (list["data"][0]["service"].as_str(), list["data"][0]["model"].as_str()),
        (Some("openai"), Some("gpt-4o-mini"))
    );
    let (_, state) = api(&app, "GET", &format!("/v1/holds/{id}"), &a.secret, None, None).await;
    assert_eq!(
        (state["status"].as_str(), state["captured"].as_str(), state["released"].as_str()),
        (Some("captured"), Some("0.37"), Some("1.63"))
    );

    // A hold resolves once.
    for action in ["capture", "void"] {
        let (status, body) = api(
            &app,
            "POST",
            &format!("/v1/holds/{id}/{action}"),
            &a.secret,
            Some(json!({"amount": "0.01"})),
            None,
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::CONFLICT, json!({"error": "This hold was already captured", "code": 409}))
        );
    }
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("9.63"));
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hold_or_call_over_what_is_available_is_the_contracts_402_and_holds_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let refused = json!({"error": "Insufficient wallet balance", "code": 402});
    assert_eq!(
        hold(&app, &a, json!({"amount": "1.01", "service": "exa"})).await,
        (StatusCode::PAYMENT_REQUIRED, refused.clone())
    );
    assert_eq!(hold(&app, &a, json!({"amount": "0.998", "service": "exa"})).await.0, StatusCode::CREATED);
    // 0.002 left: a second hold and a paid call of 0.005 are both over it, though the balance covers them.
    assert_eq!(
        hold(&app, &a, json!({"amount": "0.003", "service": "exa"})).await,
        (StatusCode::PAYMENT_REQUIRED, refused.clone())
    );
    let call = json!({"service": "exa", "model": "search"});
    assert_eq!(
        api(&app, "POST", "/v1/requests", &a.secret, Some(call), None).await,
        (StatusCode::PAYMENT_REQUIRED, refused)
    );
    assert_eq!(
        balance(&app, &a).await,
        json!({"balance": "1.00", "held": "0.998", "available": "0.00", "low_balance": false, "paid": "1.00", "promotional": "0.00", "promotional_expiring": []})
    );
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00"));
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_capture_by_usage_is_priced_by_the_catalog_and_one_over_the_hold_leaves_it_open(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "5.00", settings("", &[], false)).await;
    let (_, placed) =
        hold(&app, &a, json!({"amount": "1.00", "service": "openai", "model": "gpt-4o-mini"})).await;
    let capture = format!("/v1/holds/{}/capture", placed["hold_id"].as_str().unwrap());
    // 10M output tokens at $0.60 per million: $6.00, over the hold.
    let over = json!({"usage": {"input_tokens": 0, "output_tokens": 10_000_000}});
    let (status, body) = api(&app, "POST", &capture, &a.secret, Some(over), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("A capture can't be more than its hold; the hold is still open"))
    );
    assert_eq!(balance(&app, &a).await["held"], "1.00", "still open");
    let (status, captured) = api(
        &app,
        "POST",
        &capture,
        &a.secret,
        Some(json!({"usage": {"input_tokens": 1000, "output_tokens": 500}})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    // 1000 × 0.15 / 1M + 500 × 0.60 / 1M, to the last digit.
    assert_eq!(captured["captured"], "0.00045");
    assert_eq!(
        captured["cost"],
        json!({"input": "0.00015", "output": "0.0003", "fee": "0", "total": "0.00045"})
    );
    assert_eq!(captured["released"], "0.99955");
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("4.99955"));
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_voided_hold_gives_everything_back_and_resolves_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "3.00", settings("", &[], false)).await;
    let (_, placed) = hold(&app, &a, json!({"amount": "2.50", "service": "exa"})).await;
    let id = placed["hold_id"].as_str().unwrap();
    let (status, voided) = api(&app, "POST", &format!("/v1/holds/{id}/void"), &a.secret, None, None).await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(
        (voided["status"].as_str(), voided["released"].as_str(), voided["available"].as_str()),
        (Some("voided"), Some("2.50"), Some("3.00"))
    );
    for action in ["void", "capture"] {
        let (status, body) = api(
            &app,
            "POST",
            &format!("/v1/holds/{id}/{action}"),
            &a.secret,
            Some(json!({"amount": "1"})),
            None,
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::CONFLICT, json!({"error": "This hold was already voided", "code": 409}))
        );
    }
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("3.00"));
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_hold_frees_its_money_at_its_instant_before_any_sweep_and_charges_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let (status, placed) = hold(&app, &a, json!({"amount": "1.00", "service": "exa", "expires_in": 1})).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = placed["hold_id"].as_str().unwrap().to_string();
    assert_eq!(
        hold(&app, &a, json!({"amount": "0.50", "service": "exa"})).await.0,
        StatusCode::PAYMENT_REQUIRED
    );
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // No maintenance pass has run: the hold is still marked `held`, yet it no longer counts.
    assert_eq!(
        balance(&app, &a).await,
        json!({"balance": "1.00", "held": "0.00", "available": "1.00", "low_balance": false, "paid": "1.00", "promotional": "0.00", "promotional_expiring": []})
    );
    let (_, state) = api(&app, "GET", &format!("/v1/holds/{id}"), &a.secret, None, None).await;
    assert_eq!(state["status"], "expired");
    assert_eq!(
        hold(&app, &a, json!({"amount": "1.00", "service": "exa", "expires_in": 60})).await.0,
        StatusCode::CREATED
    );
    let expired = json!({"error": "This hold has expired; nothing was charged.", "code": 410});
    for action in ["capture", "void"] {
        let (status, body) = api(
            &app,
            "POST",
            &format!("/v1/holds/{id}/{action}"),
            &a.secret,
            Some(json!({"amount": "0.10"})),
            None,
        )
        .await;
        assert_eq!((status, body), (StatusCode::GONE, expired.clone()), "{action}");
    }
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00"));
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_maintenance_pass_marks_expired_holds_and_keeps_the_open_count(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "5.00", settings("", &[], false)).await;
    for _ in 0..3 {
        assert_eq!(
            hold(&app, &a, json!({"amount": "1.00", "service": "exa", "expires_in": 1})).await.0,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        hold(&app, &a, json!({"amount": "1.00", "service": "exa", "expires_in": 600})).await.0,
        StatusCode::CREATED
    );
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(holds::expire_due(&app.pool).await.unwrap(), 3);
    assert_eq!(holds::expire_due(&app.pool).await.unwrap(), 0, "once");
    let open: i32 = sqlx::query_scalar("SELECT open_holds FROM wallets WHERE account_id = $1")
        .bind(a.account)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(open, 1);
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn thirty_two_holds_at_once_on_two_servers_on_a_wallet_that_affords_nine_hold_exactly_nine(
    pool: PgPool,
) {
    // Two servers on one database, each with its own memory: only PostgreSQL can keep them exact.
    let app = spawn_app(pool.clone()).await;
    let other_server = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "9.00", settings("", &[], false)).await;
    let tries = (0..32).map(|i| {
        let server = if i % 2 == 0 { &app } else { &other_server };
        let (app, secret) = (server.clone_handle(), a.secret.clone());
        tokio::spawn(async move {
            api(&app, "POST", "/v1/holds", &secret, Some(json!({"amount": "1.00", "service": "exa"})), None)
                .await
                .0
        })
    });
    let statuses: Vec<StatusCode> =
        futures::future::join_all(tries).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 9, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::PAYMENT_REQUIRED).count(), 23);
    assert_eq!(
        balance(&app, &a).await,
        json!({"balance": "9.00", "held": "9.00", "available": "0.00", "low_balance": false, "paid": "9.00", "promotional": "0.00", "promotional_expiring": []})
    );
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn holds_and_paid_calls_at_once_never_spend_more_than_the_wallet(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "0.10", settings("", &[], false)).await;
    // 20 holds of 0.01 and 20 calls of 0.005 against 0.10: whatever the order, what was held and spent
    // never passes the wallet, and each hold captured for 0.004 leaves the books exact.
    let tries = (0..40).map(|i| {
        let (app, secret) = (app.clone_handle(), a.secret.clone());
        tokio::spawn(async move {
            if i % 2 == 0 {
                let (status, placed) = api(
                    &app,
                    "POST",
                    "/v1/holds",
                    &secret,
                    Some(json!({"amount": "0.01", "service": "exa"})),
                    None,
                )
                .await;
                if status != StatusCode::CREATED {
                    return (status, false);
                }
                let capture = format!("/v1/holds/{}/capture", placed["hold_id"].as_str().unwrap());
                let (status, _) =
                    api(&app, "POST", &capture, &secret, Some(json!({"amount": "0.004"})), None).await;
                (status, true)
            } else {
                let call = json!({"service": "exa", "model": "search"});
                (api(&app, "POST", "/v1/requests", &secret, Some(call), None).await.0, false)
            }
        })
    });
    let outcomes: Vec<(StatusCode, bool)> =
        futures::future::join_all(tries).await.into_iter().map(Result::unwrap).collect();
    let captured = outcomes.iter().filter(|(s, capture)| *capture && *s == StatusCode::OK).count();
    let called = outcomes.iter().filter(|(s, capture)| !*capture && *s == StatusCode::CREATED).count();
    assert!(
        outcomes
            .iter()
            .all(|(s, _)| [StatusCode::OK, StatusCode::CREATED, StatusCode::PAYMENT_REQUIRED].contains(s)),
        "{outcomes:?}"
    );
    let spent =
        Decimal::from(captured as i64) * dollars("0.004") + Decimal::from(called as i64) * dollars("0.005");
    assert!(spent <= dollars("0.10"));
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("0.10") - spent);
    assert_eq!(balance(&app, &a).await["held"], "0.00", "every hold placed was captured");
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_capture_racing_a_void_resolves_the_hold_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "10.00", settings("", &[], false)).await;
    for _ in 0..8 {
        let (_, placed) = hold(&app, &a, json!({"amount": "1.00", "service": "exa"})).await;
        let id = placed["hold_id"].as_str().unwrap().to_string();
        let race = ["capture", "void"].map(|action| {
            let (app, secret, path) =
                (app.clone_handle(), a.secret.clone(), format!("/v1/holds/{id}/{action}"));
            tokio::spawn(async move {
                api(&app, "POST", &path, &secret, Some(json!({"amount": "0.25"})), None).await.0
            })
        });
        let [capture, void] = race;
        let (capture, void) = (capture.await.unwrap(), void.await.unwrap());
        assert_eq!(
            [capture, void].iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "one wins: capture {capture}, void {void}"
        );
        assert_eq!([capture, void].iter().filter(|s| **s == StatusCode::CONFLICT).count(), 1);
    }
    let charged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM holds WHERE account_id = $1 AND status = 'captured'")
            .bind(a.account)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        balance_of(&app.pool, a.account).await,
        dollars("10.00") - Decimal::from(charged) * dollars("0.25")
    );
    assert_books_balance(&app.pool, a.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_keys_spend_limit_counts_its_open_holds(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "10.00", settings("1.00", &[], false)).await;
    assert_eq!(hold(&app, &a, json!({"amount": "0.80", "service": "exa"})).await.0, StatusCode::CREATED);
    let (status, body) = hold(&app, &a, json!({"amount": "0.30", "service": "exa"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYMENT_REQUIRED, Some("Spend key limit reached"))
    );
    // 0.80 held and 0.195 left of the limit: a call of 0.005 fits, the next doesn't.
    assert_eq!(hold(&app, &a, json!({"amount": "0.195", "service": "exa"})).await.0, StatusCode::CREATED);
    let call = json!({"service": "exa", "model": "search"});
    assert_eq!(
        api(&app, "POST", "/v1/requests", &a.secret, Some(call.clone()), None).await.0,
        StatusCode::CREATED
    );
    let (status, body) = api(&app, "POST", "/v1/requests", &a.secret, Some(call), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYMENT_REQUIRED, Some("Spend key limit reached"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn holds_refuse_bad_input_foreign_ids_and_replay_under_their_idempotency_key(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "10.00", settings("", &["exa"], false)).await;
    let b = agent(&app, "b@example.test", "10.00", settings("", &[], false)).await;
    for (body, code) in [
        (
            json!({"amount": "0", "service": "exa"}),
            "Hold an amount above $0 and at most $10,000.00, with at most 8 decimal places",
        ),
        (
            json!({"amount": 2, "service": "exa"}),
            "Hold an amount above $0 and at most $10,000.00, with at most 8 decimal places",
        ),
        (
            json!({"amount": "10000.01", "service": "exa"}),
            "Hold an amount above $0 and at most $10,000.00, with at most 8 decimal places",
        ),
        (json!({"amount": "1", "service": "exa", "expires_in": 0}), "Hold for 1 to 86,400 seconds"),
        (json!({"amount": "1", "service": "exa", "expires_in": 86_401}), "Hold for 1 to 86,400 seconds"),
        (json!({"amount": "1", "service": "nope"}), "Unknown service or model"),
        (json!({"amount": "1", "service": "exa", "model": "nope\u{0}"}), "Unknown service or model"),
    ] {
        let (status, answer) = hold(&app, &a, body.clone()).await;
        assert_eq!((status, answer["error"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{body}");
    }
    let (status, _) =
        hold(&app, &a, json!({"amount": "1", "service": "openai", "model": "gpt-4o-mini"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a service the key may not call");
    assert_eq!(balance(&app, &a).await["held"], "0.00", "nothing was held");

    // Under one Idempotency-Key: the same hold again, never a second; other parameters: 409.
    let body = json!({"amount": "1.00", "service": "exa"});
    let first = api(&app, "POST", "/v1/holds", &a.secret, Some(body.clone()), Some("h-1")).await;
    let again = api(&app, "POST", "/v1/holds", &a.secret, Some(body), Some("h-1")).await;
    assert_eq!((first.0, again.0), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first.1["hold_id"], again.1["hold_id"]);
    assert_eq!(balance(&app, &a).await["held"], "1.00");
    let other = api(
        &app,
        "POST",
        "/v1/holds",
        &a.secret,
        Some(json!({"amount": "2.00", "service": "exa"})),
        Some("h-1"),
    )
    .await;
    assert_eq!(other.0, StatusCode::CONFLICT);

    // Another account's hold, and ids that are none, are not found — and stay untouched.
    let id = first.1["hold_id"].as_str().unwrap();
    for (method, path) in [
        ("GET", format!("/v1/holds/{id}")),
        ("POST", format!("/v1/holds/{id}/void")),
        ("POST", format!("/v1/holds/{id}/capture")),
    ] {
        let (status, _) = api(&app, method, &path, &b.secret, Some(json!({"amount": "0.5"})), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    for path in ["/v1/holds/not-a-hold", "/v1/holds/00000000-0000-0000-0000-000000000000"] {
        assert_eq!(api(&app, "GET", path, &a.secret, None, None).await.0, StatusCode::NOT_FOUND);
    }
    let capture = format!("/v1/holds/{id}/capture");
    for (body, code) in [
        (json!({}), "capture_invalid"),
        (json!({"amount": "0.5", "usage": {"input_tokens": 1}}), "capture_invalid"),
        (json!({"amount": "-1"}), "capture_invalid"),
        (json!({"usage": {"input_tokens": 1}}), "hold_has_no_model"),
    ] {
        let (status, answer) = api(&app, "POST", &capture, &a.secret, Some(body.clone()), None).await;
        let expected = tollgate_domain::error::AppError::from_code(code).unwrap();
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(expected.message().as_str())),
            "{body}"
        );
    }
    assert_eq!(balance(&app, &a).await["held"], "1.00", "still open after every refusal");
    assert_books_balance(&app.pool, a.account).await;
    assert_books_balance(&app.pool, b.account).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_wallet_page_says_what_is_held_while_anything_is(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("held@example.test", "correct-horse-battery").await;
    let account = crate::support::account_of(&app.pool, "held@example.test").await;
    crate::support::deposit(&app.pool, account, 10).await;
    let key = crate::support::owner_key(&app.pool, account, &settings("", &[], false)).await.unwrap();
    let page = || async { app.get("/dashboard/wallet").await.text().await.unwrap() };
    assert!(!page().await.contains("Held for calls in progress"));
    let body = json!({"amount": "2.00", "service": "exa", "expires_in": 1});
    let (status, placed) = api(&app, "POST", "/v1/holds", &key.secret, Some(body), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(page().await.contains("Held for calls in progress: $2.00"), "the kept page was not reused");
    // Once it expires the line goes, though nothing marked the hold expired.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(!page().await.contains("Held for calls in progress"));
    let (_, state) = api(
        &app,
        "GET",
        &format!("/v1/holds/{}", placed["hold_id"].as_str().unwrap()),
        &key.secret,
        None,
        None,
    )
    .await;
    assert_eq!(state["status"], "expired");
}
