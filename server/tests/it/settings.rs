//! Account security on `/dashboard/settings` (docs/CONTRACT.md "Limits and account security"): a person who
//! fears someone else is signed in can end every other session, and a password change does that too.

use crate::support::{browser_like_client, location, spawn_app, TestApp};
use reqwest::{header, Client, StatusCode};
use sqlx::PgPool;

const EMAIL: &str = "owner@example.com";
const PASSWORD: &str = "first password 1";

/// Another browser logged in as the same person (its own cookies).
async fn another_browser(app: &TestApp, password: &str) -> Client {
    let client = browser_like_client();
    let res = client
        .post(app.url("/api/login"))
        .header(header::ORIGIN, &app.base)
        .header(header::REFERER, app.url("/login"))
        .header(header::ACCEPT, "text/html")
        .form(&[("email", EMAIL), ("password", password), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/dashboard/wallet", "logged in");
    client
}

/// Whether `client` still gets the wallet page (not sent to log in).
async fn still_signed_in(app: &TestApp, client: &Client) -> bool {
    let res = client.get(app.url("/dashboard/wallet")).send().await.unwrap();
    match res.status() {
        StatusCode::OK => true,
        StatusCode::FOUND | StatusCode::SEE_OTHER => {
            assert!(location(&res).starts_with("/login"), "{}", location(&res));
            false
        }
        other => panic!("unexpected {other}"),
    }
}

async fn page_text(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {}", text.chars().take(2000).collect::<String>());
    text
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_out_other_sessions_ends_every_other_browser_and_keeps_this_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up(EMAIL, PASSWORD).await;
    let laptop = another_browser(&app, PASSWORD).await;
    let phone = another_browser(&app, PASSWORD).await;
    let page = page_text(&app, "/dashboard/settings").await;
    for label in ["Current password", "New password", "Change password", "Sign out other sessions"] {
        assert!(page.contains(label), "the page has {label}");
    }
    assert!(page.contains(r#"href="/dashboard/settings""#), "the header links to Settings");

    let res = app.post_form("/api/settings/sign-out-others", "/dashboard/settings", &[]).await;
    assert_eq!(location(&res), "/dashboard/settings?signed_out=2");
    assert!(page_text(&app, "/dashboard/settings?signed_out=2")
        .await
        .contains("Signed out 2 other sessions."));
    assert!(!still_signed_in(&app, &laptop).await && !still_signed_in(&app, &phone).await);
    assert!(still_signed_in(&app, &app.client).await, "this browser stays signed in");

    let res = app.post_form("/api/settings/sign-out-others", "/dashboard/settings", &[]).await;
    assert_eq!(location(&res), "/dashboard/settings?signed_out=0", "nothing left to end");
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_sessions(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up(EMAIL, PASSWORD).await;
    let stolen = another_browser(&app, PASSWORD).await;
    let hash_before: String =
        sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&pool).await.unwrap();
    let change = |current: &'static str, new: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post_form(
                    "/api/settings/password",
                    "/dashboard/settings",
                    &[("current_password", current), ("new_password", new)],
                )
                .await;
            location(&res)
        }
    };

    // Wrong current password, or a new one that breaks the rule: a clear message and nothing written.
    assert_eq!(
        change("not my password", "second password 2").await,
        "/dashboard/settings?error=wrong_current_password"
    );
    assert!(page_text(&app, "/dashboard/settings?error=wrong_current_password")
        .await
        .contains("Your current password is not right"));
    assert_eq!(change(PASSWORD, "short").await, "/dashboard/settings?error=password_too_short");
    let hash_now: String =
        sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&pool).await.unwrap();
    assert_eq!(hash_now, hash_before, "nothing was written");
    assert!(still_signed_in(&app, &stolen).await, "nothing was ended either");

    assert_eq!(change(PASSWORD, "second password 2").await, "/dashboard/settings?done=password_changed");
    assert!(page_text(&app, "/dashboard/settings?done=password_changed")
        .await
        .contains("Password changed. Other sessions were signed out."));
    assert!(!still_signed_in(&app, &stolen).await, "the other session is over");
    assert!(still_signed_in(&app, &app.client).await, "the person who changed it stays in");

    // The old password opens nothing; the new one does.
    let res = app.log_in(EMAIL, PASSWORD).await;
    assert_eq!(location(&res), "/login?error=invalid_credentials");
    another_browser(&app, "second password 2").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn guessing_the_current_password_from_an_open_session_is_throttled_like_a_login(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up(EMAIL, PASSWORD).await;
    for _ in 0..5 {
        let (status, _) = app
            .call(
                "/api/settings/password",
                &[("current_password", "a guess 12345"), ("new_password", "taken over 123")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, body) = app
        .call("/api/settings/password", &[("current_password", PASSWORD), ("new_password", "taken over 123")])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["too_many_attempts"]["minutes"], 15);
}

#[sqlx::test(migrations = "../migrations")]
async fn settings_need_a_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app.get("/dashboard/settings").await;
    assert_eq!(location(&res), "/login?next=%2Fdashboard%2Fsettings");
    let (status, body) = app.call("/api/settings/sign-out-others", &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::UNAUTHORIZED, Some("not_signed_in")));
}

/// A session ends 30 days after its login however active it is; the maintenance job deletes it.
#[sqlx::test(migrations = "../migrations")]
async fn a_session_ends_thirty_days_after_login(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.sign_up(EMAIL, PASSWORD).await;
    assert!(still_signed_in(&app, &app.client).await);
    // The login, 31 days ago: the session's record of it (kept in the session) and its listing.
    let old =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM user_sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(old, 1);
    sqlx::query("UPDATE user_sessions SET created_at = now() - interval '31 days'")
        .execute(&pool)
        .await
        .unwrap();
    server::workers::maintenance::run_once(&pool).await.unwrap();
    assert!(!still_signed_in(&app, &app.client).await, "the 31-day-old session is gone");
    let left =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM user_sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0);
}
