//! The back office over HTTP (docs/CONTRACT.md "Back office"): not found for anyone but staff, finding an
//! account, its file, and the actions each role may take — with a reason, in both logs, bad input writing
//! nothing.

use crate::support::{account_of, location, spawn_app, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use tollgate_core::staff;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::staff::StaffRole;
use uuid::Uuid;

/// A person signed up on their own browser, made staff with `role` (`None`: not staff).
async fn person(pool: &PgPool, email: &str, role: Option<StaffRole>) -> TestApp {
    let app = spawn_app(pool.clone()).await;
    app.sign_up(email, "correct-horse-1").await;
    if let Some(role) = role {
        staff::add(pool, &Email::parse(email).unwrap(), role, staff::COMMAND_LINE).await.unwrap();
    }
    app
}

async fn key(pool: &PgPool, account: Uuid, name: &str) -> Uuid {
    let settings = tollgate_domain::keys::settings::KeySettings::parse(name, "", "", &[], false, "").unwrap();
    crate::support::owner_key(pool, account, &settings).await.unwrap().key.id
}

async fn body(app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = app.get(path).await;
    (res.status(), res.text().await.unwrap())
}

async fn promotional(pool: &PgPool, account: Uuid) -> rust_decimal::Decimal {
    sqlx::query_scalar("SELECT promotional FROM wallets WHERE account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn log_rows(pool: &PgPool) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT actor, action, reason FROM staff_log WHERE action <> 'staff.added' ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn everything_under_admin_answers_as_a_missing_page_to_anyone_but_staff(pool: PgPool) {
    let customer = person(&pool, "customer@example.test", None).await;
    let account = account_of(&pool, "customer@example.test").await;
    let signed_out = spawn_app(pool.clone()).await;
    let (missing_status, missing) = body(&signed_out, "/no/such/page").await;
    assert_eq!(missing_status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Page not found"));
    let (missing_fn, _) = signed_out.call("/api/no-such-function", &[]).await;
    for app in [&signed_out, &customer] {
        for path in ["/admin", "/admin/", "/admin/log", &format!("/admin/accounts/{account}"), "/admin/x?q=1"]
        {
            let (status, page) = body(app, path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(page.contains("Page not found"), "{path}");
            assert!(!page.contains("Find account") && !page.contains("back office"), "{path}");
        }
        for endpoint in ["/api/admin/find", "/api/admin/account", "/api/admin/grant", "/api/admin/me"] {
            let (status, answer) = app.call(endpoint, &[("query", "customer@example.test")]).await;
            assert_eq!(status, missing_fn, "{endpoint}");
            assert!(!answer.to_string().contains("customer@example.test"), "{endpoint}");
        }
    }
    // Staff see it; a person removed from the staff loses it at once.
    let ana = person(&pool, "ana@example.test", Some(StaffRole::Support)).await;
    let (status, page) = body(&ana, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Find account") && page.contains("ana@example.test · Support"));
    staff::remove(&pool, &Email::parse("ana@example.test").unwrap(), "test").await.unwrap();
    assert_eq!(body(&ana, "/admin").await.0, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn find_account_by_email_account_id_key_prefix_or_payment_id(pool: PgPool) {
    let customer = person(&pool, "Found@Example.test", None).await;
    let account = account_of(&pool, "found@example.test").await;
    let created = key(&pool, account, "ci").await;
    let prefix: String = sqlx::query_scalar("SELECT display_prefix FROM spend_keys WHERE id = $1")
        .bind(created)
        .fetch_one(&pool)
        .await
        .unwrap();
    let (_, draft) = customer.call("/api/wallet/add-funds", &crate::support::NEW_CARD_FORM).await;
    let payment_id = draft["id"].as_str().unwrap().to_string();
    let bo = person(&pool, "bo@example.test", Some(StaffRole::Finance)).await;
    for query in ["found@example.test", " FOUND@example.test ", &account.to_string(), &prefix, &payment_id] {
        let (status, hits) = bo.call("/api/admin/find", &[("query", query)]).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let ids: Vec<&str> =
            hits.as_array().unwrap().iter().map(|h| h["account_id"].as_str().unwrap()).collect();
        assert_eq!(ids, [account.to_string()], "{query}");
        assert_eq!(hits[0]["people"][0], "found@example.test");
    }
    for query in
        ["nobody@example.test", "", "tg_sk_", &Uuid::new_v4().to_string(), "' OR 1=1 --", "ＦＯＵＮＤ"]
    {
        let (status, hits) = bo.call("/api/admin/find", &[("query", query)]).await;
        assert_eq!((status, hits), (StatusCode::OK, Value::Array(vec![])), "{query}");
    }
    // Without JavaScript: the GET form's page lists the account with a link to its file.
    let (_, page) = body(&bo, "/admin?q=found%40example.test").await;
    assert!(page.contains(&format!("/admin/accounts/{account}")));
    let (status, page) = body(&bo, &format!("/admin/accounts/{account}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("found@example.test") && page.contains("Deposits and failed attempts"), "{page}");
}

#[sqlx::test(migrations = "../migrations")]
async fn support_grants_promotional_credit_up_to_its_limit_with_a_reason_in_both_logs(pool: PgPool) {
    person(&pool, "customer@example.test", None).await;
    let account = account_of(&pool, "customer@example.test").await;
    let ana = person(&pool, "ana@example.test", Some(StaffRole::Support)).await;
    let id = account.to_string();
    let grant = |amount: &'static str, expires_on: String, reason: &'static str| {
        let (ana, id) = (&ana, id.clone());
        async move {
            ana.call(
                "/api/admin/grant",
                &[("account_id", &id), ("amount", amount), ("expires_on", &expires_on), ("reason", reason)],
            )
            .await
        }
    };
    let in_a_month = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    let refused = [
        ("100.01", in_a_month.clone(), "sorry", "grant_over_role_limit"),
        ("0", in_a_month.clone(), "sorry", "grant_amount_invalid"),
        ("5.001", in_a_month.clone(), "sorry", "grant_amount_invalid"),
        ("five", in_a_month.clone(), "sorry", "grant_amount_invalid"),
        ("5.00", "2020-01-01".to_string(), "sorry", "grant_expiry_invalid"),
        ("5.00", "not a date".to_string(), "sorry", "grant_expiry_invalid"),
        ("5.00", in_a_month.clone(), "   ", "reason_required"),
    ];
    for (amount, expires_on, reason, code) in refused {
        let (status, answer) = grant(amount, expires_on, reason).await;
        assert_eq!((status, answer), (StatusCode::BAD_REQUEST, Value::from(code)), "{amount}");
    }
    let other = ana
        .call(
            "/api/admin/grant",
            &[
                ("account_id", &Uuid::new_v4().to_string()),
                ("amount", "5"),
                ("expires_on", &in_a_month),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(other, (StatusCode::NOT_FOUND, Value::from("not_found")));
    assert_eq!(promotional(&pool, account).await, rust_decimal::Decimal::ZERO, "nothing was granted");
    assert!(log_rows(&pool).await.is_empty());

    let (status, _) = grant("100.00", in_a_month.clone(), "Outage on Dec 6 — sorry").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(promotional(&pool, account).await, rust_decimal::Decimal::from(100));
    assert_eq!(
        log_rows(&pool).await,
        [(
            "ana@example.test".to_string(),
            "credit.granted".to_string(),
            Some("Outage on Dec 6 — sorry".to_string())
        )]
    );
    let audit: (String, String, String, Option<Uuid>) = sqlx::query_as(
        "SELECT action, channel, detail, actor_user_id FROM audit_events WHERE account_id = $1 AND channel = 'staff'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((audit.0.as_str(), audit.1.as_str()), ("promotional_credit_granted", "staff"));
    assert!(
        audit.2.starts_with("$100.00, expires ") && audit.2.ends_with("(reason: Outage on Dec 6 — sorry)")
    );
    // The account's file shows the grant and the audit row, "who" being the staff member.
    let (_, page) = body(&ana, &format!("/admin/accounts/{account}")).await;
    assert!(page.contains("Outage on Dec 6 — sorry") && page.contains("Tollgate staff"));
    let (_, page) = body(&ana, "/admin/log").await;
    assert!(page.contains("credit.granted") && page.contains("ana@example.test"));

    // Finance may not grant; support may not see a refund's power either (checked on the server).
    let bo = person(&pool, "bo@example.test", Some(StaffRole::Finance)).await;
    let (status, answer) = bo
        .call(
            "/api/admin/grant",
            &[("account_id", &id), ("amount", "5"), ("expires_on", &in_a_month), ("reason", "x")],
        )
        .await;
    assert_eq!((status, answer), (StatusCode::FORBIDDEN, Value::from("not_permitted")));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_grant_without_javascript_returns_to_the_account_and_an_error_comes_back_in_the_address(
    pool: PgPool,
) {
    person(&pool, "customer@example.test", None).await;
    let account = account_of(&pool, "customer@example.test").await;
    let admin = person(&pool, "root@example.test", Some(StaffRole::Admin)).await;
    let page = format!("/admin/accounts/{account}");
    let in_a_week = (chrono::Utc::now() + chrono::Duration::days(7)).format("%Y-%m-%d").to_string();
    let id = account.to_string();
    let fields = |amount: &'static str| {
        vec![
            ("account_id", id.clone()),
            ("amount", amount.to_string()),
            ("expires_on", in_a_week.clone()),
            ("reason", "goodwill".to_string()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let (admin, page) = (&admin, page.clone());
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post_form("/api/admin/grant", &page, &fields).await
        }
    };
    let res = post(fields("250.00")).await;
    assert!(res.status().is_redirection());
    assert_eq!(location(&res), format!("{page}?done=granted"), "admin may grant above support's limit");
    let res = post(fields("-3")).await;
    assert_eq!(location(&res), format!("{page}?error=grant_amount_invalid"));
    let (_, html) = body(&admin, &location(&res)).await;
    assert!(html.contains("Enter a promotional amount between $0.01 and $10,000.00, in whole cents"));
    assert_eq!(promotional(&pool, account).await, rust_decimal::Decimal::from(250));
}

#[sqlx::test(migrations = "../migrations")]
async fn support_pauses_a_key_with_a_reason_and_finance_may_not(pool: PgPool) {
    person(&pool, "customer@example.test", None).await;
    let account = account_of(&pool, "customer@example.test").await;
    let key = key(&pool, account, "leaky").await;
    let (account_id, key_id) = (account.to_string(), key.to_string());
    let pause = |app: &TestApp, reason: &'static str| {
        let (app, account_id, key_id) = (app.clone_handle(), account_id.clone(), key_id.clone());
        async move {
            app.call(
                "/api/admin/pause-key",
                &[("account_id", &account_id), ("key_id", &key_id), ("reason", reason)],
            )
            .await
        }
    };
    let bo = person(&pool, "bo@example.test", Some(StaffRole::Finance)).await;
    assert_eq!(pause(&bo, "leaked").await, (StatusCode::FORBIDDEN, Value::from("not_permitted")));
    let ana = person(&pool, "ana@example.test", Some(StaffRole::Support)).await;
    assert_eq!(pause(&ana, "").await, (StatusCode::BAD_REQUEST, Value::from("reason_required")));
    let status: String = sqlx::query_scalar("SELECT status FROM spend_keys WHERE id = $1")
        .bind(key)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "active");
    assert_eq!(pause(&ana, "Secret posted on a public forum").await.0, StatusCode::OK);
    assert_eq!(pause(&ana, "Secret posted on a public forum").await.0, StatusCode::OK, "twice is harmless");
    let status: String = sqlx::query_scalar("SELECT status FROM spend_keys WHERE id = $1")
        .bind(key)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "paused");
    let detail: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_events WHERE account_id = $1 AND channel = 'staff'")
            .bind(account)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(detail, ["Key \"leaky\" (reason: Secret posted on a public forum)"]);
    assert_eq!(log_rows(&pool).await.len(), 1, "logged once");
    // Another account's key through this account's id is not found, and changes nothing.
    let (status, _) = ana
        .call(
            "/api/admin/pause-key",
            &[("account_id", &Uuid::new_v4().to_string()), ("key_id", &key.to_string()), ("reason", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
