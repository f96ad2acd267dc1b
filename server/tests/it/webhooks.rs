//! Webhooks (docs/CONTRACT.md "Webhooks") against a local receiver each test starts: every event delivered
//! at least once with one id, signed so that an HMAC computed here verifies, retried after 500s and
//! timeouts; a redirect never followed; private addresses refused; the delivery log, "Resend" and
//! "Delete" on the settings page with JavaScript off.

use crate::support::{self, spawn_app_with, TestApp, NEW_CARD_FORM};
use axum::{body::Bytes, extract::State, http::HeaderMap, response::IntoResponse, routing::post, Router};
use hmac::{Hmac, Mac};
use server::workers::webhook_sender::{run_due, SenderSettings};
use sha2::Sha256;
use sqlx::PgPool;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tollgate_core::webhooks::endpoint_url::EndpointUrl;
use tollgate_core::webhooks::store;
use tollgate_domain::webhooks::EventType;
use uuid::Uuid;

/// Fast retries and a short timeout, so a test sees several attempts in a second.
const FAST: [(&str, &str); 2] =
    [("TOLLGATE_WEBHOOK_TIMEOUT_MS", "500"), ("TOLLGATE_WEBHOOK_FIRST_RETRY_MS", "50")];

/// What the receiver does with one request.
#[derive(Clone, Copy)]
enum Reply {
    Status(u16),
    /// Answers only after the sender's timeout.
    TooLate,
    /// 302 to `/elsewhere` (which counts its visitors).
    Redirect,
}

#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<VecDeque<Reply>>>,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    elsewhere: Arc<Mutex<u32>>,
}

impl Receiver {
    /// Listens on 127.0.0.1; replies follow `script`, then 200.
    async fn start(script: &[Reply]) -> (Receiver, String) {
        let receiver =
            Receiver { script: Arc::new(Mutex::new(script.iter().copied().collect())), ..Default::default() };
        let app = Router::new()
            .route("/hook", post(hook))
            .route("/elsewhere", post(elsewhere).get(elsewhere))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn received(&self) -> Vec<(HeaderMap, String)> {
        self.got.lock().unwrap().clone()
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.received().iter().map(|(_, body)| serde_json::from_str(body).unwrap()).collect()
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&Receiver) -> bool) {
        for _ in 0..200 {
            if done(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver never got {what}: {:?}", self.bodies());
    }
}

async fn hook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    receiver.got.lock().unwrap().push((headers, String::from_utf8(body.to_vec()).unwrap()));
    let reply = receiver.script.lock().unwrap().pop_front().unwrap_or(Reply::Status(200));
    match reply {
        Reply::Status(code) => axum::http::StatusCode::from_u16(code).unwrap().into_response(),
        Reply::TooLate => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            axum::http::StatusCode::OK.into_response()
        }
        Reply::Redirect => {
            (axum::http::StatusCode::FOUND, [(axum::http::header::LOCATION, "/elsewhere")]).into_response()
        }
    }
}

async fn elsewhere(State(receiver): State<Receiver>) -> &'static str {
    *receiver.elsewhere.lock().unwrap() += 1;
    "followed"
}

/// Verifies `Tollgate-Signature` the way a receiver would: HMAC-SHA256 of "<t>.<raw body>" with the secret.
fn signature_verifies(headers: &HeaderMap, body: &str, secret: &str) -> bool {
    let header = headers.get("tollgate-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (Some(t), Some(v1)) = (
        header.split(',').find_map(|p| p.strip_prefix("t=")),
        header.split(',').find_map(|p| p.strip_prefix("v1=")),
    ) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == v1
}

/// A signed-up person on `app` with an endpoint for every event at `url`: (account, secret).
async fn person_with_endpoint(app: &TestApp, email: &str, url: &str) -> (Uuid, String) {
    app.sign_up(email, "correct-horse-1").await;
    let account = support::account_of(&app.pool, email).await;
    let mut fields = vec![("url", url)];
    fields.extend(EventType::all().into_iter().map(|e| ("events", e.as_str())));
    let page = app.post_form("/dashboard/settings", "/dashboard/settings", &fields).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let start = page.find("whsec_").expect("the secret is shown once");
    let secret: String =
        page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(secret.len(), "whsec_".len() + 48);
    let settings = app.get("/dashboard/settings").await.text().await.unwrap();
    assert!(!settings.contains(&secret), "and never again");
    (account, secret)
}

