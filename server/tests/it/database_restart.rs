//! PostgreSQL restarts while agents are making paid calls (docs/ARCHITECTURE.md "Database restarts"). On
//! its own cluster (a restart must not disturb the other tests), against the real binary: the calls in
//! flight fail while the database is away, and once it is back no call fails more than once — its retry,
//! with the same `Idempotency-Key`, gets a fresh connection — and no call is charged twice.

use crate::support::ServerProcess;
use reqwest::{Client, StatusCode};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgPool;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tollgate_core::keys::db as keys_db;
use tollgate_domain::keys::settings::KeyForm;

const CLUSTER: &str = "test-restart";
const CLIENTS: usize = 6;
const CALLS_PER_CLIENT: usize = 40;
const CALLS_AFTER_IDLE: usize = 5;

fn pg_sh(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg.sh");
    let out = Command::new(script).args(args).output().expect("scripts/pg.sh runs");
    assert!(out.status.success(), "pg.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Stops the cluster however the test ends.
struct Cluster;

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg.sh"))
            .args(["stop", CLUSTER])
            .status();
    }
}

/// One attempt at a call: when it started and whether it was answered 201.
type Attempt = (Instant, bool);

#[tokio::test]
async fn after_a_database_restart_under_load_no_call_fails_twice_or_is_charged_twice() {
    pg_sh(&["start", CLUSTER]);
    let url = pg_sh(&["fresh", CLUSTER, "tollgate_restart"]);
    let _cluster = Cluster;
    // Declared after the cluster, so it is dropped (killed) first.
    let server = ServerProcess::start(&url, &[("TOLLGATE_DB_MAX_CONNECTIONS", "8")]).await;
    let base = server.base.clone();

    // An account with $100 and a key, made directly in the database the server migrated.
    let pool = PgPool::connect(&url).await.unwrap();
    let email = tollgate_domain::accounts::credentials::Email::parse("restart@example.com").unwrap();
    let owner = tollgate_core::accounts::store::create_user_with_account(&pool, &email, "x").await.unwrap();
    let account = owner.account_id;
    crate::support::deposit(&pool, account, 100).await;
    let form = KeyForm { name: "agent".into(), ..KeyForm::default() };
    let secret =
        keys_db::create(&pool, &crate::support::owner_actor(&pool, account).await, &form.settings().unwrap())
            .await
            .unwrap()
            .secret;
    pool.close().await;

    // Agents call without pause, each call retried with its own key until it is answered 201. Mid-way,
    // the database restarts (fast shutdown: the server's connections are cut).
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let agents = start_agents(&client, &base, &secret, "under-load", CALLS_PER_CLIENT);
    tokio::time::sleep(Duration::from_millis(600)).await;
    tokio::task::spawn_blocking(|| pg_sh(&["restart", CLUSTER])).await.unwrap();
    let back = Instant::now();
    let attempts = agents.await;
    assert_eq!(attempts.len(), CLIENTS * CALLS_PER_CLIENT);
    let failed = attempts.iter().flatten().filter(|(_, ok)| !ok).count();
    let worst_after = worst_failures_since(&attempts, back);
    eprintln!("database restart under load: {failed} attempts failed; after it was back, a call failed at most {worst_after} time(s)");
    assert!(worst_after <= 1, "a call failed {worst_after} times after the database was back");

    // Restarted while the server sits idle: every pooled connection is dead when the agents come back,
    // and still no call fails more than once.
    tokio::task::spawn_blocking(|| pg_sh(&["restart", CLUSTER])).await.unwrap();
    let back = Instant::now();
    let attempts = start_agents(&client, &base, &secret, "after-idle", CALLS_AFTER_IDLE).await;
    let failed = attempts.iter().flatten().filter(|(_, ok)| !ok).count();
    let worst_after = worst_failures_since(&attempts, back);
    eprintln!(
        "database restart while idle: {failed} attempts failed; a call failed at most {worst_after} time(s)"
    );
    assert!(worst_after <= 1, "a call failed {worst_after} times after an idle restart");

    let pool = PgPool::connect(&url).await.unwrap();
    let (calls, keys, balance): (i64, i64, Decimal) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT idempotency_key), (SELECT balance FROM wallets WHERE account_id = $1)
           FROM requests WHERE account_id = $1",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    let n = (CLIENTS * (CALLS_PER_CLIENT + CALLS_AFTER_IDLE)) as i64;
    assert_eq!((calls, keys), (n, n), "every call recorded once");
    assert_eq!(
        balance,
        Decimal::from(100) - Decimal::new(5, 3) * Decimal::from(n),
        "every call charged once"
    );
    pool.close().await;
}

/// The most times one call failed among attempts started at or after `since`.
fn worst_failures_since(calls: &[Vec<Attempt>], since: Instant) -> usize {
    calls.iter().map(|tries| tries.iter().filter(|(at, ok)| *at >= since && !ok).count()).max().unwrap_or(0)
}

/// `CLIENTS` agents making `calls` paid calls each (keys `<tag>-<agent>-<call>`), each call retried after
/// 50 ms until it is answered 201; resolves to every call's attempts.
fn start_agents(
    client: &Client,
    base: &str,
    secret: &str,
    tag: &'static str,
    calls: usize,
) -> impl std::future::Future<Output = Vec<Vec<Attempt>>> {
    let attempts: Arc<Mutex<Vec<Vec<Attempt>>>> = Arc::default();
    let agents: Vec<_> = (0..CLIENTS)
        .map(|agent| {
            let (client, base, secret, attempts) =
                (client.clone(), base.to_string(), secret.to_string(), attempts.clone());
            tokio::spawn(async move {
                for call in 0..calls {
                    let mut tries = Vec::new();
                    loop {
                        let started = Instant::now();
                        let answer = client
                            .post(format!("{base}/v1/requests"))
                            .bearer_auth(&secret)
                            .header("Idempotency-Key", format!("{tag}-{agent}-{call}"))
                            .json(&json!({"service": "exa", "model": "search"}))
                            .send()
                            .await;
                        let ok = answer.is_ok_and(|r| r.status() == StatusCode::CREATED);
                        tries.push((started, ok));
                        if ok {
                            break;
                        }
                        assert!(tries.len() < 200, "a call never got through");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    attempts.lock().unwrap().push(tries);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    async move {
        for agent in agents {
            agent.await.unwrap();
        }
        let attempts = attempts.lock().unwrap();
        attempts.clone()
    }
}
