//! Metered calls through the server's own path (`Meter` → group-committed `charge_calls`), on the real
//! Postgres: exact, never negative, nothing lost, a refusal costs nothing.

use rust_decimal::Decimal;
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;
use tollgate_core::accounts::store as auth_db;
use tollgate_core::catalog::db as catalog;
use tollgate_core::keys::db::StatusChange;
use tollgate_core::ledger::{self, Posting};
use tollgate_core::metering::charge::MeteredCall;
use tollgate_core::metering::meter::Meter;
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::catalog::pricing::Usage;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::KeySettings;
use tollgate_domain::ledger::EntryKind;
use tollgate_domain::metering::call::CallStatus;
use uuid::Uuid;

pub(crate) fn d(s: &str) -> Decimal {
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

pub(crate) async fn call(
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
        reserved: None,
        via: tollgate_domain::metering::call::Via::Api,
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
    use chrono::NaiveDate;
    use tollgate_core::reads::usage::{daily_summary, parse_timezone};
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

/// A small deterministic generator (xorshift64*), so a failing mix can be run again as it was.
struct Mix(u64);

impl Mix {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn calls_spread_over_many_wallets_and_two_servers_end_as_a_serial_replay_of_each_wallet(pool: PgPool) {
    // 24 wallets, from nearly empty to comfortable, each with an unlimited key and one limited to $0.03 a
    // day; two meters (two servers) of two lanes each, so batches hold many wallets and two batches of the
    // same wallets race on the locks.
    let balances = ["0.02", "0.05", "0.3", "2"];
    let mut wallets = Vec::new();
    for n in 0..24 {
        let account = account_with_balance(&pool, &format!("mix{n}@example.test"), balances[n % 4]).await;
        let keys = [key(&pool, account, "", "").await, key(&pool, account, "0.03", "daily").await];
        wallets.push((account, keys, d(balances[n % 4])));
    }
    let kinds = [
        ("exa", "search", (0, 0)),
        ("anthropic", "claude-haiku", (1000, 500)),
        ("openai", "gpt-4o-mini", (3000, 1000)),
        ("open-meteo", "forecast", (5, 5)),
    ];
    let servers = [Meter::with_settings(pool.clone(), 2, 4096), Meter::with_settings(pool.clone(), 2, 4096)];
    let mut clients = Vec::new();
    let mut plans = Vec::new();
    for client in 0..64u64 {
        let mut mix = Mix(0x9E37_79B9_7F4A_7C15 ^ (client + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
        let mut plan = Vec::new();
        for _ in 0..40 {
            let (account, keys, _) = wallets[mix.below(wallets.len())];
            // One call in eight carries one of five idempotency keys per wallet, each always for the same call.
            let idempotent = (mix.below(8) == 0).then(|| mix.below(5));
            let (key_index, kind) = match idempotent {
                Some(n) => (n % 2, n % 4),
                None => (mix.below(2), mix.below(4)),
            };
            let (service, model, usage) = kinds[kind];
            let mut metered = call(&pool, account, keys[key_index], service, model, usage).await;
            metered.idempotency_key = idempotent.map(|n| format!("mix-{n}"));
            plan.push(metered);
        }
        plans.push(plan.clone());
        let meter = servers[client as usize % 2].clone();
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for metered in plan {
                answers.push(meter.charge(metered).await);
            }
            answers
        }));
    }
    let answers: Vec<_> = futures_join_all(clients.into_iter()).await.into_iter().flatten().collect();
    let sent: Vec<MeteredCall> = plans.into_iter().flatten().collect();

    // Every call got its own answer: a record of its own call, or a refusal that a call alone could get.
    assert_eq!(answers.len(), sent.len());
    for (call, answer) in sent.iter().zip(&answers) {
        match answer {
            Ok(record) => {
                assert_eq!(record.status, CallStatus::Completed);
                let row: (Uuid, Uuid, String, Decimal, Decimal) = sqlx::query_as(
                    "SELECT account_id, spend_key_id, service_id, cost_total, balance_after FROM requests WHERE id = $1",
                )
                .bind(record.request_id)
                .fetch_one(&pool)
                .await
                .unwrap();
                assert_eq!(
                    row,
                    (
                        call.account_id,
                        call.key_id,
                        call.service.clone(),
                        record.cost.total.amount(),
                        record.balance_after.amount()
                    ),
                    "an answer reached the caller of its own call"
                );
            }
            Err(AppError::InsufficientBalance | AppError::KeyLimitReached) => {}
            Err(other) => panic!("unexpected answer {other:?}"),
        }
    }
    // Every call is one row, except replays of a call that ran under an idempotency key: per key, the
    // refused tries (each decided afresh, each its own row) and then at most one that ran.
    let plain_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM requests WHERE idempotency_key IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(plain_rows as usize, sent.iter().filter(|c| c.idempotency_key.is_none()).count());
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM requests").fetch_one(&pool).await.unwrap();
    let keyed: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT account_id, idempotency_key, status FROM requests WHERE idempotency_key IS NOT NULL
          ORDER BY account_id, idempotency_key, seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut per_key: std::collections::BTreeMap<(Uuid, String), Vec<String>> = Default::default();
    for (account, key, status) in keyed {
        per_key.entry((account, key)).or_default().push(status);
    }
    for ((account, key), statuses) in &per_key {
        let sends =
            sent.iter().filter(|c| c.account_id == *account && c.idempotency_key.as_ref() == Some(key));
        assert!(statuses.len() <= sends.count(), "{key}: more rows than calls sent");
        let ran = statuses.iter().filter(|s| *s == "completed").count();
        assert!(ran <= 1, "{key} ran {ran} times");
        assert!(ran == 0 || statuses.last().unwrap() == "completed", "{key}: a try after the one that ran");
    }

    // The serial replay: each wallet's rows in the order they were decided, run through the rules alone.
    let mut prices = std::collections::HashMap::new();
    for (service, model, _) in kinds {
        prices.insert(
            (service.to_string(), model.to_string()),
            catalog::price(&pool, service, model).await.unwrap().unwrap(),
        );
    }
    for (account, keys, opening) in &wallets {
        type Row =
            (Uuid, Uuid, String, String, i64, i64, String, Option<String>, Decimal, Decimal, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, spend_key_id, service_id, model, input_tokens, output_tokens, status, reject_reason,
                    cost_total, balance_after, ledger_entry_id
               FROM requests WHERE account_id = $1 ORDER BY seq",
        )
        .bind(account)
        .fetch_all(&pool)
        .await
        .unwrap();
        let (mut balance, mut limited_spend, mut paid) = (*opening, Decimal::ZERO, 0i64);
        for (id, key_id, service, model, input, output, status, reason, cost_total, balance_after, entry) in
            rows
        {
            let cost = prices[&(service.clone(), model.clone())]
                .cost(Usage::new(input as u64, output as u64).unwrap())
                .total
                .amount();
            let limited = key_id == keys[1];
            let expected_refusal = if cost.is_zero() {
                None
            } else if limited && limited_spend + cost > d("0.03") {
                Some("key_limit_reached")
            } else if cost > balance {
                Some("insufficient_balance")
            } else {
                None
            };
            if expected_refusal.is_none() {
                balance -= cost;
                if limited {
                    limited_spend += cost;
                }
            }
            let expected_status = if expected_refusal.is_some() { "rejected" } else { "completed" };
            let expected_cost = if expected_refusal.is_some() { Decimal::ZERO } else { cost };
            assert_eq!(
                (status.as_str(), reason.as_deref(), cost_total, balance_after),
                (expected_status, expected_refusal, expected_cost, balance),
                "call {id} of wallet {account} differs from the serial replay"
            );
            if !expected_cost.is_zero() {
                paid += 1;
                let (amount, entry_balance): (Decimal, Decimal) = sqlx::query_as(
                    "SELECT amount, balance_after FROM ledger_entries WHERE id = $1 AND reference = $2::text",
                )
                .bind(entry.expect("a paid call has its ledger entry"))
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
                assert_eq!((amount, entry_balance), (-cost, balance));
            } else {
                assert_eq!(entry, None, "a call that cost nothing has no ledger entry");
            }
        }
        let (stored, ledger_sum) = {
            let mut conn = pool.acquire().await.unwrap();
            ledger::balance_and_ledger_sum(&mut conn, *account).await.unwrap()
        };
        assert_eq!((stored, ledger_sum), (balance, balance), "wallet {account}: balance = replay = Σ ledger");
        let usage_entries: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ledger_entries WHERE account_id = $1 AND kind = 'usage'",
        )
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(usage_entries, paid, "one ledger entry per paid call");
        assert!(balance >= Decimal::ZERO);
    }

    // Batches held many wallets (one transaction's rows share its time), and no two batches deadlocked.
    let shared: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT created_at FROM requests GROUP BY created_at HAVING count(DISTINCT account_id) > 1) b",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(shared > 0, "some batches held calls of several wallets");
    // A deadlock (or any refused statement) would have split a batch, whose wallets then succeed alone.
    let split: u64 = servers.iter().map(|m| m.split_batches()).sum();
    assert_eq!(split, 0, "no batch failed: they took their locks in one order");
    println!(
        "{} calls over {} wallets: {rows} rows, {shared} transactions held several wallets",
        sent.len(),
        wallets.len()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wallet_held_by_a_slow_transaction_holds_up_only_itself(pool: PgPool) {
    use tollgate_core::metering::charge::{charge_calls, WalletCalls};
    let held = account_with_balance(&pool, "held@example.test", "1").await;
    let free = account_with_balance(&pool, "free@example.test", "1").await;
    let (held_key, free_key) = (key(&pool, held, "", "").await, key(&pool, free, "", "").await);
    let batch = vec![
        WalletCalls {
            account_id: held,
            calls: vec![call(&pool, held, held_key, "exa", "search", (0, 0)).await],
        },
        WalletCalls {
            account_id: free,
            calls: vec![call(&pool, free, free_key, "exa", "search", (0, 0)).await],
        },
    ];
    // Another transaction holds the first wallet's lock for two seconds.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM wallets WHERE account_id = $1 FOR UPDATE")
        .bind(held)
        .execute(&mut *holder)
        .await
        .unwrap();
    let charging = tokio::spawn({
        let pool = pool.clone();
        async move { charge_calls(&pool, &batch).await }
    });
    // The shared batch gives up on the held wallet and is split: the free wallet is charged alone while
    // the lock is still held.
    let free_charged = async {
        loop {
            if scalar(&pool, "SELECT balance FROM wallets WHERE account_id = $1", free).await == d("0.995") {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(2), free_charged)
        .await
        .expect("the free wallet was charged while the other one was held");
    holder.commit().await.unwrap();
    let charged = charging.await.unwrap();
    assert!(charged.split, "the batch was split");
    assert!(charged.answers.iter().all(|w| w.len() == 1 && w[0].is_ok()), "both calls charged once");
    for account in [held, free] {
        let mut conn = pool.acquire().await.unwrap();
        let (balance, ledger_sum) = ledger::balance_and_ledger_sum(&mut conn, account).await.unwrap();
        assert_eq!((balance, ledger_sum), (d("0.995"), d("0.995")));
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM requests").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, 2, "nothing of the failed shared batch was kept");
}

/// The recovery docs/CONTRACT.md "JSON API" promises, "top up, then retry the call": a call refused with 402 under an Idempotency-Key
/// charged nothing, so the same call under the same key after a top-up is decided afresh — and once it
/// ran, it replays as usual.
#[sqlx::test(migrations = "../migrations")]
async fn a_call_refused_for_the_balance_runs_when_retried_under_its_key_after_a_top_up(pool: PgPool) {
    let account = account_with_balance(&pool, "retry@example.test", "0.001").await;
    let key_id = key(&pool, account, "", "").await;
    let limited = key(&pool, account, "0.01", "daily").await;
    let meter = Meter::new(pool.clone());
    let mut gpt = call(&pool, account, key_id, "openai", "gpt-4o-mini", (3000, 1000)).await;
    gpt.idempotency_key = Some("retry-1".into());
    assert_eq!(meter.charge(gpt.clone()).await, Err(AppError::InsufficientBalance));
    assert_eq!(meter.charge(gpt.clone()).await, Err(AppError::InsufficientBalance), "still short");
    crate::support::deposit(&pool, account, 25).await;
    let ran = meter.charge(gpt.clone()).await.unwrap();
    assert_eq!(ran.status, CallStatus::Completed);
    assert_eq!(meter.charge(gpt.clone()).await.unwrap().request_id, ran.request_id, "now it replays");
    let mut other = call(&pool, account, key_id, "exa", "search", (0, 0)).await;
    other.idempotency_key = Some("retry-1".into());
    assert_eq!(meter.charge(other).await, Err(AppError::IdempotencyKeyReused));
    // A refusal by the key's spend limit is a row of its own too, and no answer for its key.
    let mut big = call(&pool, account, limited, "anthropic", "claude-haiku", (0, 5000)).await;
    big.idempotency_key = Some("retry-2".into());
    assert_eq!(meter.charge(big.clone()).await, Err(AppError::KeyLimitReached));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM requests WHERE account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 4, "two refusals, the call that ran, the refusal by the limit: each its own row");
    let (balance, ledger) = {
        let mut conn = pool.acquire().await.unwrap();
        ledger::balance_and_ledger_sum(&mut conn, account).await.unwrap()
    };
    assert_eq!(balance, ledger);
    assert_eq!(balance, d("25.001") - ran.cost.total.amount());
}
