//! Delivering webhook events (docs/CONTRACT.md "Webhooks", docs/ARCHITECTURE.md "Webhooks"): at least once,
//! signed like Stripe's, retried with backoff for 24 hours — from any number of servers.
//!
//! A pass leases due deliveries (`FOR UPDATE SKIP LOCKED`, then `next_attempt_at` moved past the request's
//! timeout, the attempt counted and a lease token set, in one statement), sends each in its own task and
//! records its answer as soon as it comes — only if the lease is still its own. At most `IN_FLIGHT` requests
//! at once per server, one per endpoint and two per account across all servers, so an endpoint that never
//! answers holds one slot, and an account's slow endpoints two, not everyone's deliveries. A server that dies
//! mid-request leaves the lease to run out, and the delivery is sent again: at least once, each time with the
//! event's same `id`, so receivers deduplicate on it.
//!
//! Requests never follow redirects (a 3xx is a failed attempt), ignore proxy settings, time out after
//! `timeout` (name resolution included), and go only to public addresses: a host name is resolved here and
//! every address it resolves to is checked before the request, which is then pinned to the checked
//! addresses (so a name can't be re-pointed between check and connect). Loopback only when allowed
//! (`TOLLGATE_WEBHOOK_ALLOW_LOOPBACK`, development and tests).

use chrono::Utc;
use sqlx::PgPool;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tollgate_core::pg_wakeup::run_when_notified;
use tollgate_core::webhooks::deliveries::{self, Leased};
use tollgate_core::webhooks::endpoint_url::is_public;
use tollgate_core::webhooks::outbox::NOTIFY_CHANNEL;
use tollgate_core::webhooks::signature;
use uuid::Uuid;

/// How a server sends.
#[derive(Clone, Copy, Debug)]
pub struct SenderSettings {
    /// Loopback endpoints allowed (the sandbox only).
    pub allow_loopback: bool,
    /// How long an endpoint has to answer.
    pub timeout: Duration,
    /// The wait before the first retry; it doubles each time, up to `MAX_BACKOFF`.
    pub first_retry: Duration,
}

/// Retries stop this long after the event (then the delivery is `failed`; "Resend" still sends it).
const RETRY_FOR: chrono::TimeDelta = chrono::TimeDelta::hours(24);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Requests one server has in flight at most.
const IN_FLIGHT: usize = 16;
/// Without a notification, a pass runs this often (retries come due by time).
const TICK: Duration = Duration::from_secs(1);

/// What one attempt came to.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: Option<u16>,
    error: Option<String>,
}

impl Answer {
    /// An attempt that got no HTTP status, and why (kept short for the delivery log).
    fn failed(error: String) -> Answer {
        Answer { status: None, error: Some(error.chars().take(300).collect()) }
    }

    fn no_answer(timeout: Duration) -> Answer {
        Answer::failed(format!("no answer within {} ms", timeout.as_millis()))
    }

    fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Leases, sends and records due deliveries until none is due and none is in flight. Returns how many
/// attempts were made.
pub async fn run_due(pool: &PgPool, settings: SenderSettings) -> Result<usize, sqlx::Error> {
    let mut in_flight: tokio::task::JoinSet<(Uuid, Result<(), sqlx::Error>)> = tokio::task::JoinSet::new();
    let mut busy: HashSet<Uuid> = HashSet::new();
    let mut sent = 0;
    loop {
        let room = IN_FLIGHT.saturating_sub(in_flight.len());
        let due = if room > 0 {
            deliveries::lease(pool, settings.timeout + Duration::from_secs(30), room, &busy).await?
        } else {
            Vec::new()
        };
        if due.is_empty() {
            if in_flight.is_empty() {
                return Ok(sent);
            }
            // Nothing more to start now: wait for a request to finish (its endpoint may have more due), or
            // look again shortly for deliveries that came due meanwhile.
            tokio::select! {
                finished = in_flight.join_next() => match finished {
                    Some(Ok((endpoint, recorded))) => {
                        busy.remove(&endpoint);
                        recorded?;
                    }
                    Some(Err(failed)) => tracing::error!(error = %failed, "a webhook delivery task failed"),
                    None => {}
                },
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
            continue;
        }
        for delivery in due {
            sent += 1;
            busy.insert(delivery.endpoint_id);
            let pool = pool.clone();
            in_flight.spawn(async move {
                let limit = settings.timeout + Duration::from_secs(5);
                let answer = tokio::time::timeout(limit, send(&delivery, settings))
                    .await
                    .unwrap_or_else(|_| Answer::no_answer(settings.timeout));
                (delivery.endpoint_id, record(&pool, &delivery, &answer, settings).await)
            });
        }
    }
}

/// The event as every delivery of it sends it.
fn body(delivery: &Leased) -> String {
    let data: serde_json::Value = serde_json::from_str(&delivery.data).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "id": delivery.event_id,
        "type": delivery.event_type,
        "created_at": delivery.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "account_id": delivery.account_id,
        "data": data,
    })
    .to_string()
}

