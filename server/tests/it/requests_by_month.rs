//! `requests` is partitioned by month of `created_at` (migration requests_by_month, docs/SCALING.md
//! "Step 2"). These tests hold the partitioning to its promise: each call lands in its month's partition
//! (a call no month was made for, in the default one), every way of reading calls reads across months as
//! before, idempotency keys replay and are forgotten as before, the maintenance job makes the coming
//! months, and the migration moves existing calls over unchanged.

use crate::support::{deposit, migration_files, run_migration_files, spawn_app};
use crate::usage::signed_up_with_key;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use tollgate_core::catalog::db as catalog;
use tollgate_core::metering::past_calls::{record_past_call, PastCall};
use tollgate_domain::catalog::pricing::Usage;
use uuid::Uuid;

/// Where each of the account's calls is stored, and the partition its month's name says it belongs in.
async fn partitions_of(pool: &PgPool, account: Uuid) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT tableoid::regclass::text, to_char(created_at AT TIME ZONE 'UTC', '\"requests_p\"YYYY\"_\"MM')
           FROM requests WHERE account_id = $1 ORDER BY created_at",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn post_call(
    app: &crate::support::TestApp,
    secret: &str,
    idempotency_key: &str,
) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url("/v1/requests"))
        .bearer_auth(secret)
        .header("Idempotency-Key", idempotency_key)
        .json(&json!({"service": "exa", "model": "search"}))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn calls_land_in_their_months_and_read_back_across_them_as_one_list(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (account, created) = signed_up_with_key(&app, "months@example.test").await;
    deposit(&app.pool, account, 20).await;
    // 31 days apart is always another month: three months, the oldest within the three the migration made
    // back from today, and one call 400 days back, older than any month made.
    let now = Utc::now();
    let times: Vec<DateTime<Utc>> =
        [400, 62, 31, 0].iter().map(|days| now - Duration::days(*days) - Duration::minutes(5)).collect();
    let price = catalog::price(&app.pool, "exa", "search").await.unwrap().unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    for at in &times {
        let call =
            PastCall { at: *at, service: "exa", model: "search", usage: Usage::new(0, 0).unwrap(), price };
        record_past_call(&mut tx, account, created.key.id, &call).await.unwrap();
    }
    tx.commit().await.unwrap();

    let stored = partitions_of(&app.pool, account).await;
    assert_eq!(stored.len(), 4);
    assert_eq!(stored[0].0, "requests_default", "400 days back: no month was made for it");
    for (partition, month) in &stored[1..] {
        assert_eq!(partition, month, "a call is stored in its own month's partition");
    }
    let months: std::collections::BTreeSet<_> = stored.iter().map(|(p, _)| p).collect();
    assert_eq!(months.len(), 4, "four partitions: three months and the default");

    // The API's list pages across the months, newest first, two at a time.
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let res = reqwest::Client::new()
            .get(app.url(&format!("/v1/requests?limit=2&cursor={cursor}")))
            .bearer_auth(&created.secret)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        listed.extend(
            page["data"].as_array().unwrap().iter().map(|c| c["created_at"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    let expected: Vec<String> =
        times.iter().rev().map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)).collect();
    assert_eq!(listed.len(), 4);
    for (got, want) in listed.iter().zip(&expected) {
        assert_eq!(
            DateTime::parse_from_rfc3339(got).unwrap(),
            DateTime::parse_from_rfc3339(want).unwrap(),
            "newest first across months"
        );
    }

    // The CSV export of its longest range (a year and a day) has the three calls of the last months.
    let today = Utc::now().date_naive();
    let csv = app
        .get(&format!("/dashboard/usage/export.csv?since={}&until={today}", today - Duration::days(365)))
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().filter(|l| l.starts_with("request,")).count(), 3, "{csv}");

    // A call's detail is found by its id alone, whichever month holds it.
    let oldest: Uuid =
        sqlx::query_scalar("SELECT id FROM requests WHERE account_id = $1 ORDER BY created_at LIMIT 1")
            .bind(account)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let detail = tollgate_core::reads::usage::request_detail(&app.pool, account, oldest).await.unwrap();
    assert_eq!(detail.call.request_id, oldest);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_idempotency_key_replays_its_call_for_a_day_then_makes_a_new_one(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (account, created) = signed_up_with_key(&app, "replay@example.test").await;
    deposit(&app.pool, account, 1).await;

    let (status, first) = post_call(&app, &created.secret, "nightly-1").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["request_id"].is_string(), "{first}");
    let (status, again) = post_call(&app, &created.secret, "nightly-1").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["request_id"], first["request_id"], "the same key replays the same call");
    assert_eq!(again["balance_after"], first["balance_after"], "and charges nothing more");

    // The key is kept by the maintenance pass while younger than a day …
    server::workers::maintenance::run_once(&pool).await.unwrap();
    assert_eq!(post_call(&app, &created.secret, "nightly-1").await.1["request_id"], first["request_id"]);
    // … and forgotten after: the record is made a day older (its call stays where it is).
    sqlx::query(
        "UPDATE request_idempotency SET created_at = created_at - interval '25 hours' WHERE account_id = $1",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    assert!(server::workers::maintenance::run_once(&pool).await.unwrap() >= 1);
    let (status, later) = post_call(&app, &created.secret, "nightly-1").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(later["request_id"], first["request_id"], "a forgotten key makes a new call");
    let calls: i64 = sqlx::query_scalar("SELECT count(*) FROM requests WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(calls, 2);
    let remembered: Vec<Uuid> =
        sqlx::query_scalar("SELECT request_id FROM request_idempotency WHERE account_id = $1")
            .bind(account)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(remembered, vec![later["request_id"].as_str().unwrap().parse::<Uuid>().unwrap()]);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_maintenance_job_keeps_three_months_made_ahead(pool: PgPool) {
    let furthest = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', '\"requests_p\"YYYY\"_\"MM')",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let name = furthest(pool.clone()).await;
    let exists = |pool: PgPool, name: String| async move {
        sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert!(exists(pool.clone(), name.clone()).await, "the migration made {name}");
    sqlx::query(&format!("DROP TABLE {name}")).execute(&pool).await.unwrap();
    assert!(!exists(pool.clone(), name.clone()).await);
    tollgate_core::metering::partitions::make_coming_months(&pool).await.unwrap();
    assert!(exists(pool.clone(), name.clone()).await, "the maintenance pass made {name} again");
    // A second pass (or a second server's) changes nothing.
    tollgate_core::metering::partitions::make_coming_months(&pool).await.unwrap();
    let partitions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'requests'::regclass")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(partitions, 8, "three months back, this one, three ahead, and the default");
}

#[sqlx::test(migrations = false)]
async fn the_migration_moves_every_existing_call_into_its_month_unchanged(pool: PgPool) {
    let (before, this) = migration_files("requests_by_month");
    run_migration_files(&pool, &before).await;
    // An account with calls over five months (one with a key from an hour ago, one with a key two days old),
    // written as the schema before partitioning held them.
    let account: Uuid = sqlx::query_scalar(
        "WITH u AS (INSERT INTO users (email, password_hash) VALUES ('old@example.test', 'x') RETURNING id),
              a AS (INSERT INTO accounts (name) VALUES ('old') RETURNING id),
              m AS (INSERT INTO memberships (account_id, user_id, role) SELECT a.id, u.id, 'owner' FROM a, u),
              w AS (INSERT INTO wallets (account_id) SELECT id FROM a)
         SELECT id FROM a",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO spend_keys (account_id, name, secret_sha256, display_prefix, created_by)
         SELECT $1, 'k', sha256('s'::bytea), 'tg_sk_abcd', user_id FROM memberships WHERE account_id = $1",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO requests (id, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status,
                               cost_input, cost_output, cost_fee, cost_total, balance_after, idempotency_key, created_at)
         SELECT gen_random_uuid(), $1, (SELECT id FROM spend_keys WHERE account_id = $1), 'exa', 'search', 0, 0,
                'completed', 0, 0, 0, 0, 0, key, at
           FROM (VALUES (now() - interval '120 days', NULL), (now() - interval '70 days', NULL),
                        (now() - interval '2 days', 'two-days-old'), (now() - interval '1 hour', 'an-hour-old'),
                        (now(), NULL)) AS c(at, key)",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    let calls = |pool: PgPool| async move {
        sqlx::query_as::<_, (Uuid, i64, DateTime<Utc>, Option<String>)>(
            "SELECT id, seq, created_at, idempotency_key FROM requests ORDER BY seq",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let before_migration = calls(pool.clone()).await;

    run_migration_files(&pool, &[this]).await;

    assert_eq!(calls(pool.clone()).await, before_migration, "every call, field by field, in the same order");
    let is_partitioned: bool =
        sqlx::query_scalar("SELECT relkind = 'p' FROM pg_class WHERE oid = 'requests'::regclass")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(is_partitioned);
    for (partition, month) in partitions_of(&pool, account).await {
        assert_eq!(partition, month, "months were made back to the oldest call's");
    }
    let replaying: Vec<String> =
        sqlx::query_scalar("SELECT idempotency_key FROM request_idempotency").fetch_all(&pool).await.unwrap();
    assert_eq!(replaying, vec!["an-hour-old"], "a key older than a day no longer replays");
    // New calls number on after the old ones.
    let next: i64 = sqlx::query_scalar("SELECT nextval('requests_seq')").fetch_one(&pool).await.unwrap();
    assert!(next > before_migration.iter().map(|c| c.1).max().unwrap());
}
