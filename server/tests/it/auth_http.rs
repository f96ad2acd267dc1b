//! Sign-up, log-in, log-out and the dashboard gate, over real HTTP against the real router and Postgres.

use crate::support::{location, session_cookie, spawn_app};
use reqwest::{header, StatusCode};
use sqlx::PgPool;

const PASSWORD: &str = "correct-horse-battery";

#[sqlx::test(migrations = "../migrations")]
async fn sign_up_creates_account_wallet_and_session_then_shows_zero_balance(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app.sign_up("New.Person@Example.test", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/dashboard/wallet");
    let cookie = session_cookie(&res).expect("session cookie set");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    let page = app.get("/dashboard/wallet").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-testid="balance">$0.00<"#), "balance missing in {html}");
    assert!(html.contains("new.person@example.test"));

    let (wallets, members): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM wallets), (SELECT count(*) FROM memberships WHERE role = 'owner')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((wallets, members), (1, 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_taken_email_is_refused_whatever_its_case(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("taken@example.test", PASSWORD).await;
    let again = crate::support::browser_like_client();
    let res = again
        .post(app.url("/api/signup"))
        .header(header::ORIGIN, &app.base)
        .header(header::REFERER, app.url("/signup"))
        .header(header::ACCEPT, "text/html")
        .form(&[("email", "TAKEN@example.test"), ("password", PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/signup?error=email_taken");
    assert_eq!(app.user_count().await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_sign_up_input_gets_its_message_code_and_writes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let huge_email = format!("{}@example.test", "a".repeat(10_000));
    let huge_password = "p".repeat(5_000);
    let cases: [(&str, &str, &str); 5] = [
        ("short@example.test", "123456789", "password_too_short"),
        ("short@example.test", "ééééééééé", "password_too_short"),
        ("not-an-email", PASSWORD, "invalid_email"),
        (&huge_email, PASSWORD, "invalid_email"),
        ("huge@example.test", &huge_password, "password_too_long"),
    ];
    for (email, password, code) in cases {
        let res = app.sign_up(email, password).await;
        assert_eq!(location(&res), format!("/signup?error={code}"), "{email:.20} / {password:.12}");
    }
    assert_eq!(app.user_count().await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn unicode_passwords_work(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("unicode@example.test", "пароль-🔒-安全です").await;
    let fresh = spawn_app(app.pool.clone()).await;
    let res = fresh.log_in("unicode@example.test", "пароль-🔒-安全です").await;
    assert_eq!(location(&res), "/dashboard/wallet");
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_password_and_unknown_email_get_the_same_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("known@example.test", PASSWORD).await;
    let wrong = spawn_app(app.pool.clone()).await.log_in("known@example.test", "wrong-password").await;
    let unknown = spawn_app(app.pool.clone()).await.log_in("nobody@example.test", "wrong-password").await;
    assert_eq!(wrong.status(), unknown.status());
    assert_eq!(location(&wrong), "/login?error=invalid_credentials");
    assert_eq!(location(&unknown), "/login?error=invalid_credentials");
    assert!(session_cookie(&wrong).is_none() && session_cookie(&unknown).is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn with_javascript_the_error_comes_back_in_the_response(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app
        .client
        .post(app.url("/api/login"))
        .header(header::ORIGIN, &app.base)
        .header(header::ACCEPT, "application/json")
        .form(&[("email", "x@example.test"), ("password", "whatever-123")])
        .send()
        .await
        .unwrap();
    // The error's own status (not a generic 500), so a tool can tell "wrong password" from "throttled".
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.text().await.unwrap(), r#""invalid_credentials""#);
}

#[sqlx::test(migrations = "../migrations")]
async fn login_keeps_next_and_error_on_the_way_back(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app
        .post_form(
            "/api/login",
            "/login?next=%2Fdashboard%2Fusage",
            &[("email", "a@b.test"), ("password", "nope-nope-nope"), ("next", "/dashboard/usage")],
        )
        .await;
    assert_eq!(location(&res), "/login?next=%2Fdashboard%2Fusage&error=invalid_credentials");
    app.sign_up("a@b.test", PASSWORD).await;
    let fresh = spawn_app(app.pool.clone()).await;
    let res = fresh
        .post_form(
            "/api/login",
            "/login",
            &[("email", "a@b.test"), ("password", PASSWORD), ("next", "/dashboard/usage")],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/usage");
    let offsite = spawn_app(app.pool.clone()).await;
    let res = offsite
        .post_form(
            "/api/login",
            "/login",
            &[("email", "a@b.test"), ("password", PASSWORD), ("next", "//evil.test/")],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/wallet");
}

#[sqlx::test(migrations = "../migrations")]
async fn signed_out_dashboard_visit_redirects_to_login_with_next(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (path, next) in [
        ("/dashboard/wallet", "%2Fdashboard%2Fwallet"),
        ("/dashboard/usage?since=2026-04-01", "%2Fdashboard%2Fusage%3Fsince%3D2026-04-01"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("/login?next={next}"));
    }
    // A server function that needs a session says so instead of answering with data.
    let res = app
        .client
        .post(app.url("/api/wallet/summary"))
        .header(header::ORIGIN, &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), r#""not_signed_in""#);
}

#[sqlx::test(migrations = "../migrations")]
async fn login_rotates_the_session_id_and_logout_ends_it_server_side(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = session_cookie(&app.sign_up("rotate@example.test", PASSWORD).await).unwrap();
    let second = session_cookie(&app.log_in("rotate@example.test", PASSWORD).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second), "login must issue a new session id");

    // The old id is worthless after login.
    let stale = crate::support::browser_like_client();
    let res =
        stale.get(app.url("/dashboard/wallet")).header(header::COOKIE, id(&first)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let res = app.post_form("/api/logout", "/dashboard/wallet", &[]).await;
    assert_eq!(location(&res), "/login");
    // A copy of the cookie taken before logout is worthless too: the session is gone from the store.
    let copy = crate::support::browser_like_client();
    let res =
        copy.get(app.url("/dashboard/wallet")).header(header::COOKIE, id(&second)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let sessions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session").fetch_one(&app.pool).await.unwrap();
    assert_eq!(sessions, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_session_is_signed_out(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("expire@example.test", PASSWORD).await;
    assert_eq!(app.get("/dashboard/wallet").await.status(), StatusCode::OK);
    sqlx::query("UPDATE tower_sessions.session SET expiry_date = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    let res = app.get("/dashboard/wallet").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=%2Fdashboard%2Fwallet");
}

#[sqlx::test(migrations = "../migrations")]
async fn cross_site_posts_are_refused_and_write_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let fields = [("email", "csrf@example.test"), ("password", PASSWORD), ("next", "")];
    let foreign = app
        .client
        .post(app.url("/api/signup"))
        .header(header::ORIGIN, "http://evil.test")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let foreign_referer = app
        .client
        .post(app.url("/api/signup"))
        .header(header::REFERER, "http://evil.test/page")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_referer.status(), StatusCode::FORBIDDEN);
    let anonymous = app.client.post(app.url("/api/signup")).form(&fields).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_count().await, 0);

    // Logged in, a foreign page can't log you out either.
    app.sign_up("csrf@example.test", PASSWORD).await;
    let res = app
        .client
        .post(app.url("/api/logout"))
        .header(header::ORIGIN, "http://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/dashboard/wallet").await.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn health_check_answers_when_the_database_does(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["database"], "ok");
}

/// Every server function — the ones that read as well as the forms — answers a person's mistake with the
/// error's own 4xx status and its code, and keeps 500 for our own failures (a monitor counts those).
#[sqlx::test(migrations = "../migrations")]
async fn server_functions_answer_a_persons_mistake_with_its_own_status(pool: PgPool) {
    let app = spawn_app(pool).await;
    let signed_out = app.call("/api/wallet/summary", &[]).await;
    assert_eq!(signed_out, (StatusCode::UNAUTHORIZED, serde_json::json!("not_signed_in")));

    app.sign_up("reader@example.test", PASSWORD).await;
    let someone_elses =
        app.call("/api/wallet/attempt", &[("id", "6f9619ff-8b86-d011-b42d-00c04fc964ff")]).await;
    assert_eq!(someone_elses, (StatusCode::NOT_FOUND, serde_json::json!("not_found")));
    let not_an_id = app.call("/api/wallet/attempt", &[("id", "🙂")]).await;
    assert_eq!(not_an_id, (StatusCode::BAD_REQUEST, serde_json::json!("invalid_request_body")));
    let wrong_amount = app.call("/api/wallet/low-balance-alert", &[("threshold", "12.345")]).await;
    assert_eq!(wrong_amount.0, StatusCode::BAD_REQUEST, "{wrong_amount:?}");
    let summary = app.call("/api/wallet/summary", &[]).await;
    assert_eq!(summary.0, StatusCode::OK);
}