async fn send(delivery: &Leased, settings: SenderSettings) -> Answer {
    let failed = Answer::failed;
    let Ok(url) = url::Url::parse(&delivery.url) else { return failed("the endpoint URL is invalid".into()) };
    let Some(port) = url.port_or_known_default() else {
        return failed("the endpoint URL has no port".into());
    };
    let (domain, addresses): (Option<String>, Vec<SocketAddr>) = match url.host() {
        Some(url::Host::Domain(name)) => match tokio::net::lookup_host((name, port)).await {
            Ok(found) => (Some(name.to_string()), found.collect()),
            Err(err) => return failed(format!("the endpoint's name didn't resolve: {err}")),
        },
        Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        None => return failed("the endpoint URL has no host".into()),
    };
    let allowed = |ip: IpAddr| is_public(ip) || (settings.allow_loopback && ip.is_loopback());
    if let Some(refused) = addresses.iter().find(|a| !allowed(a.ip())) {
        return failed(format!("refused: {} is not a public address", refused.ip()));
    }
    if addresses.is_empty() {
        return failed("the endpoint's name has no address".into());
    }
    let mut client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
        .user_agent("Tollgate-Webhooks/1");
    if let Some(domain) = &domain {
        client = client.resolve_to_addrs(domain, &addresses);
    }
    let client = match client.build() {
        Ok(client) => client,
        Err(err) => return failed(format!("no HTTP client: {err}")),
    };
    let body = body(delivery);
    let signed = signature::sign(&delivery.secret, Utc::now().timestamp(), body.as_bytes());
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Tollgate-Signature", signed)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => Answer {
            status: Some(response.status().as_u16()),
            error: (!response.status().is_success())
                .then(|| format!("the endpoint answered {}", response.status().as_u16())),
        },
        Err(err) if err.is_timeout() => Answer::no_answer(settings.timeout),
        Err(err) => failed(format!("the request failed: {err}")),
    }
}

/// The wait before retry number `attempts` (1 after the first failure): `first_retry` doubled each time.
fn backoff(first_retry: Duration, attempts: i32) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    first_retry.saturating_mul(2u32.saturating_pow(doublings)).min(MAX_BACKOFF)
}

async fn record(
    pool: &PgPool,
    delivery: &Leased,
    answer: &Answer,
    settings: SenderSettings,
) -> Result<(), sqlx::Error> {
    let status = answer.status.map(i32::from);
    if answer.delivered() {
        deliveries::mark_delivered(pool, delivery, status).await?;
        return Ok(());
    }
    let wait = backoff(settings.first_retry, delivery.attempts);
    let next = Utc::now() + chrono::TimeDelta::from_std(wait).unwrap_or(RETRY_FOR);
    let gave_up = next > delivery.created_at + RETRY_FOR;
    tracing::info!(delivery = delivery.id, error = ?answer.error, gave_up, "webhook delivery failed");
    deliveries::mark_failed_attempt(pool, delivery, status, answer.error.as_deref(), next, gave_up).await
}

/// This server's sender: woken by a new event's notification (sent at the commit that wrote it) and every
/// `TICK` for retries that came due (`tollgate_core::pg_wakeup`). Ends when the pool closes.
pub fn spawn(pool: PgPool, settings: SenderSettings) {
    let sender_pool = pool.clone();
    tokio::spawn(run_when_notified(pool, NOTIFY_CHANNEL, TICK, "webhook sender", move || {
        let pool = sender_pool.clone();
        async move {
            if let Err(err) = run_due(&pool, settings).await {
                tracing::error!(error = %err, "webhook delivery pass failed");
            }
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_retry_up_to_an_hour() {
        let first = Duration::from_secs(10);
        assert_eq!(backoff(first, 1), Duration::from_secs(10));
        assert_eq!(backoff(first, 2), Duration::from_secs(20));
        assert_eq!(backoff(first, 5), Duration::from_secs(160));
        assert_eq!(backoff(first, 12), MAX_BACKOFF);
        assert_eq!(backoff(first, i32::MAX), MAX_BACKOFF);
    }
}
