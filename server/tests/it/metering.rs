//! Metered calls through the server's own path (`Meter` → group-committed `charge_calls`), on the real
//! Postgres: exact, never negative, nothing lost, a refusal costs nothing.

use app::auth::{credentials::Email, db as auth_db};
use app::catalog::db as catalog;
use app::catalog::pricing::Usage;
use app::error::AppError;
use app::keys::db::StatusChange;
use app::keys::spec::KeySettings;
use app::ledger::{self, EntryKind, Posting};
use app::metering::call::CallStatus;
use app::metering::charge::MeteredCall;
use app::metering::meter::Meter;
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

async fn account_with_balance(pool: &PgPool, email: &str, balance: &str) -> Uuid {
    let account =
        auth_db::create_user_with_account(pool, &Email::parse(email).unwrap(), "x").await.unwrap().account_id;
    if d(balance) > Decimal::ZERO {
        let mut tx = pool.begin().await.unwrap();
        let posting = Posting {
            account_id: account,
            kind: EntryKind::Deposit,
            amount: d(balance),
            reference: "test",
            at: None,
        };
        ledger::post(&mut tx, posting).await.unwrap();
        tx.commit().await.unwrap();
    }
    account
}

async fn key(pool: &PgPool, account: Uuid, limit: &str, period: &str) -> Uuid {
    let settings = KeySettings::parse("agent", limit, period, &[], false, "").unwrap();
    crate::support::owner_key(pool, account, &settings).await.unwrap().key.id
}

async fn call(
    pool: &PgPool,
    account: Uuid,
    key_id: Uuid,
    service: &str,
    model: &str,
    usage: (u64, u64),
) -> MeteredCall {
    MeteredCall {
        account_id: account,
        key_id,
        service: service.into(),
        model: model.into(),
        usage: Usage::new(usage.0, usage.1).unwrap(),
        price: catalog::price(pool, service, model).await.unwrap().unwrap(),
        idempotency_key: None,
    }
}

