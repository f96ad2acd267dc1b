//! The gateway over HTTP (docs/CONTRACT.md "Gateway"): OpenAI's chat completions through Tollgate to a fake
//! provider this test starts on loopback (a real HTTP upstream), held before they are forwarded and charged
//! at the usage the provider reports.

use crate::api_http::{agent, api, settings, Agent};
use crate::support::{balance_of, spawn_app, spawn_app_with, TestApp};
use axum::{body::Body, extract::State, http::HeaderMap, routing::post, Json, Router};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake provider reports for every call: 20 prompt and 10 completion tokens, which cost
/// 20 × $0.15 / 1M + 10 × $0.60 / 1M = $0.000009 on gpt-4o-mini.
const CALL_COST: &str = "0.000009";

/// A call the fake provider got: its `Authorization` header and its body.
type Seen = (Option<String>, Value);

#[derive(Clone, Default)]
struct Provider {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Delay between streamed chunks (a whole answer waits ten of them).
    pace: Duration,
}

impl Provider {
    fn calls(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn completions(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    provider.seen.lock().unwrap().push((authorization, body.clone()));
    if body.pointer("/messages/0/content") == Some(&json!("fail")) {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"message": "upstream broke", "type": "server_error"}})),
        )
            .into_response();
    }
    let usage = json!({"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30});
    if body.get("stream") != Some(&json!(true)) {
        // A whole answer takes as long as its ten streamed chunks would.
        tokio::time::sleep(provider.pace * 10).await;
        let answer = json!({"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi from the fake"}, "finish_reason": "stop"}],
            "usage": usage});
        return Json(answer).into_response();
    }
    let include_usage = body.pointer("/stream_options/include_usage") == Some(&json!(true));
    let mut events: Vec<String> = ["Hi", " from", " the", " fake", " stream", "!", " More", " words", " here", "."]
        .iter()
        .map(|w| format!("data: {}\n\n", json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": w}}], "usage": null})))
        .collect();
    if include_usage {
        events.push(format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": [], "usage": usage})
        ));
    }
    events.push("data: [DONE]\n\n".to_string());
    let pace = provider.pace;
    let stream = futures::stream::iter(events).then(move |event| async move {
        tokio::time::sleep(pace).await;
        Ok::<_, std::io::Error>(event)
    });
    axum::response::Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// Anthropic's messages as the fake answers them: 25 input and 15 output tokens, which cost
/// 25 × $0.80 / 1M + 15 × $4.00 / 1M = $0.00008 on claude-haiku.
async fn messages(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let version =
        headers.get("anthropic-version").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    provider.seen.lock().unwrap().push((key, json!({"version": version, "body": body.clone()})));
    if body.get("stream") != Some(&json!(true)) {
        return Json(
            json!({"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": "Hi from the fake"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 25, "output_tokens": 15}}),
        )
        .into_response();
    }
    let events = [
        ("message_start", json!({"type": "message_start", "message": {"id": "msg_fake", "usage": {"input_tokens": 25, "output_tokens": 1}}})),
        ("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}})),
        ("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 15}})),
        ("message_stop", json!({"type": "message_stop"})),
    ]
    .map(|(name, data)| Ok::<_, std::io::Error>(format!("event: {name}\ndata: {data}\n\n")));
    axum::response::Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(futures::stream::iter(events)))
        .unwrap()
}

use futures::StreamExt;

/// Starts the fake provider (both APIs); answers it and the Tollgate in front of it.
async fn gateway_app(pool: PgPool, pace: Duration) -> (TestApp, Provider) {
    let (provider, upstreams) = start_provider(pace).await;
    (in_front_of(pool, &upstreams).await, provider)
}

/// The fake provider on a port of its own, and the settings that send a Tollgate's gateway to it.
async fn start_provider(pace: Duration) -> (Provider, Vec<(&'static str, String)>) {
    let provider = Provider { pace, ..Provider::default() };
    let router = Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/messages", post(messages))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let upstreams = vec![
        ("TOLLGATE_UPSTREAM_OPENAI_URL", format!("{root}/v1")),
        ("TOLLGATE_UPSTREAM_OPENAI_KEY", "sk-provider-secret".to_string()),
        ("TOLLGATE_UPSTREAM_ANTHROPIC_URL", root),
        ("TOLLGATE_UPSTREAM_ANTHROPIC_KEY", "sk-anthropic-secret".to_string()),
    ];
    (provider, upstreams)
}

/// A Tollgate (one server) whose gateway forwards to `upstreams`.
async fn in_front_of(pool: PgPool, upstreams: &[(&'static str, String)]) -> TestApp {
    let settings: Vec<(&str, &str)> = upstreams.iter().map(|(name, value)| (*name, value.as_str())).collect();
    spawn_app_with(pool, &settings).await
}

/// An Anthropic messages call with the spend key in `x-api-key`, as Anthropic's SDK sends it.
async fn anthropic(app: &TestApp, a: &Agent, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/gateway/anthropic/v1/messages"))
        .header("x-api-key", &a.secret)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_anthropic_call_whole_or_streamed_is_charged_its_reported_usage(pool: PgPool) {
    let (app, provider) = gateway_app(pool, Duration::ZERO).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let ask = |stream: bool| {
        json!({"model": "claude-haiku", "max_tokens": 200, "stream": stream,
                                    "messages": [{"role": "user", "content": "Hello"}]})
    };
    let res = anthropic(&app, &a, ask(false)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["content"][0]["text"], "Hi from the fake");
    let res = anthropic(&app, &a, ask(true)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("event: message_stop"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let calls = provider.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls
        .iter()
        .all(|(key, seen)| key.as_deref() == Some("sk-anthropic-secret") && seen["version"] == "2023-06-01"));
    assert_eq!(
        balance_of(&app.pool, a.account).await,
        dollars("1.00") - dollars("0.00008") * Decimal::from(2)
    );
    assert_eq!(held(&app, &a).await, "0.00");
    // Anthropic requires max_tokens; the bound is never guessed.
    let res = anthropic(&app, &a, json!({"model": "claude-haiku", "messages": []})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(provider.calls().len(), 2);
}

async fn chat(app: &TestApp, a: &Agent, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/gateway/openai/v1/chat/completions"))
        .bearer_auth(&a.secret)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn ask(extra: Value) -> Value {
    let mut body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 100});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

fn dollars(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

async fn held(app: &TestApp, a: &Agent) -> Value {
    api(app, "GET", "/v1/balance", &a.secret, None, None).await.1["held"].clone()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_call_is_forwarded_with_the_providers_key_and_charged_its_reported_usage_exactly(pool: PgPool) {
    let (app, provider) = gateway_app(pool, Duration::ZERO).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let res = chat(&app, &a, ask(json!({}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"], "Hi from the fake",
        "passed on as the provider sent it"
    );
    let calls = provider.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].0.as_deref(),
        Some("Bearer sk-provider-secret"),
        "the provider's key, never the spend key"
    );
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00") - dollars(CALL_COST));
    assert_eq!(held(&app, &a).await, "0.00", "the rest of the hold went back");
    let (_, list) = api(&app, "GET", "/v1/requests", &a.secret, None, None).await;
    assert_eq!(
        (list["data"][0]["model"].as_str(), list["data"][0]["cost"]["total"].as_str()),
        (Some("gpt-4o-mini"), Some(CALL_COST))
    );
    assert_eq!(list["data"][0]["via"], "gateway");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_call_the_wallet_cant_hold_is_refused_with_402_and_never_reaches_the_provider(pool: PgPool) {
    let (app, provider) = gateway_app(pool, Duration::ZERO).await;
    // 100 output tokens alone may cost $0.00006: more than the wallet has.
    let a = agent(&app, "a@example.test", "0.00005", settings("", &[], false)).await;
    let res = chat(&app, &a, ask(json!({}))).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "Insufficient wallet balance", "code": 402})
    );
    assert!(provider.calls().is_empty(), "the provider saw nothing");
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("0.00005"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_provider_error_is_passed_on_and_charges_nothing(pool: PgPool) {
    let (app, _provider) = gateway_app(pool, Duration::ZERO).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let res =
        chat(&app, &a, json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "fail"}]}))
            .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["message"], "upstream broke");
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00"));
    assert_eq!(held(&app, &a).await, "0.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stream_passes_through_and_is_charged_its_usage_which_the_client_sees_only_if_it_asked(
    pool: PgPool,
) {
    let (app, provider) = gateway_app(pool, Duration::ZERO).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    for asked in [false, true] {
        let extra = if asked {
            json!({"stream": true, "stream_options": {"include_usage": true}})
        } else {
            json!({"stream": true})
        };
        let res = chat(&app, &a, ask(extra)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let text = res.text().await.unwrap();
        assert!(text.contains("\" fake\"") && text.ends_with("data: [DONE]\n\n"), "{text}");
        assert_eq!(text.contains("prompt_tokens"), asked, "{text}");
    }
    // The gateway asked the provider for the usage either way.
    assert!(provider
        .calls()
        .iter()
        .all(|(_, body)| body.pointer("/stream_options/include_usage") == Some(&json!(true))));
    // Captured once the stream ended (the capture follows the last chunk by a moment).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        balance_of(&app.pool, a.account).await,
        dollars("1.00") - dollars(CALL_COST) * Decimal::from(2)
    );
    assert_eq!(held(&app, &a).await, "0.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_hanging_up_mid_stream_is_charged_what_the_provider_reports_once(pool: PgPool) {
    let (app, provider) = gateway_app(pool, Duration::from_millis(50)).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let mut res = chat(&app, &a, ask(json!({"stream": true}))).await;
    assert!(res.chunk().await.unwrap().is_some(), "the first words arrived");
    drop(res);
    // The provider's stream runs on for half a second; the gateway reads it to its end for the usage.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(provider.calls().len(), 1);
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00") - dollars(CALL_COST));
    assert_eq!(held(&app, &a).await, "0.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_hanging_up_before_a_whole_answer_is_charged_it_once_and_holds_nothing(pool: PgPool) {
    let (app, provider) = gateway_app(pool, Duration::from_millis(50)).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let gone = reqwest::Client::new()
        .post(app.url("/gateway/openai/v1/chat/completions"))
        .bearer_auth(&a.secret)
        .json(&ask(json!({})))
        .timeout(Duration::from_millis(150))
        .send()
        .await;
    assert!(gone.is_err_and(|err| err.is_timeout()), "the client gave up before the provider answered");
    // The provider answers after half a second, and the gateway charges what it reports.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(provider.calls().len(), 1);
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00") - dollars(CALL_COST));
    assert_eq!(held(&app, &a).await, "0.00", "no hold is left to expire");
}

#[sqlx::test(migrations = "../migrations")]
async fn sixty_four_whole_calls_at_once_on_one_wallet_are_each_captured_exactly(pool: PgPool) {
    // Answers a fifth of a second after the call: all 64 are in flight at once, and their captures meet on
    // the wallet's lock with more callers than the server has connections.
    let (app, provider) = gateway_app(pool, Duration::from_millis(20)).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let calls = (0..64).map(|_| {
        let (app, secret) = (app.clone_handle(), a.secret.clone());
        tokio::spawn(async move {
            let res = reqwest::Client::new()
                .post(app.url("/gateway/openai/v1/chat/completions"))
                .bearer_auth(&secret)
                .json(&ask(json!({})))
                .send()
                .await
                .unwrap();
            res.status()
        })
    });
    for status in futures::future::join_all(calls).await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    assert_eq!(provider.calls().len(), 64);
    assert_eq!(
        balance_of(&app.pool, a.account).await,
        dollars("1.00") - dollars(CALL_COST) * Decimal::from(64)
    );
    assert_eq!(held(&app, &a).await, "0.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn sixty_four_calls_at_once_on_two_servers_never_overspend_and_refused_ones_reach_no_provider(
    pool: PgPool,
) {
    let (provider, upstreams) = start_provider(Duration::from_millis(20)).await;
    let app = in_front_of(pool.clone(), &upstreams).await;
    let other_server = in_front_of(pool, &upstreams).await;
    // Each call holds about $0.000618 (its ~120 bytes of input and 1000 output tokens): $0.005 holds 8 at once.
    let a = agent(&app, "a@example.test", "0.005", settings("", &[], false)).await;
    let calls = (0..64).map(|i| {
        let server = if i % 2 == 0 { &app } else { &other_server };
        let (app, secret) = (server.clone_handle(), a.secret.clone());
        tokio::spawn(async move {
            let body = ask(json!({"max_tokens": 1000, "stream": true}));
            let res = reqwest::Client::new()
                .post(app.url("/gateway/openai/v1/chat/completions"))
                .bearer_auth(&secret)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let _ = res.text().await;
            status
        })
    });
    let statuses: Vec<StatusCode> =
        futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    assert!(
        statuses.iter().all(|s| [StatusCode::OK, StatusCode::PAYMENT_REQUIRED].contains(s)),
        "{statuses:?}"
    );
    let ran = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!((8..64).contains(&ran), "{ran} ran");
    assert_eq!(provider.calls().len(), ran, "refused calls reached no provider");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let balance = balance_of(&app.pool, a.account).await;
    assert_eq!(
        balance,
        dollars("0.005") - dollars(CALL_COST) * Decimal::from(ran as i64),
        "Σ charges = Σ reported usage"
    );
    assert!(balance >= Decimal::ZERO);
    assert_eq!(held(&app, &a).await, "0.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_gateway_refuses_bad_calls_and_lists_its_models(pool: PgPool) {
    let (app, provider) = gateway_app(pool, Duration::ZERO).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let exa_only = agent(&app, "b@example.test", "1.00", settings("", &["exa"], false)).await;
    for (body, status) in [
        (json!({"model": "gpt-nope", "messages": []}), StatusCode::BAD_REQUEST),
        (json!({"messages": []}), StatusCode::BAD_REQUEST),
        (json!({"model": "gpt-4o-mini"}), StatusCode::BAD_REQUEST),
        (json!({"model": "gpt-4o-mini", "messages": [], "max_tokens": -1}), StatusCode::BAD_REQUEST),
        (json!(["not", "an", "object"]), StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(chat(&app, &a, body.clone()).await.status(), status, "{body}");
    }
    assert_eq!(chat(&app, &exa_only, ask(json!({}))).await.status(), StatusCode::FORBIDDEN);
    let anonymous = reqwest::Client::new()
        .post(app.url("/gateway/openai/v1/chat/completions"))
        .json(&ask(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(provider.calls().is_empty());
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00"));
    let models: Value = reqwest::Client::new()
        .get(app.url("/gateway/openai/v1/models"))
        .bearer_auth(&a.secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "gpt-4o-mini");
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_provider_the_sandbox_upstream_speaks_anthropic_too(pool: PgPool) {
    let app = spawn_app(pool).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let body = json!({"model": "claude-haiku", "max_tokens": 50, "messages": [{"role": "user", "content": "Hi there"}]});
    let answer: Value = anthropic(&app, &a, body).await.json().await.unwrap();
    assert_eq!(answer["content"][0]["text"], "Sandbox reply to: Hi there");
    // "Hi there": 2 tokens + 4 of framing; 5 words back.
    assert_eq!(answer["usage"], json!({"input_tokens": 6, "output_tokens": 5}));
    let cost = dollars("0.80") * Decimal::from(6) / Decimal::from(1_000_000)
        + dollars("4.00") * Decimal::from(5) / Decimal::from(1_000_000);
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00") - cost);
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_provider_the_sandbox_upstream_answers_and_is_charged_its_usage(pool: PgPool) {
    let app = spawn_app(pool).await;
    // Signed up as a person would, so the usage page and its CSV can be read below.
    app.sign_up("a@example.test", "a-long-password").await;
    let account = crate::support::account_of(&app.pool, "a@example.test").await;
    crate::support::deposit(&app.pool, account, 1).await;
    let key = crate::support::owner_key(&app.pool, account, &settings("", &[], false)).await.unwrap();
    let a = Agent { account, secret: key.secret, key_id: key.key.id };
    let res = chat(&app, &a, ask(json!({}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "Sandbox reply to: Hello");
    // "Hello": 2 tokens + 4 of framing; 4 words back.
    assert_eq!(
        (answer["usage"]["prompt_tokens"].as_u64(), answer["usage"]["completion_tokens"].as_u64()),
        (Some(6), Some(4))
    );
    let cost = dollars("0.15") * Decimal::from(6) / Decimal::from(1_000_000)
        + dollars("0.60") * Decimal::from(4) / Decimal::from(1_000_000);
    assert_eq!(balance_of(&app.pool, a.account).await, dollars("1.00") - cost);
    // The person sees it on the usage page and in its CSV like any other call, with how it came.
    let csv = app.get("/dashboard/usage/export.csv").await.text().await.unwrap();
    let row: Vec<&str> = csv.lines().find(|l| l.starts_with("request,")).unwrap().split(',').collect();
    assert_eq!((row[5], row[14]), ("gpt-4o-mini", "gateway"), "{row:?}");
    let page = app.get(&format!("/dashboard/usage?request={}", row[2])).await.text().await.unwrap();
    assert!(page.contains("Gateway (run by Tollgate)"), "the call's detail says how it came");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_server_killed_between_hold_and_capture_charges_nothing_and_its_hold_expires(pool: PgPool) {
    // The provider streams slowly; the server is killed (SIGKILL) while the call is in flight.
    let provider = Provider { pace: Duration::from_millis(200), ..Provider::default() };
    let router = Router::new().route("/v1/chat/completions", post(completions)).with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let db = crate::support::database_url_of(&pool);
    let upstream_settings =
        [("TOLLGATE_UPSTREAM_OPENAI_URL", upstream.as_str()), ("TOLLGATE_UPSTREAM_OPENAI_KEY", "sk-test")];
    let app = spawn_app(pool.clone()).await;
    let a = agent(&app, "a@example.test", "1.00", settings("", &[], false)).await;
    let mut doomed = crate::support::ServerProcess::start(&db, &upstream_settings).await;
    let mut res = reqwest::Client::new()
        .post(format!("{}/gateway/openai/v1/chat/completions", doomed.base))
        .bearer_auth(&a.secret)
        .json(&ask(json!({"stream": true})))
        .send()
        .await
        .unwrap();
    assert!(res.chunk().await.unwrap().is_some(), "the call is under way");
    doomed.child.kill().expect("SIGKILL");
    let _ = doomed.child.wait();
    // Another server comes up on the same database: nothing was charged, the money stays held until the
    // hold's time runs out, and then it is free again, with nothing charged twice.
    drop(crate::support::ServerProcess::start(&db, &upstream_settings).await);
    assert_eq!(balance_of(&pool, a.account).await, dollars("1.00"));
    assert_ne!(held(&app, &a).await, "0.00", "held until it expires");
    sqlx::query("UPDATE holds SET expires_at = now() WHERE account_id = $1")
        .bind(a.account)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(held(&app, &a).await, "0.00", "free from the instant it expires");
    assert_eq!(tollgate_core::metering::holds::expire_due(&pool).await.unwrap(), 1);
    assert_eq!(balance_of(&pool, a.account).await, dollars("1.00"));
    let (_, list) = api(&app, "GET", "/v1/requests", &a.secret, None, None).await;
    assert_eq!(list["data"], json!([]), "no call was recorded");
}
