//! Usage views read rollups; these tests hold the rollups to the calls they summarise, and the three ways
//! of reading usage (the page, `/v1/usage`, the CSV export) to each other.

use crate::support::spawn_app;
use crate::support::Rng;
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgPool;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::catalog::db as catalog;
use tollgate_core::ledger::{self, Posting};
use tollgate_core::metering::charge::MeteredCall;
use tollgate_core::metering::meter::Meter;
use tollgate_core::metering::past_calls::{record_past_call, PastCall};
use tollgate_core::reads::usage as usage_db;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::catalog::pricing::Usage;
use tollgate_domain::keys::settings::KeySettings;
use tollgate_domain::ledger::EntryKind;
use uuid::Uuid;

const MODELS: [(&str, &str); 4] =
    [("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku"), ("exa", "search"), ("open-meteo", "forecast")];

async fn funded_account(pool: &PgPool, email: &str, dollars: i64) -> (Uuid, Uuid) {
    let account =
        auth_db::create_user_with_account(pool, &Email::parse(email).unwrap(), "x").await.unwrap().account_id;
    let mut tx = pool.begin().await.unwrap();
    let posting = Posting {
        account_id: account,
        kind: EntryKind::Deposit,
        amount: Decimal::from(dollars),
        reference: "t",
        at: None,
    };
    ledger::post(&mut tx, posting).await.unwrap();
    tx.commit().await.unwrap();
    let key =
        crate::support::owner_key(pool, account, &KeySettings::parse("k", "", "", &[], false, "").unwrap())
            .await
            .unwrap()
            .key
            .id;
    (account, key)
}

