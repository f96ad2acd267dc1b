//! A login flood against the real `tollgate` binary, from many addresses at once: every password check
//! costs ≈19 MiB, so the server must run only a few at a time and turn the rest away (503 "Busy, retry
//! shortly") instead of starting them all. The test reads the server's peak memory from the kernel and
//! shows the account's owner still gets in during the flood.

use crate::support::{database_url_of, ServerProcess};
use reqwest::{header, Client, StatusCode};
use sqlx::PgPool;
use std::time::Duration;

const FLOOD: usize = 150;
const OWNER_PASSWORD: &str = "owner's own password";

struct Server(ServerProcess);

impl Server {
    async fn start(pool: &PgPool) -> Server {
        let url = database_url_of(pool);
        Server(ServerProcess::start(&url, &[("TOLLGATE_TRUSTED_PROXIES", "127.0.0.1")]).await)
    }

    /// The server's peak resident memory so far (`VmHWM`), in KiB.
    fn peak_memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc status");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    async fn log_in(&self, client: &Client, ip: &str, email: &str, password: &str) -> StatusCode {
        client
            .post(format!("{}/api/login", self.0.base))
            .header("x-forwarded-for", ip)
            .header(header::ORIGIN, &self.0.base)
            .header(header::ACCEPT, "application/json")
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .map(|r| r.status())
            .unwrap_or(StatusCode::BAD_GATEWAY)
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_login_flood_keeps_memory_bounded_and_the_owner_still_gets_in(pool: PgPool) {
    let server = Server::start(&pool).await;
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_up = client
        .post(format!("{}/api/signup", server.0.base))
        .header(header::ORIGIN, &server.0.base)
        .header(header::ACCEPT, "application/json")
        .form(&[("email", "owner@example.com"), ("password", OWNER_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(signed_up.status().is_success());
    // Warm up (the timing-equaliser hash, the pool) so the baseline is the server at rest.
    server.log_in(&client, "192.0.2.1", "nobody@example.com", "warm up 12345").await;
    let at_rest = server.peak_memory_kib();

    // FLOOD wrong passwords at once, each from its own address, so no per-address limit saves the server.
    let flood = (0..FLOOD).map(|i| {
        let (server, client) = (&server, &client);
        async move {
            let ip = format!("10.{}.{}.1", i / 250, i % 250);
            server.log_in(client, &ip, &format!("victim{i}@example.com"), "not the password 1").await
        }
    });
    // Meanwhile the owner logs in from home, retrying as a person would when told to.
    let owner = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        for _ in 0..60 {
            match server.log_in(&client, "198.51.100.1", "owner@example.com", OWNER_PASSWORD).await {
                StatusCode::SERVICE_UNAVAILABLE => tokio::time::sleep(Duration::from_millis(250)).await,
                other => return other,
            }
        }
        StatusCode::SERVICE_UNAVAILABLE
    };
    let (answers, owner) = tokio::join!(futures::future::join_all(flood), owner);

    assert_eq!(owner, StatusCode::OK, "the owner got in during the flood");
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|s| **s != StatusCode::UNAUTHORIZED && **s != StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(unexpected.is_empty(), "every flood answer is 401 or 503: {unexpected:?}");
    let grew_mib = (server.peak_memory_kib() - at_rest) / 1024;
    // Unbounded, 150 checks at ≈19 MiB each would need ≈2.8 GiB; one per core needs a few dozen MiB.
    assert!(grew_mib < 400, "peak memory grew by {grew_mib} MiB during the flood");
    eprintln!(
        "login flood: {} checked, {} turned away, peak memory +{grew_mib} MiB",
        answers.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(),
        answers.iter().filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE).count()
    );
}