async fn deposit_through_the_page(app: &TestApp) -> serde_json::Value {
    let (_, draft) = app.call("/api/wallet/add-funds", &NEW_CARD_FORM).await;
    let (_, paid) = app.call("/api/wallet/confirm", &[("attempt_id", draft["id"].as_str().unwrap())]).await;
    paid
}

#[sqlx::test(migrations = "../migrations")]
async fn an_event_is_delivered_signed_with_one_id_through_500s_and_timeouts_and_the_log_shows_it(
    pool: PgPool,
) {
    let (receiver, url) = Receiver::start(&[Reply::Status(500), Reply::TooLate]).await;
    let app = spawn_app_with(pool.clone(), &FAST).await;
    let (account, secret) = person_with_endpoint(&app, "hooks@example.test", &url).await;
    let paid = deposit_through_the_page(&app).await;

    receiver.wait_for("a 2xx answer", |r| r.received().len() >= 3).await;
    let received = receiver.received();
    assert_eq!(received.len(), 3, "a 500, a timeout, then delivered: {:?}", receiver.bodies());
    for (headers, body) in &received {
        assert!(signature_verifies(headers, body, &secret), "signed: {body}");
        assert_eq!(headers.get("content-type").unwrap(), "application/json");
    }
    let bodies = receiver.bodies();
    let id = bodies[0]["id"].as_str().unwrap();
    assert!(id.starts_with("evt_"));
    assert!(bodies.iter().all(|b| b["id"] == id), "every attempt carries the same event id");
    assert_eq!(bodies[0]["type"], "funds.added");
    assert_eq!(bodies[0]["account_id"], account.to_string());
    assert_eq!(bodies[0]["data"]["amount"], "25.00");
    assert_eq!(bodies[0]["data"]["balance"], "25.00");
    assert_eq!(bodies[0]["data"]["payment_id"], paid["id"]);
    assert!(bodies[0]["created_at"].as_str().unwrap().ends_with('Z'));
    let delivery: (String, i32, Option<i32>) =
        sqlx::query_as("SELECT state, attempts, last_status FROM webhook_deliveries")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(delivery, ("delivered".into(), 3, Some(200)));

    // The delivery log; "Resend" sends the same event again; another account can't.
    let page = app.get("/dashboard/settings").await.text().await.unwrap();
    assert!(page.contains("Delivery log") && page.contains(id) && page.contains("Delivered"));
    let delivery_id: i64 =
        sqlx::query_scalar("SELECT id FROM webhook_deliveries").fetch_one(&pool).await.unwrap();
    let mallory = support::spawn_app_with(pool.clone(), &FAST).await;
    mallory.sign_up("mallory@example.test", "correct-horse-2").await;
    let (_, refused) =
        mallory.call("/api/settings/webhooks/resend", &[("delivery_id", &delivery_id.to_string())]).await;
    assert_eq!(refused, serde_json::json!("not_found"));
    let resent = app
        .post_form(
            "/api/settings/webhooks/resend",
            "/dashboard/settings",
            &[("delivery_id", &delivery_id.to_string())],
        )
        .await;
    assert_eq!(support::location(&resent), "/dashboard/settings?done=webhook_resent");
    receiver.wait_for("the resent event", |r| r.received().len() == 4).await;
    assert_eq!(receiver.bodies()[3]["id"], id);

    // "Delete": no more deliveries to it.
    let endpoint: Uuid =
        sqlx::query_scalar("SELECT id FROM webhook_endpoints").fetch_one(&pool).await.unwrap();
    let (_, refused) =
        mallory.call("/api/settings/webhooks/delete", &[("endpoint_id", &endpoint.to_string())]).await;
    assert_eq!(refused, serde_json::json!("not_found"));
    let deleted = app
        .post_form(
            "/api/settings/webhooks/delete",
            "/dashboard/settings",
            &[("endpoint_id", &endpoint.to_string())],
        )
        .await;
    assert_eq!(support::location(&deleted), "/dashboard/settings?done=webhook_deleted");
    deposit_through_the_page(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 4, "a deleted endpoint gets nothing");
    assert!(!app.get("/dashboard/settings").await.text().await.unwrap().contains(&url));
}

