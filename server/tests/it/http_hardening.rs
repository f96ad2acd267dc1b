//! The HTTP surface as a stranger meets it (docs/ARCHITECTURE.md "HTTP hardening"): security headers on
//! every answer, a script nonce used once, bounded bodies, no slow-header connection held open, per-key
//! rate limits, failed-authentication limits and bounded meter queues on `/v1`.

use crate::support::{location, spawn_app, spawn_app_serving, spawn_app_with, TestApp};
use reqwest::{header, StatusCode};
use sqlx::PgPool;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tollgate_domain::keys::settings::KeyForm;

/// The nonce a page's policy allows.
fn policy_nonce(res: &reqwest::Response) -> String {
    let policy = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    let start = policy.find("'nonce-").expect("a page's policy has a nonce") + 7;
    policy[start..].split('\'').next().unwrap().to_string()
}

/// Every inline `<script>` of a page carries `nonce`; scripts with `src` come from this site.
fn assert_scripts_allowed(html: &str, nonce: &str) {
    let mut inline = 0;
    for tag in html.split("<script").skip(1).map(|rest| &rest[..rest.find('>').unwrap()]) {
        if tag.contains("src=") {
            assert!(tag.contains("src=\"/"), "a script from elsewhere: {tag}");
        } else {
            inline += 1;
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "an inline script without the nonce: {tag}");
        }
    }
    assert!(inline > 0, "the island loader is an inline script");
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_carry_a_fresh_nonce_policy_and_every_answer_the_security_headers(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("owner@example.com", "a long password 1").await;
    let mut nonces = Vec::new();
    // The wallet page twice (the second comes from the page cache) and another page.
    for path in ["/dashboard/wallet", "/dashboard/wallet", "/dashboard/settings"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK);
        let policy = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        for directive in
            ["script-src 'self' 'nonce-", "'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"]
        {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("script-src 'self' 'unsafe-inline'"), "{policy}");
        // With the sandbox no card processor's script is allowed: nothing framed, no other origin.
        assert!(!policy.contains("frame-src") && !policy.contains("http"), "{path}: {policy}");
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(res.headers()[header::REFERRER_POLICY], "same-origin");
        assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert!(!res.headers().contains_key(header::STRICT_TRANSPORT_SECURITY), "plain http: no HSTS");
        let nonce = policy_nonce(&res);
        assert_scripts_allowed(&res.text().await.unwrap(), &nonce);
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a nonce is never sent twice, even for a kept page");

    // Answers that aren't pages let nothing run or frame them.
    for res in [app.get("/v1/wallet").await, app.get("/healthz").await] {
        let policy = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.starts_with("default-src 'none'") && policy.contains("frame-ancestors 'none'"));
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}

