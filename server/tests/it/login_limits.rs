//! Login and sign-up throttling (docs/CONTRACT.md "Limits and account security"): a stranger guessing
//! passwords or making accounts in bulk is stopped after a few tries, from the database's counts, while
//! the person whose account it is can still log in from their own network.

use crate::support::{location, spawn_app_with, TestApp};
use reqwest::{header, StatusCode};
use sqlx::PgPool;

const PASSWORD: &str = "correct horse battery";

/// The app as deployed behind a proxy on this machine, so each test can speak for many client addresses.
async fn behind_proxy(pool: PgPool, settings: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("TOLLGATE_TRUSTED_PROXIES", "127.0.0.1")];
    all.extend_from_slice(settings);
    spawn_app_with(pool, &all).await
}

/// A plain form post to `/api/login` from the login page (JavaScript off) by the client at `ip`.
async fn log_in_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/login"))
        .header("x-forwarded-for", ip)
        .header(header::ORIGIN, &app.base)
        .header(header::REFERER, app.url("/login"))
        .header(header::ACCEPT, "text/html")
        .form(&[("email", email), ("password", password), ("next", "")])
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn five_wrong_passwords_block_that_email_from_that_address_even_for_the_right_one(pool: PgPool) {
    let app = behind_proxy(pool, &[]).await;
    app.sign_up("owner@example.com", PASSWORD).await;
    let guesser = "203.0.113.7";
    for _ in 0..5 {
        let res = log_in_from(&app, guesser, "owner@example.com", "wrong guess 123").await;
        assert_eq!(location(&res), "/login?error=invalid_credentials");
    }
    let res = log_in_from(&app, guesser, "Owner@Example.com ", PASSWORD).await;
    assert_eq!(location(&res), "/login?error=too_many_attempts&wait=15", "the right password is refused too");
    assert!(crate::support::session_cookie(&res).is_none(), "no session while blocked");

    // The page it lands on says so, with the status a tool can read.
    let page = app.get("/login?error=too_many_attempts&wait=15").await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().await.unwrap().contains("Too many attempts. Try again in 15 minutes."));

    // A JSON caller gets 429 and the wait too.
    let (status, body) =
        app.call_from(guesser, "/api/login", &[("email", "owner@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["too_many_attempts"]["minutes"], 15);

    // The owner, at home, is not locked out by a stranger's guesses, and other emails from the guesser's
    // address are not blocked either.
    let res = log_in_from(&app, "198.51.100.20", "owner@example.com", PASSWORD).await;
    assert_eq!(location(&res), "/dashboard/wallet");
    let res = log_in_from(&app, guesser, "someone-else@example.com", "whatever 12345").await;
    assert_eq!(location(&res), "/login?error=invalid_credentials");
}

#[sqlx::test(migrations = "../migrations")]
async fn guesses_fired_at_once_are_counted_like_guesses_made_one_by_one(pool: PgPool) {
    let app = behind_proxy(pool, &[]).await;
    app.sign_up("owner@example.com", PASSWORD).await;
    let guesses = (0..12).map(|i| {
        let app = &app;
        async move {
            app.call_from(
                "203.0.113.9",
                "/api/login",
                &[("email", "owner@example.com"), ("password", &format!("guess number {i}"))],
            )
            .await
            .0
        }
    });
    // While those guesses wait for their password checks (one per core at a time), the right password
    // comes in from the same address: the 5 failures it could still be are taken, so it is refused too.
    let right_one = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        app.call_from("203.0.113.9", "/api/login", &[("email", "owner@example.com"), ("password", PASSWORD)])
            .await
            .0
    };
    let (statuses, right_one) = tokio::join!(futures::future::join_all(guesses), right_one);
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (5, 7), "exactly 5 passwords were checked: {statuses:?}");
    assert_eq!(right_one, StatusCode::TOO_MANY_REQUESTS, "a 13th try in the same burst is never checked");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_correct_login_does_not_count_as_a_failure(pool: PgPool) {
    let app = behind_proxy(pool, &[]).await;
    app.sign_up("owner@example.com", PASSWORD).await;
    for _ in 0..4 {
        log_in_from(&app, "203.0.113.10", "owner@example.com", "typo in it 123").await;
    }
    for _ in 0..3 {
        let res = log_in_from(&app, "203.0.113.10", "owner@example.com", PASSWORD).await;
        assert_eq!(location(&res), "/dashboard/wallet", "4 typos and right logins: still welcome");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn twenty_login_attempts_a_minute_from_one_address_are_the_most(pool: PgPool) {
    let app = behind_proxy(pool.clone(), &[]).await;
    let sprayer = "203.0.113.11";
    for i in 0..20 {
        let res = log_in_from(&app, sprayer, &format!("user{i}@example.com"), "password 1234").await;
        assert_eq!(location(&res), "/login?error=invalid_credentials", "attempt {i}");
    }
    let res = log_in_from(&app, sprayer, "user20@example.com", "password 1234").await;
    assert_eq!(location(&res), "/login?error=too_many_attempts&wait=1");
    // A minute later (here: the block and the attempts made a minute older) the address may try again.
    sqlx::query("UPDATE throttle_blocks SET until = until - interval '61 seconds'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE throttle_events SET at = at - interval '61 seconds'").execute(&pool).await.unwrap();
    let res = log_in_from(&app, sprayer, "user21@example.com", "password 1234").await;
    assert_eq!(location(&res), "/login?error=invalid_credentials");
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_ups_from_one_address_are_capped_per_hour(pool: PgPool) {
    let app = behind_proxy(pool, &[("TOLLGATE_SIGNUPS_PER_IP_HOUR", "3")]).await;
    let sign_up_from = |ip: &'static str, email: String| {
        let app = &app;
        async move { app.call_from(ip, "/api/signup", &[("email", &email), ("password", PASSWORD)]).await }
    };
    for i in 0..3 {
        let (status, _) = sign_up_from("203.0.113.12", format!("bulk{i}@example.com")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = sign_up_from("203.0.113.12", "bulk3@example.com".into()).await;
    assert_eq!((status, body.as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_signups")));
    assert_eq!(app.user_count().await, 3, "the refused sign-up made no account");
    let (status, _) = sign_up_from("198.51.100.30", "neighbour@example.com".into()).await;
    assert_eq!(status, StatusCode::OK, "another network may still sign up");

    // Without JavaScript the sign-up page says it, answering 429.
    let res = app
        .client
        .post(app.url("/api/signup"))
        .header("x-forwarded-for", "203.0.113.12")
        .header(header::ORIGIN, &app.base)
        .header(header::REFERER, app.url("/signup"))
        .header(header::ACCEPT, "text/html")
        .form(&[("email", "bulk4@example.com"), ("password", PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/signup?error=too_many_signups");
    let page = app.get("/signup?error=too_many_signups").await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().await.unwrap().contains("Too many sign-ups from your network. Try again later."));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_login_with_a_nul_in_the_email_is_refused_like_any_wrong_one(pool: PgPool) {
    let app = behind_proxy(pool, &[]).await;
    let res = log_in_from(&app, "203.0.113.13", "a\u{0}b@example.com", "whatever 12345").await;
    assert_eq!(location(&res), "/login?error=invalid_credentials");
}