async fn scalar(pool: &PgPool, sql: &str, account: Uuid) -> Decimal {
    sqlx::query_scalar(sql).bind(account).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn sixty_four_clients_drain_one_wallet_exactly_and_every_refusal_costs_nothing(pool: PgPool) {
    let account = account_with_balance(&pool, "busy@example.test", "3.00").await;
    let key_id = key(&pool, account, "", "").await;
    let meter = Meter::new(pool.clone());
    // Three prices, so the last cents are fought over by calls of different sizes.
    let calls = [
        call(&pool, account, key_id, "exa", "search", (0, 0)).await, // 0.005
        call(&pool, account, key_id, "anthropic", "claude-haiku", (1000, 500)).await, // 0.0028
        call(&pool, account, key_id, "openai", "gpt-4o-mini", (3000, 1000)).await, // 0.00105
    ];
    let mut clients = Vec::new();
    for client in 0..64 {
        let (meter, calls): (Arc<Meter>, Vec<MeteredCall>) = (meter.clone(), calls.to_vec());
        clients.push(tokio::spawn(async move {
            let (mut sent, mut completed, mut rejected, mut spent) = (0u64, 0u64, 0u64, Decimal::ZERO);
            let mut i = client;
            // Each client spends until its cheapest call is refused: then the wallet is empty for everyone.
            loop {
                let call = calls[i % 3].clone();
                i += 1;
                sent += 1;
                match meter.charge(call.clone()).await {
                    Ok(record) => {
                        assert_eq!(record.status, CallStatus::Completed);
                        assert!(record.balance_after.amount() >= Decimal::ZERO);
                        completed += 1;
                        spent += record.cost.total.amount();
                    }
                    Err(AppError::InsufficientBalance) => {
                        rejected += 1;
                        if call.service == "openai" {
                            break;
                        }
                    }
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            (sent, completed, rejected, spent)
        }));
    }
    let (mut sent, mut completed, mut rejected, mut spent) = (0u64, 0u64, 0u64, Decimal::ZERO);
    for client in clients {
        let (s, c, r, x) = client.await.unwrap();
        sent += s;
        completed += c;
        rejected += r;
        spent += x;
    }
    let (balance, ledger_sum) = {
        let mut conn = pool.acquire().await.unwrap();
        ledger::balance_and_ledger_sum(&mut conn, account).await.unwrap()
    };
    assert!(balance >= Decimal::ZERO);
    assert!(balance < d("0.00105"), "the wallet is empty for the cheapest call: {balance}");
    assert_eq!(balance, d("3.00") - spent, "final balance = initial − Σ completed costs");
    assert_eq!(balance, ledger_sum, "balance = Σ ledger");
    let rows: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'rejected')
           FROM requests WHERE account_id = $1",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        (sent as i64, completed as i64, rejected as i64),
        "no request lost: completed + rejected = sent"
    );
    assert!(rejected >= 64);
    let refused_cost = scalar(
        &pool,
        "SELECT COALESCE(sum(cost_total), 0) FROM requests WHERE account_id = $1 AND status = 'rejected'",
        account,
    )
    .await;
    let refused_entries: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM requests WHERE account_id = $1 AND status = 'rejected' AND ledger_entry_id IS NOT NULL",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((refused_cost, refused_entries), (Decimal::ZERO, 0), "every 402 charged nothing");
    let usage_entries = scalar(
        &pool,
        "SELECT -COALESCE(sum(amount), 0) FROM ledger_entries WHERE account_id = $1 AND kind = 'usage'",
        account,
    )
    .await;
    assert_eq!(usage_entries, spent);
    // The rollups and the key's counters say the same as the rows.
    let rollup: (i64, i64, Decimal) = sqlx::query_as(
        "SELECT sum(requests)::bigint, sum(rejected)::bigint, sum(cost) FROM usage_rollups WHERE account_id = $1",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rollup, (completed as i64, rejected as i64, spent));
    let counters: (Decimal, i64) =
        sqlx::query_as("SELECT total_spend, request_count FROM spend_keys WHERE id = $1")
            .bind(key_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(counters, (spent, completed as i64));
    let batches: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT created_at) FROM requests WHERE account_id = $1")
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap();
    println!("64 clients: sent {sent}, completed {completed}, rejected {rejected}, spent {spent}, in {batches} transactions");
    assert!((batches as u64) < sent, "concurrent calls were group-committed");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_free_service_runs_at_zero_cost_with_an_empty_wallet(pool: PgPool) {
    let account = account_with_balance(&pool, "free@example.test", "0").await;
    let key_id = key(&pool, account, "", "").await;
    let meter = Meter::new(pool.clone());
    let record =
        meter.charge(call(&pool, account, key_id, "open-meteo", "forecast", (10, 10)).await).await.unwrap();
    assert_eq!((record.status, record.cost.total.amount()), (CallStatus::Completed, Decimal::ZERO));
    let paid = meter.charge(call(&pool, account, key_id, "exa", "search", (0, 0)).await).await;
    assert_eq!(paid, Err(AppError::InsufficientBalance));
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(entries, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_limit_refuses_the_call_that_would_cross_it_and_records_it(pool: PgPool) {
    let account = account_with_balance(&pool, "limit@example.test", "10").await;
    let key_id = key(&pool, account, "0.01", "daily").await;
    let meter = Meter::new(pool.clone());
    let exa = call(&pool, account, key_id, "exa", "search", (0, 0)).await;
    assert!(meter.charge(exa.clone()).await.is_ok());
    assert!(meter.charge(exa.clone()).await.is_ok());
    assert_eq!(meter.charge(exa.clone()).await, Err(AppError::KeyLimitReached));
    let (spend, reason): (Decimal, String) = sqlx::query_as(
        "SELECT k.cycle_spend, r.reject_reason FROM spend_keys k JOIN requests r ON r.spend_key_id = k.id
          WHERE k.id = $1 AND r.status = 'rejected'",
    )
    .bind(key_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((spend, reason.as_str()), (d("0.01"), "key_limit_reached"));
    assert_eq!(scalar(&pool, "SELECT balance FROM wallets WHERE account_id = $1", account).await, d("9.99"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_revoked_key_is_refused_even_for_calls_already_past_authentication(pool: PgPool) {
    let account = account_with_balance(&pool, "revoked@example.test", "10").await;
    let key_id = key(&pool, account, "", "").await;
    let exa = call(&pool, account, key_id, "exa", "search", (0, 0)).await;
    crate::support::change_key(&pool, account, key_id, StatusChange::Revoke).await.unwrap();
    assert_eq!(Meter::new(pool.clone()).charge(exa).await, Err(AppError::SpendKeyRevoked));
    assert_eq!(scalar(&pool, "SELECT balance FROM wallets WHERE account_id = $1", account).await, d("10"));
}

#[sqlx::test(migrations = "../migrations")]
async fn one_idempotency_key_is_one_call_however_often_and_concurrently_it_is_sent(pool: PgPool) {
    let account = account_with_balance(&pool, "idem@example.test", "10").await;
    let key_id = key(&pool, account, "", "").await;
    let meter = Meter::new(pool.clone());
    let mut exa = call(&pool, account, key_id, "exa", "search", (0, 0)).await;
    exa.idempotency_key = Some("call-1".into());
    let answers = futures_join_all((0..20).map(|_| {
        let (meter, exa) = (meter.clone(), exa.clone());
        tokio::spawn(async move { meter.charge(exa).await })
    }))
    .await;
    let first = answers[0].clone().unwrap();
    assert!(answers.iter().all(|a| a.as_ref().unwrap().request_id == first.request_id));
    assert_eq!(scalar(&pool, "SELECT balance FROM wallets WHERE account_id = $1", account).await, d("9.995"));
    let mut other = call(&pool, account, key_id, "openai", "gpt-4o-mini", (1, 1)).await;
    other.idempotency_key = Some("call-1".into());
    assert_eq!(meter.charge(other).await, Err(AppError::IdempotencyKeyReused));
    // Once the key is revoked, not even a replay answers.
    crate::support::change_key(&pool, account, key_id, StatusChange::Revoke).await.unwrap();
    assert_eq!(meter.charge(exa).await, Err(AppError::SpendKeyRevoked));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM requests WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

async fn futures_join_all<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn daily_usage_is_exact_in_half_and_quarter_hour_timezones(pool: PgPool) {
    use app::usage::db::{daily_summary, parse_timezone};
    use chrono::NaiveDate;
    let account = account_with_balance(&pool, "tz@example.test", "0").await;
    // Calls at 18:20 UTC (bucket 18:15) and 18:05 UTC (bucket 18:00) on Nov 1.
    for (bucket, requests, cost) in
        [("2026-11-01 18:15:00+00", 2i64, "0.01"), ("2026-11-01 18:00:00+00", 1, "0.005")]
    {
        sqlx::query(
            "INSERT INTO usage_rollups (account_id, bucket, service_id, model, requests, cost)
             VALUES ($1, $2::timestamptz, 'exa', 'search', $3, $4::numeric)",
        )
        .bind(account)
        .bind(bucket)
        .bind(requests)
        .bind(cost)
        .execute(&pool)
        .await
        .unwrap();
    }
    // The daily level (the account's own timezone, UTC here) from those rows, as a timezone change builds it.
    sqlx::query("SELECT rebuild_usage_daily($1)").bind(account).execute(&pool).await.unwrap();
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let per_day = |tz: &'static str| {
        let pool = pool.clone();
        async move {
            let s = daily_summary(
                &pool,
                account,
                (day("2026-11-01"), day("2026-11-03")),
                parse_timezone(tz).unwrap(),
                None,
            )
            .await
            .unwrap();
            assert_eq!(s.items.len(), 3, "every day listed");
            assert_eq!(s.totals.requests, 3);
            s.items.iter().map(|d| (d.requests, d.cost.amount())).collect::<Vec<_>>()
        }
    };
    let zero = (0, Decimal::ZERO);
    assert_eq!(per_day("UTC").await, vec![(3, d("0.015")), zero, zero]);
    // +5:30: 18:00 and 18:15 UTC are 23:30 and 23:45 in Kolkata — still Nov 1.
    assert_eq!(per_day("Asia/Kolkata").await, vec![(3, d("0.015")), zero, zero]);
    // +5:45: 18:15 UTC is 00:00 on Nov 2 in Kathmandu; 18:00 UTC is 23:45 on Nov 1.
    assert_eq!(per_day("Asia/Kathmandu").await, vec![(1, d("0.005")), (2, d("0.01")), zero]);
    assert!(parse_timezone("Mars/Olympus").is_err());
    assert!(daily_summary(
        &pool,
        account,
        (day("2026-11-03"), day("2026-11-01")),
        parse_timezone("UTC").unwrap(),
        None,
    )
    .await
    .is_err());
}