/// A person signed up through `app` (its client holds their session), their account, and a key on it.
pub(crate) async fn signed_up_with_key(
    app: &crate::support::TestApp,
    email: &str,
) -> (Uuid, tollgate_domain::keys::settings::CreatedKey) {
    app.sign_up(email, "a-long-password").await;
    let account: Uuid = sqlx::query_scalar(
        "SELECT m.account_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let settings = KeySettings::parse("k", "", "", &[], false, "").unwrap();
    (account, crate::support::owner_key(&app.pool, account, &settings).await.unwrap())
}

/// `count` completed past calls of `key` at random times within the `days` days that end a day ago, recorded
/// in time order through the history path, with random models and token counts.
async fn record_random_past_calls(
    pool: &PgPool,
    rng: &mut Rng,
    (account, key): (Uuid, Uuid),
    count: u64,
    days: i64,
) {
    let mut times: Vec<i64> = (0..count).map(|_| rng.next(days as u64 * 86_400) as i64).collect();
    times.sort();
    let mut tx = pool.begin().await.unwrap();
    for secs in times {
        let (service, model) = MODELS[rng.next(4) as usize];
        let call = PastCall {
            at: Utc::now() - Duration::days(days + 1) + Duration::seconds(secs),
            service,
            model,
            usage: Usage::new(rng.next(5_000), rng.next(2_000)).unwrap(),
            price: catalog::price(pool, service, model).await.unwrap().unwrap(),
        };
        record_past_call(&mut tx, account, key, &call).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// For every (15-minute bucket, service, model): the rollup's completed calls, refused calls and cost equal
/// what the request rows say.
async fn assert_rollups_match_requests(pool: &PgPool, account: Uuid) {
    let mismatches: i64 = sqlx::query_scalar(
        "WITH truth AS (
            SELECT to_timestamp(floor(extract(epoch FROM created_at) / 900) * 900) AS bucket, service_id, model,
                   count(*) FILTER (WHERE status = 'completed') AS requests,
                   count(*) FILTER (WHERE status = 'rejected') AS rejected, sum(cost_total) AS cost
              FROM requests WHERE account_id = $1 GROUP BY 1, 2, 3)
         SELECT count(*) FROM truth t
           FULL JOIN (SELECT * FROM usage_rollups WHERE account_id = $1) r
             ON r.bucket = t.bucket AND r.service_id = t.service_id AND r.model = t.model
          WHERE t.requests IS DISTINCT FROM r.requests OR t.rejected IS DISTINCT FROM r.rejected
             OR t.cost IS DISTINCT FROM r.cost",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(mismatches, 0, "rollups differ from the requests they summarise");
    // The daily level: per local day of the account's timezone, service and model, the same sums.
    let mismatches: i64 = sqlx::query_scalar(
        "WITH truth AS (
            SELECT (q.created_at AT TIME ZONE a.timezone)::date AS day, q.service_id, q.model,
                   count(*) FILTER (WHERE q.status = 'completed') AS requests,
                   count(*) FILTER (WHERE q.status = 'rejected') AS rejected, sum(q.cost_total) AS cost
              FROM requests q JOIN accounts a ON a.id = q.account_id
             WHERE q.account_id = $1 GROUP BY 1, 2, 3)
         SELECT count(*) FROM truth t
           FULL JOIN (SELECT * FROM usage_daily WHERE account_id = $1) d
             ON d.day = t.day AND d.service_id = t.service_id AND d.model = t.model
          WHERE t.requests IS DISTINCT FROM d.requests OR t.rejected IS DISTINCT FROM d.rejected
             OR t.cost IS DISTINCT FROM d.cost",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(mismatches, 0, "daily rollups differ from the requests they summarise");
}

/// Timezones whose days start off the hour (Kolkata, Kathmandu) or move twice a year (New York).
const ZONES: [chrono_tz::Tz; 4] =
    [chrono_tz::UTC, chrono_tz::Asia::Kathmandu, chrono_tz::America::New_York, chrono_tz::Asia::Kolkata];

#[sqlx::test(migrations = "../migrations")]
async fn rollups_equal_the_sum_of_their_requests_for_random_traffic(pool: PgPool) {
    for seed in 1..=4u64 {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
        let (account, key) =
            funded_account(&pool, &format!("r{seed}@example.test"), 1 + rng.next(3) as i64).await;
        // Past calls at random times over 40 days (the history path), in time order…
        record_random_past_calls(&pool, &mut rng, (account, key), 60, 40).await;
        // The account moves to another timezone (its daily rows are rebuilt)…
        tollgate_core::accounts::store::set_timezone(
            &pool,
            &crate::support::owner_actor(&pool, account).await,
            ZONES[seed as usize % 4],
        )
        .await
        .unwrap();
        // …then live calls from concurrent clients until some are refused (the group-committed path).
        let meter = Meter::new(pool.clone());
        let mut clients = Vec::new();
        for _ in 0..8 {
            let mut calls = Vec::new();
            for _ in 0..40 {
                let (service, model) = MODELS[rng.next(4) as usize];
                calls.push(MeteredCall {
                    account_id: account,
                    key_id: key,
                    service: service.into(),
                    model: model.into(),
                    usage: Usage::new(rng.next(400_000), rng.next(200_000)).unwrap(),
                    price: catalog::price(&pool, service, model).await.unwrap().unwrap(),
                    idempotency_key: None,
                    reserved: None,
                    via: tollgate_domain::metering::call::Via::Api,
                });
            }
            let meter = meter.clone();
            clients.push(tokio::spawn(async move {
                for call in calls {
                    let _ = meter.charge(call).await;
                }
            }));
        }
        for client in clients {
            client.await.unwrap();
        }
        assert_rollups_match_requests(&pool, account).await;
    }
}

/// The summary in the account's own timezone (read from the daily rollups) equals the same summary read
/// from the 15-minute rollups (what any other timezone reads), for every zone and a range of 60 days.
#[sqlx::test(migrations = "../migrations")]
async fn daily_and_fifteen_minute_rollups_give_the_same_summary(pool: PgPool) {
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let (account, key) = funded_account(&pool, "days@example.test", 50).await;
    record_random_past_calls(&pool, &mut rng, (account, key), 300, 60).await;
    // The calls span the last 61 days in UTC; the range leaves a day either side so that every zone's local
    // dates (New York's run up to a day behind UTC) hold all of them, whatever the time of day the test runs.
    let until = Utc::now().date_naive() + Duration::days(2);
    let since = until - Duration::days(65);
    for (i, tz) in ZONES.into_iter().enumerate() {
        tollgate_core::accounts::store::set_timezone(
            &pool,
            &crate::support::owner_actor(&pool, account).await,
            tz,
        )
        .await
        .unwrap();
        let from_daily = usage_db::daily_summary(&pool, account, (since, until), tz, None).await.unwrap();
        // Another account timezone: the same zone's summary now comes from the 15-minute buckets.
        tollgate_core::accounts::store::set_timezone(
            &pool,
            &crate::support::owner_actor(&pool, account).await,
            ZONES[(i + 1) % 4],
        )
        .await
        .unwrap();
        let from_buckets = usage_db::daily_summary(&pool, account, (since, until), tz, None).await.unwrap();
        assert_eq!(from_daily, from_buckets, "{tz}");
        // Filtered by member, the summary comes from the calls themselves: the owner made every key.
        let owner = Some(crate::support::owner_of(&pool, account).await);
        let from_calls = usage_db::daily_summary(&pool, account, (since, until), tz, owner).await.unwrap();
        assert_eq!(from_daily, from_calls, "{tz}: by member");
        assert_eq!(from_daily.totals.requests, 300, "{tz}");
        assert_rollups_match_requests(&pool, account).await;
    }
    // And the account's own timezone really is read from the daily rows (a row changed by hand shows).
    let tz = ZONES[0];
    tollgate_core::accounts::store::set_timezone(
        &pool,
        &crate::support::owner_actor(&pool, account).await,
        tz,
    )
    .await
    .unwrap();
    sqlx::query(
        "UPDATE usage_daily SET requests = requests + 1
          WHERE ctid = (SELECT ctid FROM usage_daily WHERE account_id = $1 LIMIT 1)",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    let summary = usage_db::daily_summary(&pool, account, (since, until), tz, None).await.unwrap();
    assert_eq!(summary.totals.requests, 301);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_csv_the_api_and_the_page_report_the_same_usage(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.sign_up("csv@example.test", "a-long-password").await;
    let account: Uuid =
        sqlx::query_scalar("SELECT account_id FROM memberships").fetch_one(&app.pool).await.unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    ledger::post(
        &mut tx,
        Posting {
            account_id: account,
            kind: EntryKind::Deposit,
            amount: Decimal::from(5),
            reference: "t",
            at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let created = crate::support::owner_key(
        &app.pool,
        account,
        &KeySettings::parse("k", "", "", &[], false, "").unwrap(),
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    for (service, model, input, output) in [
        ("openai", "gpt-4o-mini", 1000, 500),
        ("exa", "search", 0, 0),
        ("anthropic", "claude-haiku", 333, 77),
        ("open-meteo", "forecast", 0, 0),
    ] {
        for _ in 0..3 {
            let res = client
                .post(app.url("/v1/requests"))
                .bearer_auth(&created.secret)
                .json(&serde_json::json!({"service": service, "model": model, "usage": {"input_tokens": input, "output_tokens": output}}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
        }
    }
    let today = Utc::now().date_naive();
    let (since, until) = (today - Duration::days(2), today);
    let api: Value = client
        .get(app.url(&format!("/v1/usage?start={since}&end={until}")))
        .bearer_auth(&created.secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (api_requests, api_cost) =
        (api["totals"]["requests"].as_i64().unwrap(), api["totals"]["cost"].as_str().unwrap().to_string());
    assert_eq!(api_requests, 12);
    let page = app.get(&format!("/dashboard/usage?since={since}&until={until}")).await.text().await.unwrap();
    let cell = |testid: &str| {
        let start = page.find(&format!("data-testid=\"{testid}\"")).unwrap();
        let open = page[start..].find('>').unwrap() + start + 1;
        page[open..open + page[open..].find('<').unwrap()].to_string()
    };
    assert_eq!(cell("total-requests"), api_requests.to_string());
    assert_eq!(cell("total-spend"), format!("${api_cost}"), "the page shows the exact total");
    let csv = app.get(&format!("/dashboard/usage/export.csv?since={since}&until={until}")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], server::channels::pages::usage_export::HEADER.trim_end());
    let total: Vec<&str> = lines.iter().find(|l| l.starts_with("total,")).unwrap().split(',').collect();
    assert_eq!((total[9], total[13]), (api_requests.to_string().as_str(), api_cost.as_str()));
    let requests: Vec<Vec<&str>> =
        lines.iter().filter(|l| l.starts_with("request,")).map(|l| l.split(',').collect()).collect();
    assert_eq!(requests.len(), 12);
    let columns = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == columns), "every row has the header's columns");
    assert!(requests.iter().all(|r| r[14] == "api"), "calls made through /v1/requests came via the api");
    let csv_sum: Decimal = requests.iter().map(|r| r[13].parse::<Decimal>().unwrap()).sum();
    assert_eq!(csv_sum, api_cost.parse::<Decimal>().unwrap(), "the request rows add up to the total");
    let day_rows: Decimal = lines
        .iter()
        .filter(|l| l.starts_with("day,"))
        .map(|l| l.split(',').nth(13).unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(day_rows, csv_sum);
}

#[sqlx::test(migrations = "../migrations")]
async fn dates_outside_2000_to_2100_and_timezones_postgres_lacks_are_refused_not_crashed_on(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, created) = signed_up_with_key(&app, "edges@example.test").await;
    let client = reqwest::Client::new();
    let v1 =
        |query: &str| client.get(app.url(&format!("/v1/usage?{query}"))).bearer_auth(&created.secret).send();
    for query in
        ["end=-262143-01-01", "start=+262142-12-31&end=+262142-12-31", "end=1999-12-31", "start=2101-01-01"]
    {
        let res = v1(query).await.unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": "A query parameter is not valid for this call", "code": 400})
        );
    }
    assert_eq!(v1("start=2000-01-01&end=2000-12-31").await.unwrap().status(), 200);
    assert_eq!(v1("start=2100-12-25&end=2100-12-31").await.unwrap().status(), 200);
    // The page and the export: the page's date message, never a crash.
    for until in ["%2B262142-12-31", "1999-12-31", "-262143-01-01"] {
        let page = app.get(&format!("/dashboard/usage?until={until}")).await;
        assert_eq!(page.status(), 200, "{until}");
        assert!(page.text().await.unwrap().contains("Choose dates as YYYY-MM-DD"), "{until}");
        let csv = app.get(&format!("/dashboard/usage/export.csv?until={until}")).await;
        assert!(csv.status().is_client_error() || csv.status().is_redirection(), "{until}: {}", csv.status());
    }
    // Timezones: one neither knows, and any chrono-tz knows but this PostgreSQL doesn't, are refused; every
    // zone offered in the select is one PostgreSQL knows.
    let postgres: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pg_timezone_names").fetch_all(&app.pool).await.unwrap();
    let chrono_only =
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).filter(|n| !postgres.iter().any(|p| p == n));
    for name in ["Mars/Olympus_Mons"].into_iter().chain(chrono_only) {
        let (_, answer) = app.call("/api/usage/timezone", &[("timezone", name)]).await;
        assert_eq!(answer, serde_json::json!("timezone_invalid"), "{name}");
        assert_eq!(v1(&format!("tz={name}")).await.unwrap().status(), 400, "{name}");
    }
    let (_, offered) = app.call("/api/usage/timezones", &[("all", "true")]).await;
    let offered: Vec<String> = serde_json::from_value(offered).unwrap();
    assert!(offered.len() > 300 && offered.iter().all(|n| postgres.contains(n)));
    // The short list: every common timezone (this PostgreSQL knows them all), nothing else.
    let (_, common) = app.call("/api/usage/timezones", &[("all", "false")]).await;
    let common: Vec<String> = serde_json::from_value(common).unwrap();
    assert_eq!(common.len(), usage_db::COMMON_TIMEZONES.len());
    assert!(common.iter().all(|n| usage_db::COMMON_TIMEZONES.contains(&n.as_str()) && offered.contains(n)));
    let (status, _) = app.call("/api/usage/timezone", &[("timezone", "Asia/Kathmandu")]).await;
    assert_eq!(status, 200);
}

/// The export's `request` rows are PostgreSQL's COPY output: each must read exactly as the calls do, on the
/// account's local days. Calls a microsecond either side of local midnight, at the range's first instant,
/// free and sub-cent, are compared field by field with the calls' rows formatted here.
#[sqlx::test(migrations = "../migrations")]
async fn the_exported_calls_are_the_calls_on_the_accounts_local_days_newest_first(pool: PgPool) {
    use chrono::{NaiveTime, TimeZone};
    let tz = chrono_tz::America::New_York;
    let app = spawn_app(pool).await;
    let (account, created) = signed_up_with_key(&app, "copy@example.test").await;
    let key = created.key.id;
    sqlx::query("UPDATE accounts SET timezone = $2 WHERE id = $1")
        .bind(account)
        .bind(tz.name())
        .execute(&app.pool)
        .await
        .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let posting = Posting {
        account_id: account,
        kind: EntryKind::Deposit,
        amount: Decimal::from(5),
        reference: "t",
        at: None,
    };
    ledger::post(&mut tx, posting).await.unwrap();
    tx.commit().await.unwrap();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let since = today - Duration::days(2);
    let local = |day: chrono::NaiveDate, micros: i64| {
        tz.from_local_datetime(&day.and_time(NaiveTime::MIN)).unwrap().with_timezone(&Utc)
            + Duration::microseconds(micros)
    };
    let noon = 12 * 3_600_000_000;
    let calls = [
        (local(since, -1), "openai", "gpt-4o-mini", 1_000, 500), // the day before the range: not exported
        (local(since, 0), "anthropic", "claude-haiku", 333, 77),
        (local(since, noon + 123_456), "open-meteo", "forecast", 0, 0), // free
        (local(since + Duration::days(1), -1), "exa", "search", 0, 0),  // the day's last microsecond
        (local(since + Duration::days(1), 0), "openai", "gpt-4o-mini", 7, 3), // a fraction of a cent
        (local(today, 0), "openai", "gpt-4o-mini", 1_000, 500),
    ];
    let mut tx = app.pool.begin().await.unwrap();
    for (at, service, model, input, output) in calls {
        let price = catalog::price(&app.pool, service, model).await.unwrap().unwrap();
        let call = PastCall { at, service, model, usage: Usage::new(input, output).unwrap(), price };
        record_past_call(&mut tx, account, key, &call).await.unwrap();
    }
    tx.commit().await.unwrap();

    let csv = app.get(&format!("/dashboard/usage/export.csv?since={since}&until={today}")).await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let exported: Vec<&str> = csv.lines().filter(|l| l.starts_with("request,")).collect();

    type Row =
        (Uuid, chrono::DateTime<Utc>, String, String, String, i64, i64, Decimal, Decimal, Decimal, Decimal);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, created_at, service_id, model, status, input_tokens, output_tokens,
                cost_input, cost_output, cost_fee, cost_total
           FROM requests WHERE account_id = $1 AND created_at >= $2 ORDER BY created_at DESC, seq DESC",
    )
    .bind(account)
    .bind(local(since, 0))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let expected: Vec<String> = rows
        .iter()
        .map(|(id, at, service, model, status, input, output, ci, co, cf, ct)| {
            format!(
                "request,{},{id},{},{service},{model},{status},{input},{output},,{},{},{},{},api",
                at.with_timezone(&tz).date_naive(),
                at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                ci.normalize(),
                co.normalize(),
                cf.normalize(),
                ct.normalize()
            )
        })
        .collect();
    assert_eq!(expected.len(), 5, "the call before the range is left out");
    assert_eq!(exported, expected);
    let dates: Vec<&str> = exported.iter().map(|l| l.split(',').nth(1).unwrap()).collect();
    let day = |d: chrono::NaiveDate| d.to_string();
    assert_eq!(
        dates,
        [day(today), day(since + Duration::days(1)), day(since), day(since), day(since)],
        "each call on its local day, newest first"
    );
    assert!(exported.iter().any(|l| l.ends_with(",0,0,0,0,api")), "a free call's costs read 0");
    // `cost_total` is the 14th column (the 15th, `via`, follows it).
    let cost_total = |l: &str| l.split(',').nth(13).unwrap().parse::<Decimal>().unwrap();
    let request_total: Decimal = exported.iter().map(|l| cost_total(l)).sum();
    let total_line = csv.lines().find(|l| l.starts_with("total,")).unwrap();
    assert_eq!(cost_total(total_line), request_total);
}

/// Downloads that stop being read, more of them than the app's pool has connections (10), must not hold
/// any: each page of the export is read from PostgreSQL whole before it is sent. (Streaming COPY straight
/// through held one connection per stalled download, and the 9th found none.) While they stall, another
/// export arrives whole, and quickly.
#[sqlx::test(migrations = "../migrations")]
async fn stalled_downloads_hold_no_connection(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (account, created) = signed_up_with_key(&app, "cut@example.test").await;
    let key = created.key.id;
    let (service, model) = ("open-meteo", "forecast");
    let price = catalog::price(&app.pool, service, model).await.unwrap().unwrap();
    let call = PastCall {
        at: Utc::now() - Duration::minutes(1),
        service,
        model,
        usage: Usage::new(0, 0).unwrap(),
        price,
    };
    let mut tx = app.pool.begin().await.unwrap();
    record_past_call(&mut tx, account, key, &call).await.unwrap();
    tx.commit().await.unwrap();
    // 60,000 more free calls, three to each microsecond (ties in time, told apart by their sequence
    // number, also where pages meet): megabytes, more than the sockets between us buffer.
    let calls = 60_000;
    sqlx::query(
        "INSERT INTO requests (id, account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status,
                               cost_input, cost_output, cost_fee, cost_total, balance_after, created_at)
         SELECT gen_random_uuid(), account_id, spend_key_id, service_id, model, input_tokens, output_tokens, status,
                cost_input, cost_output, cost_fee, cost_total, balance_after, created_at - (g / 3 + 1) * interval '1 microsecond'
           FROM requests, generate_series(1, $2) g
          WHERE account_id = $1",
    )
    .bind(account)
    .bind(calls)
    .execute(&app.pool)
    .await
    .unwrap();
    let today = Utc::now().date_naive();
    let path = format!("/dashboard/usage/export.csv?since={}&until={today}", today - Duration::days(30));
    let mut stalled = Vec::new();
    for round in 0..15 {
        let mut download = app.get(&path).await;
        assert_eq!(download.status(), 200, "round {round}: {:?}", download.headers().get("location"));
        let mut received = 0;
        while received < 100_000 {
            received += download.chunk().await.unwrap().expect("more of the export").len();
        }
        stalled.push(download); // and never read again
    }
    let whole = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        app.get(&path).await.text().await.unwrap()
    })
    .await
    .expect("the next export comes whole, without waiting for a connection");
    let rows: Vec<&str> =
        whole.lines().filter(|l| l.starts_with("request,")).map(|l| l.split(',').nth(2).unwrap()).collect();
    let ids: std::collections::HashSet<&str> = rows.iter().copied().collect();
    assert_eq!(
        (rows.len(), ids.len()),
        (calls as usize + 1, calls as usize + 1),
        "every call once, across pages"
    );
    assert_eq!(app.get("/dashboard/usage").await.status(), 200);
    drop(stalled);
}