#[sqlx::test(migrations = "../migrations")]
async fn every_money_event_is_emitted_once_when_it_happens(pool: PgPool) {
    let (receiver, url) = Receiver::start(&[]).await;
    let app = spawn_app_with(pool.clone(), &FAST).await;
    let (account, _) = person_with_endpoint(&app, "events@example.test", &url).await;
    deposit_through_the_page(&app).await; // $25.00 on Visa •••• 4242: funds.added
    let mut declined = NEW_CARD_FORM.to_vec();
    declined[0] = ("amount", "10");
    declined[2] = ("card_number", "4000000000000002");
    let (_, draft) = app.call("/api/wallet/add-funds", &declined).await;
    let (_, failed) = app.call("/api/wallet/confirm", &[("attempt_id", draft["id"].as_str().unwrap())]).await;
    let declining_card = failed["payment_method_id"].as_str().unwrap().to_string(); // payment_method.failed
    assert_eq!(app.call("/api/wallet/low-balance-alert", &[("threshold", "20")]).await.0, 200);
    let rule = |card: &'static str| {
        vec![
            ("threshold", "15"),
            ("top_up_to", "40"),
            ("monthly_limit", "1000"),
            ("card", card),
            ("turn", "on"),
        ]
    };
    assert_eq!(app.call("/api/wallet/auto-top-up/save", &rule("")).await.0, 200);
    let key = tollgate_domain::keys::settings::KeySettings::parse("agent", "", "", &[], false, "").unwrap();
    let secret = support::owner_key(&pool, account, &key).await.unwrap().secret;
    let http = reqwest::Client::new();
    let spend = || async {
        let call = serde_json::json!({"service": "anthropic", "model": "claude-haiku", "usage": {"input_tokens": 0, "output_tokens": 2_600_000}});
        let answer =
            http.post(app.url("/v1/requests")).bearer_auth(&secret).json(&call).send().await.unwrap();
        assert_eq!(answer.status(), 201);
    };
    let count = |r: &Receiver, t: &str| r.bodies().iter().filter(|b| b["type"] == t).count();

    spend().await; // $25.00 → $14.60: below the alert and the auto top-up threshold
    receiver.wait_for("the auto top-up", |r| count(r, "auto_top_up.succeeded") == 1).await;
    spend().await; // $40.00 → $29.60
    spend().await; // → $19.20: below the alert again (a new crossing)
    let mut declining_rule = rule("");
    declining_rule[3] = ("card", Box::leak(declining_card.into_boxed_str()));
    declining_rule[4] = ("turn", "");
    assert_eq!(app.call("/api/wallet/auto-top-up/save", &declining_rule).await.0, 200);
    spend().await; // → $8.80: auto top-up declined once
    receiver.wait_for("a failed auto top-up", |r| count(r, "auto_top_up.failed") == 1).await;
    support::deposit(&pool, account, 10).await; // $18.80
    spend().await; // → $8.40: declined again, and turned off
    let expected = [
        ("funds.added", 2),
        ("payment_method.failed", 3),
        ("balance.low", 2),
        ("auto_top_up.succeeded", 1),
        ("auto_top_up.failed", 2),
        ("auto_top_up.disabled", 1),
    ];
    // Each event is its own delivery: wait until every one has arrived, then check none came twice.
    receiver
        .wait_for("every event", |r| expected.iter().all(|(event, times)| count(r, event) >= *times))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (event, times) in expected {
        assert_eq!(count(&receiver, event), times, "{event}: {:?}", receiver.bodies());
    }
    let low: Vec<serde_json::Value> = receiver
        .bodies()
        .into_iter()
        .filter(|b| b["type"] == "balance.low")
        .map(|b| b["data"].clone())
        .collect();
    assert_eq!(low[0], serde_json::json!({"balance": "14.60", "threshold": "20.00"}));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_redirect_is_never_followed_and_private_addresses_are_refused(pool: PgPool) {
    let (receiver, url) = Receiver::start(&[Reply::Redirect, Reply::Redirect, Reply::Redirect]).await;
    let app = spawn_app_with(pool.clone(), &FAST).await;
    person_with_endpoint(&app, "redirect@example.test", &url).await;
    deposit_through_the_page(&app).await;
    receiver.wait_for("three attempts", |r| r.received().len() >= 3).await;
    assert_eq!(*receiver.elsewhere.lock().unwrap(), 0, "the redirect was not followed");
    let (state, status): (String, Option<i32>) =
        sqlx::query_as("SELECT state, last_status FROM webhook_deliveries").fetch_one(&pool).await.unwrap();
    assert_eq!(status, Some(302), "a redirect is a failed attempt");
    assert!(state == "pending" || state == "delivered");

    // Private and local addresses are refused when added…
    for private in ["https://10.0.0.1/hook", "https://169.254.169.254/latest", "https://[fd00::1]/x"] {
        let refused = app
            .post_form(
                "/dashboard/settings",
                "/dashboard/settings",
                &[("url", private), ("events", "funds.added")],
            )
            .await;
        assert_eq!(support::location(&refused), "/dashboard/settings?error=webhook_url_private", "{private}");
    }
    let refused = app
        .post_form(
            "/dashboard/settings",
            "/dashboard/settings",
            &[("url", "http://example.com/"), ("events", "funds.added")],
        )
        .await;
    assert_eq!(support::location(&refused), "/dashboard/settings?error=webhook_url_invalid");
    let endpoints: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_endpoints").fetch_one(&pool).await.unwrap();
    assert_eq!(endpoints, 1, "a refusal stores nothing");
}