/// A page and one of the site's files fetched at the same moment each keep their own policy: the page its
/// script nonce, the file `default-src 'none'`. (Files once went through a Leptos handler that could take
/// the policy of a page rendering on the same thread; about 1 page in 20 went out unable to run or style.)
#[sqlx::test(migrations = "../migrations")]
async fn a_page_and_a_file_fetched_together_each_keep_their_own_policy(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("tollgate-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("probe.js"), "/* a site file */").unwrap();
    let app = spawn_app_serving(pool, &[], site.to_str().unwrap()).await;
    app.sign_up("csp@example.com", "a long password 1").await;
    let policy = |res: &reqwest::Response| {
        res.headers().get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_string()
    };
    // 150 rounds: the old fallback failed about 1 in 20, so it would pass all of them once in 2,000 runs.
    for round in 0..150 {
        let (page, file) = tokio::join!(app.get("/dashboard/keys"), app.get("/probe.js"));
        if (page.status(), file.status()) != (StatusCode::OK, StatusCode::OK) {
            let (page_status, file_status) = (page.status(), file.status());
            let (page_body, file_body) = (page.text().await.unwrap(), file.text().await.unwrap());
            panic!("round {round}: page {page_status} {page_body:.300}; file {file_status} {file_body:.300}");
        }
        assert!(policy(&page).contains("'nonce-"), "the page kept its policy: {}", policy(&page));
        assert!(policy(&file).starts_with("default-src 'none'"), "the file kept its own: {}", policy(&file));
    }
    std::fs::remove_dir_all(&site).unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn hsts_is_sent_when_the_site_is_served_over_https(pool: PgPool) {
    let app = spawn_app_with(pool, &[("TOLLGATE_PUBLIC_URL", "https://tollgate.example")]).await;
    let res = app.get("/login").await;
    assert_eq!(res.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
}

#[sqlx::test(migrations = "../migrations")]
async fn bodies_over_64_kb_are_refused_before_anything_is_written(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let huge = "x".repeat(100 * 1024);
    let res = app.sign_up(&format!("{huge}@example.com"), "a long password 1").await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.user_count().await, 0);
    let res = app
        .client
        .post(app.url("/v1/requests"))
        .bearer_auth("tg_sk_whatever")
        .header(header::CONTENT_TYPE, "application/json")
        .body(format!(r#"{{"service":"exa","model":"{huge}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_that_trickles_its_headers_is_cut_off(pool: PgPool) {
    let app = spawn_app_with(pool, &[("TOLLGATE_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut slow = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // …and never finishes. The server answers 408 or closes; either way within the timeout, not never.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A normal client is served as usual.
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
}

/// An idle connection is closed (`TOLLGATE_IDLE_CONNECTION_SECS`, 60 by default): HTTP/2 after its
/// preface, and HTTP/1.1 kept alive after an answer — long before the header timeout would.
#[sqlx::test(migrations = "../migrations")]
async fn an_idle_connection_is_closed(pool: PgPool) {
    let app = spawn_app_with(
        pool,
        &[("TOLLGATE_IDLE_CONNECTION_SECS", "1"), ("TOLLGATE_HEADER_READ_TIMEOUT_SECS", "30")],
    )
    .await;
    let address = app.base.trim_start_matches("http://").to_string();
    let mut h2 = tokio::net::TcpStream::connect(&address).await.unwrap();
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
    h2.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap(); // an empty SETTINGS frame
    let mut got = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(6), h2.read_to_end(&mut got)).await;
    assert!(closed.is_ok(), "an idle HTTP/2 connection was still open after 6 s");
    assert!(got.len() >= 9 && got[3] == 4, "the server spoke HTTP/2 first (SETTINGS): {got:?}");

    let mut h1 = tokio::net::TcpStream::connect(&address).await.unwrap();
    h1.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(6), h1.read_to_end(&mut answer)).await;
    assert!(closed.is_ok(), "an idle kept-alive HTTP/1.1 connection was still open after 6 s");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"), "it was answered first");
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
}

/// A key on the owner's account with `rate_limit` requests per minute.
async fn key_with_rate_limit(app: &TestApp, pool: &PgPool, rate_limit: &str) -> String {
    app.sign_up("agent-owner@example.com", "a long password 1").await;
    let account: uuid::Uuid =
        sqlx::query_scalar("SELECT account_id FROM memberships").fetch_one(pool).await.unwrap();
    let form = KeyForm { name: "agent".into(), rate_limit: rate_limit.into(), ..KeyForm::default() };
    crate::support::owner_key(pool, account, &form.settings().unwrap()).await.unwrap().secret
}

/// Free calls cost nothing, so a key without a rate limit of its own still makes at most 600 a minute (each
/// is a row); its paid calls are bounded by the balance and aren't counted.
#[sqlx::test(migrations = "../migrations")]
async fn free_calls_of_a_key_without_a_rate_limit_are_six_hundred_a_minute(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let secret = key_with_rate_limit(&app, &pool, "").await;
    let call = |service: &'static str, model: &'static str| {
        app.client
            .post(app.url("/v1/requests"))
            .bearer_auth(&secret)
            .json(&serde_json::json!({"service": service, "model": model}))
            .send()
    };
    assert_eq!(call("open-meteo", "forecast").await.unwrap().status(), StatusCode::CREATED);
    // 599 more of this minute's free calls made already.
    sqlx::query("UPDATE spend_key_minutes SET calls = calls + 599").execute(&pool).await.unwrap();
    let refused = call("open-meteo", "forecast").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        call("exa", "search").await.unwrap().status(),
        StatusCode::PAYMENT_REQUIRED,
        "a paid call isn't counted"
    );
    let free_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM requests WHERE service_id = 'open-meteo'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(free_rows, 1, "the refused free call wrote nothing");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_over_its_rate_limit_is_told_when_to_come_back(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let secret = key_with_rate_limit(&app, &pool, "5").await;
    let calls = (0..8).map(|_| app.client.get(app.url("/v1/wallet")).bearer_auth(&secret).send());
    let answers = futures::future::join_all(calls).await;
    let mut ok = 0;
    for res in answers {
        let res = res.unwrap();
        if res.status() == StatusCode::OK {
            ok += 1;
            continue;
        }
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = res.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait));
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"error": "Rate limit exceeded", "code": 429}));
    }
    // The minute may turn during the burst, which lets a few more through, never fewer.
    assert!((5..=8).contains(&ok), "{ok} of 8 answered");
    // The next minute starts afresh (here: this minute's count made a minute older).
    sqlx::query("UPDATE spend_key_minutes SET minute = minute - interval '1 minute'")
        .execute(&pool)
        .await
        .unwrap();
    let res = app.client.get(app.url("/v1/wallet")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_keys_page_sets_a_rate_limit_and_refuses_a_bad_one(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up("owner@example.com", "a long password 1").await;
    let page = app.get("/dashboard/keys").await.text().await.unwrap();
    assert!(
        page.contains(r#"<label for="key-rate-limit">Rate limit</label>"#) && page.contains(r#"value="600""#)
    );
    for bad in ["0", "1.5", "100001", "ten", "９"] {
        let res =
            app.post_form("/dashboard/keys", "/dashboard/keys", &[("name", "k"), ("rate_limit", bad)]).await;
        assert_eq!(location(&res), "/dashboard/keys?error=rate_limit_invalid", "{bad}");
    }
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM spend_keys").fetch_one(&pool).await.unwrap();
    assert_eq!(keys, 0, "a refused key is not made");
    app.post_form("/dashboard/keys", "/dashboard/keys", &[("name", "k"), ("rate_limit", "120")]).await;
    app.post_form("/dashboard/keys", "/dashboard/keys", &[("name", "unlimited"), ("rate_limit", "")]).await;
    let page = app.get("/dashboard/keys").await.text().await.unwrap();
    assert!(page.contains("120 requests per minute"));
    let limits: Vec<Option<i32>> =
        sqlx::query_scalar("SELECT rate_limit_per_minute FROM spend_keys ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(limits, vec![Some(120), None]);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_address_guessing_keys_is_refused_after_thirty_failures(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), &[("TOLLGATE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let guess = |ip: &'static str, i: usize| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/v1/wallet"))
                .header("x-forwarded-for", ip)
                .bearer_auth(format!("tg_sk_guess{i}"))
                .send()
                .await
                .unwrap()
        }
    };
    for i in 0..30 {
        assert_eq!(guess("203.0.113.50", i).await.status(), StatusCode::UNAUTHORIZED);
    }
    let res = guess("203.0.113.50", 30).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()[header::RETRY_AFTER], "60");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "Too many failed authentications", "code": 429}));
    // Another address, and a real key from the same address, are not held up.
    assert_eq!(guess("198.51.100.60", 0).await.status(), StatusCode::UNAUTHORIZED);
    let secret = key_with_rate_limit(&app, &pool, "").await;
    let res = app
        .client
        .get(app.url("/v1/wallet"))
        .header("x-forwarded-for", "203.0.113.50")
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_full_wallet_queue_answers_busy_and_charges_nothing_for_it(pool: PgPool) {
    use rust_decimal::Decimal;
    use tollgate_core::metering::charge::MeteredCall;
    use tollgate_core::metering::meter::Meter;
    let app = spawn_app(pool.clone()).await;
    let secret = key_with_rate_limit(&app, &pool, "").await;
    let account: uuid::Uuid =
        sqlx::query_scalar("SELECT account_id FROM memberships").fetch_one(&pool).await.unwrap();
    let key_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM spend_keys").fetch_one(&pool).await.unwrap();
    drop(secret);
    crate::support::deposit(&pool, account, 100).await;

    // A meter whose queues hold 4 calls, while the wallet's row is held by someone else: the first call is
    // taken into a batch (and waits on the row), 4 more wait in the queue, the rest are turned away.
    let meter = Meter::with_settings(pool.clone(), tollgate_core::metering::meter::DEFAULT_LANES, 4);
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM wallets WHERE account_id = $1 FOR UPDATE")
        .bind(account)
        .execute(&mut *holder)
        .await
        .unwrap();
    let price = tollgate_domain::catalog::pricing::Price {
        input_per_million: Decimal::ZERO,
        output_per_million: Decimal::ZERO,
        per_request: Decimal::new(5, 3),
    };
    let call = || MeteredCall {
        account_id: account,
        key_id,
        service: "exa".into(),
        model: "search".into(),
        usage: Default::default(),
        price,
        idempotency_key: None,
        reserved: None,
        via: tollgate_domain::metering::call::Via::Api,
    };
    let mut waiting = Vec::new();
    for _ in 0..5 {
        let meter = meter.clone();
        let call = call();
        waiting.push(tokio::spawn(async move { meter.charge(call).await }));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = meter.charge(call()).await;
    assert_eq!(refused.unwrap_err(), tollgate_domain::error::AppError::Busy);
    holder.rollback().await.unwrap();
    for call in waiting {
        call.await.unwrap().expect("a queued call is charged once the row is free");
    }
    let charged: i64 = sqlx::query_scalar("SELECT count(*) FROM requests").fetch_one(&pool).await.unwrap();
    assert_eq!(charged, 5, "the refused call left no record and cost nothing");
    let balance: Decimal = sqlx::query_scalar("SELECT balance FROM wallets").fetch_one(&pool).await.unwrap();
    assert_eq!(balance, Decimal::from(100) - Decimal::new(25, 3));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_http2_form_post_from_this_site_passes_the_origin_check_and_one_from_another_does_not(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |origin: String| {
        h2.post(app.url("/api/login"))
            .header(header::ORIGIN, origin)
            .header(header::ACCEPT, "application/json")
            .form(&[("email", "nobody@example.com"), ("password", "a long password 1")])
            .send()
    };
    let ours = post(app.base.clone()).await.unwrap();
    assert_eq!(ours.version(), reqwest::Version::HTTP_2);
    assert_eq!(ours.status(), StatusCode::UNAUTHORIZED, "checked as a login (no Host header: :authority)");
    let theirs = post("http://evil.example".into()).await.unwrap();
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_request_over_the_time_limit_gets_503_and_its_charge_is_settled_by_recovery(pool: PgPool) {
    use server::sandbox_processor::SandboxProcessor;
    use tollgate_core::payments::recovery;
    let app = spawn_app_with(
        pool.clone(),
        &[("TOLLGATE_REQUEST_TIMEOUT_SECS", "1"), ("TOLLGATE_SANDBOX_LATENCY_MS", "2500")],
    )
    .await;
    app.sign_up("slow@example.com", "a long password 1").await;
    let (status, draft) = app.call("/api/wallet/add-funds", &crate::support::NEW_CARD_FORM).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let started = std::time::Instant::now();
    let (status, _) = app.call("/api/wallet/confirm", &[("attempt_id", draft["id"].as_str().unwrap())]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "cut off at the time limit");
    assert!(started.elapsed() < Duration::from_secs(2));
    // The charge was cut off mid-way: the attempt is pending, and recovery settles it exactly once.
    let status: String =
        sqlx::query_scalar("SELECT status FROM payment_attempts").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "pending");
    let sandbox = SandboxProcessor::install(pool.clone(), Duration::ZERO).await.unwrap();
    assert_eq!(recovery::recover_pending(&pool, &sandbox, Duration::ZERO).await.unwrap(), 1);
    let (balance, charges): (rust_decimal::Decimal, i64) = sqlx::query_as(
        "SELECT (SELECT balance FROM wallets), (SELECT count(*) FROM sandbox_processor.charges)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((balance, charges), (rust_decimal::Decimal::from(25), 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn at_sigterm_in_flight_requests_get_the_shutdown_deadline_and_no_longer(pool: PgPool) {
    let url = crate::support::database_url_of(&pool);
    let mut server = crate::support::ServerProcess::start(
        &url,
        &[("TOLLGATE_SHUTDOWN_DEADLINE_SECS", "1"), ("TOLLGATE_SANDBOX_LATENCY_MS", "6000")],
    )
    .await;
    let client = crate::support::browser_like_client();
    let call = |path: &'static str, fields: Vec<(&'static str, String)>| {
        client
            .post(format!("{}{path}", server.base))
            .header(header::ORIGIN, &server.base)
            .header(header::ACCEPT, "application/json")
            .form(&fields)
            .send()
    };
    let email = ("email", "leaving@example.com".to_string());
    call("/api/signup", vec![email, ("password", "a long password 1".into())]).await.unwrap();
    let form = crate::support::NEW_CARD_FORM.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let draft: serde_json::Value = call("/api/wallet/add-funds", form).await.unwrap().json().await.unwrap();
    // A charge that takes 6 s is in flight when the server is told to stop.
    let id = draft["id"].as_str().expect("a draft").to_string();
    let in_flight = tokio::spawn(call("/api/wallet/confirm", vec![("attempt_id", id)]));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let stopped = std::time::Instant::now();
    let exited = tokio::task::spawn_blocking(move || (server.child.wait().unwrap(), server));
    let (status, _server) =
        tokio::time::timeout(Duration::from_secs(10), exited).await.expect("exited").unwrap();
    let took = stopped.elapsed();
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(3), "stopped after {took:?}");
    assert!(in_flight.await.unwrap().is_err(), "the cut-off request got no answer");
    // Its attempt is pending, for start-up recovery to settle (the crash test shows that part).
    let status: String =
        sqlx::query_scalar("SELECT status FROM payment_attempts").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "pending");
}