#[sqlx::test(migrations = "../migrations")]
async fn outside_the_sandbox_a_name_that_resolves_to_this_machine_is_refused_before_any_request(
    pool: PgPool,
) {
    use tollgate_core::accounts::store as auth_db;
    use tollgate_domain::accounts::credentials::Email;
    let (quiet, quiet_url) = Receiver::start(&[]).await;
    let account = auth_db::create_user_with_account(&pool, &Email::parse("ssrf@example.test").unwrap(), "x")
        .await
        .unwrap()
        .account_id;
    let owner = support::owner_actor(&pool, account).await;
    // Added while the sandbox allowed it; the sender below runs as production does (no loopback).
    let endpoint = EndpointUrl::parse(&quiet_url.replace("127.0.0.1", "localhost"), true).unwrap();
    store::add_endpoint(&pool, &owner, &endpoint, &[EventType::BalanceLow]).await.unwrap();
    emit_balance_low(&pool, account).await;
    let production = SenderSettings {
        allow_loopback: false,
        timeout: Duration::from_millis(500),
        first_retry: Duration::from_secs(60),
    };
    assert_eq!(run_due(&pool, production).await.unwrap(), 1);
    let (state, error): (String, Option<String>) =
        sqlx::query_as("SELECT state, last_error FROM webhook_deliveries").fetch_one(&pool).await.unwrap();
    assert_eq!(state, "pending", "retried later, like any failed attempt");
    assert!(error.as_deref().unwrap_or_default().starts_with("refused:"), "{error:?}");
    assert!(quiet.received().is_empty(), "no request was made");
}

#[sqlx::test(migrations = "../migrations")]
async fn events_are_forgotten_after_thirty_days_with_their_finished_deliveries(pool: PgPool) {
    use tollgate_core::accounts::store as auth_db;
    use tollgate_domain::accounts::credentials::Email;
    let account = auth_db::create_user_with_account(&pool, &Email::parse("old@example.test").unwrap(), "x")
        .await
        .unwrap()
        .account_id;
    let owner = support::owner_actor(&pool, account).await;
    let endpoint = EndpointUrl::parse("https://hooks.example.com/tollgate", false).unwrap();
    store::add_endpoint(&pool, &owner, &endpoint, &[EventType::BalanceLow]).await.unwrap();
    for _ in 0..3 {
        let mut tx = pool.begin().await.unwrap();
        tollgate_core::webhooks::outbox::emit(&mut tx, account, EventType::BalanceLow, serde_json::json!({}))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // Two are 31 days old, one of them still pending (a "Resend" in flight); one is new.
    sqlx::query(
        "UPDATE webhook_events SET created_at = now() - interval '31 days'
          WHERE id IN (SELECT id FROM webhook_events ORDER BY id LIMIT 2)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE webhook_deliveries SET state = 'delivered'
          WHERE event_id = (SELECT id FROM webhook_events WHERE created_at < now() - interval '30 days' ORDER BY id LIMIT 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // The maintenance pass also ends sessions: their store's tables exist once a server has started.
    server::session_layer(&pool, &support::test_config(&[])).await.unwrap();
    server::workers::maintenance::run_once(&pool).await.unwrap();
    let left: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM webhook_events), (SELECT count(*) FROM webhook_deliveries)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, (2, 2), "the old finished one went; the pending one and the new one stay");
}

/// A `balance.low` event on `account`, in a transaction of its own (as a debit would emit it).
async fn emit_balance_low(pool: &PgPool, account: Uuid) {
    let mut tx = pool.begin().await.unwrap();
    tollgate_core::webhooks::outbox::emit(&mut tx, account, EventType::BalanceLow, serde_json::json!({}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn new_account(pool: &PgPool, email: &str) -> Uuid {
    let email = tollgate_domain::accounts::credentials::Email::parse(email).unwrap();
    tollgate_core::accounts::store::create_user_with_account(pool, &email, "x").await.unwrap().account_id
}

/// A receiver that takes a second to answer each request and records how many it held at once.
async fn slow_receiver() -> (String, Arc<Mutex<(usize, usize, usize)>>) {
    // (in flight now, most at once, answered)
    let counts = Arc::new(Mutex::new((0usize, 0usize, 0usize)));
    let state = counts.clone();
    let app = Router::new().route(
        "/{endpoint}",
        post(move || {
            let counts = state.clone();
            async move {
                {
                    let mut c = counts.lock().unwrap();
                    c.0 += 1;
                    c.1 = c.1.max(c.0);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                let mut c = counts.lock().unwrap();
                c.0 -= 1;
                c.2 += 1;
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, counts)
}

/// One account's slow endpoints hold at most 2 delivery slots, even with two servers sending at once; the
/// rest wait their turn and are all delivered.
#[sqlx::test(migrations = "../migrations")]
async fn an_account_has_at_most_two_deliveries_in_flight_across_servers(pool: PgPool) {
    let (base, counts) = slow_receiver().await;
    let account = new_account(&pool, "slow@example.test").await;
    let actor = support::owner_actor(&pool, account).await;
    for n in 0..5 {
        let url = EndpointUrl::parse(&format!("{base}/{n}"), true).unwrap();
        store::add_endpoint(&pool, &actor, &url, &EventType::all()).await.unwrap();
    }
    emit_balance_low(&pool, account).await;
    let settings = SenderSettings {
        allow_loopback: true,
        timeout: Duration::from_secs(5),
        first_retry: Duration::from_millis(50),
    };
    let (a, b) = tokio::join!(run_due(&pool, settings), run_due(&pool, settings));
    assert_eq!(a.unwrap() + b.unwrap(), 5, "each delivery sent once");
    let (now, most, answered) = *counts.lock().unwrap();
    assert_eq!((now, answered), (0, 5));
    assert!(most <= 2, "{most} requests to one account's endpoints at once");
    assert_eq!(most, 2, "two at once, not one after another");
    let delivered: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(delivered, 5);
}

/// "Resend" is at most 10 a minute per account.
#[sqlx::test(migrations = "../migrations")]
async fn resend_is_limited_to_ten_a_minute_per_account(pool: PgPool) {
    let account = new_account(&pool, "resender@example.test").await;
    let actor = support::owner_actor(&pool, account).await;
    let url = EndpointUrl::parse("http://127.0.0.1:9/hook", true).unwrap();
    store::add_endpoint(&pool, &actor, &url, &EventType::all()).await.unwrap();
    emit_balance_low(&pool, account).await;
    let delivery: i64 =
        sqlx::query_scalar("SELECT id FROM webhook_deliveries").fetch_one(&pool).await.unwrap();
    for _ in 0..10 {
        store::resend(&pool, account, delivery).await.unwrap();
    }
    assert_eq!(
        store::resend(&pool, account, delivery).await,
        Err(tollgate_domain::error::AppError::TooManyResends)
    );
}