/// The `Idempotency-Key` the document describes (visible ASCII, words apart by spaces, 1–255) and no other:
/// schemathesis sent a tab inside one, and it was taken.
#[sqlx::test(migrations = "../migrations")]
async fn an_idempotency_key_outside_the_documented_pattern_is_refused(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let secret = key_with_rate_limit(&app, &pool, "").await;
    let call = |key: String| {
        app.client
            .post(app.url("/v1/requests"))
            .bearer_auth(&secret)
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({"service": "openai", "model": "gpt-4o-mini"}))
            .send()
    };
    for bad in ["a\tb".to_string(), "k".repeat(256)] {
        let res = call(bad.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
    }
    // A free model: the call is made whatever the balance.
    for good in ["a b".to_string(), "k".repeat(255), "~!".to_string()] {
        let res = call(good.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{good:?}");
    }
}

/// Only JSON's own whitespace makes an empty body (schemathesis sent a lone form feed, and it was taken).
#[sqlx::test(migrations = "../migrations")]
async fn a_body_of_non_json_whitespace_is_refused(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let secret = key_with_rate_limit(&app, &pool, "").await;
    sqlx::query("UPDATE spend_keys SET allow_funding = true").execute(&pool).await.unwrap();
    let fund = |body: &'static str| {
        app.client
            .post(app.url("/v1/wallet/fund"))
            .bearer_auth(&secret)
            .header("Idempotency-Key", "k")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    assert_eq!(fund("\u{c}").await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(fund(" \r\n\t").await.unwrap().status(), StatusCode::OK, "an empty body asks for the balance");
}

/// Static files whose address names their content are cached for a year; other files are revalidated;
/// pages and exports are never stored (docs/ARCHITECTURE.md "Static files and caching").
#[sqlx::test(migrations = "../migrations")]
async fn files_named_by_their_content_are_cached_for_good_and_pages_never(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("tollgate-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/tollgate.Ab12-Cd_34.wasm"), "wasm").unwrap();
    std::fs::write(site.join("pkg/tollgate.css"), "body {}").unwrap();
    std::fs::write(site.join("probe.js"), "/* a site file */").unwrap();
    let app = spawn_app_serving(pool, &[], site.to_str().unwrap()).await;
    app.sign_up("cache@example.com", "a long password 1").await;
    let cache_control = |res: &reqwest::Response| {
        (res.status(), res.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_string()))
    };
    let immutable = Some("public, max-age=31536000, immutable".to_string());
    let revalidate = Some("no-cache".to_string());
    let never = Some("no-store".to_string());
    assert_eq!(cache_control(&app.get("/pkg/tollgate.Ab12-Cd_34.wasm").await), (StatusCode::OK, immutable));
    assert_eq!(cache_control(&app.get("/pkg/tollgate.css").await), (StatusCode::OK, revalidate.clone()));
    assert_eq!(cache_control(&app.get("/probe.js").await), (StatusCode::OK, revalidate.clone()));
    // A version that isn't the file's (an old page during a release) is answered but not kept.
    assert_eq!(cache_control(&app.get("/probe.js?v=0123456789ab").await), (StatusCode::OK, revalidate));
    for page in ["/dashboard/wallet", "/login", "/dashboard/audit/export.csv", "/v1/openapi.json", "/nope.js"]
    {
        let res = app.get(page).await;
        assert_eq!(cache_control(&res).1, never, "{page}: {}", res.status());
    }
    std::fs::remove_dir_all(&site).unwrap();
}
