//! Configuration from the environment. Defaults are the safe ones for production; `make run` and
//! `make test` set what a laptop needs (the sandbox processor, the demo seed). The session cookie is
//! `Secure` whenever `TOLLGATE_PUBLIC_URL` is https.

use crate::stripe::settings::StripeSettings;
use ipnet::IpNet;
use std::net::IpAddr;
use std::time::Duration;
use tollgate_core::throttle::AbuseSettings;

/// The largest request body taken (forms and JSON are a few hundred bytes; the key form has its own,
/// smaller, limit). Bigger bodies are answered 413 before they are read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The card processor to run (docs/CONTRACT.md "Card processors"), asked for by name: the sandbox (test
/// cards, no real money; `make run` and `make test`) or Stripe, so a production deployment can't take test
/// cards by accident.
#[derive(Clone, Debug)]
pub enum ProcessorChoice {
    Sandbox,
    Stripe(StripeSettings),
}

impl ProcessorChoice {
    /// Whether real money may move: Stripe with a live key. Then nothing made-up may answer anyone (the
    /// sandbox upstream) and nothing local may be reached (loopback webhook endpoints).
    pub fn is_live(&self) -> bool {
        matches!(self, ProcessorChoice::Stripe(settings) if !settings.is_test_mode())
    }

    /// Whether this is the sandbox processor (test cards, Tollgate's own card form).
    pub fn is_sandbox(&self) -> bool {
        matches!(self, ProcessorChoice::Sandbox)
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`, required (the `make` targets start a private Postgres and set it).
    pub database_url: String,
    /// `TOLLGATE_DB_MAX_CONNECTIONS`, default 20.
    pub db_max_connections: u32,
    /// `TOLLGATE_DB_CONNECT_TIMEOUT_SECS`, default 5: how long start-up waits for Postgres before it
    /// gives up with a clear error.
    pub db_connect_timeout: Duration,
    /// `TOLLGATE_PROCESSOR`, required: `sandbox` or `stripe` (with its `STRIPE_…` settings).
    pub processor: ProcessorChoice,
    /// `TOLLGATE_COOKIE_SECURE`: mark the session cookie `Secure`. Default: on when `TOLLGATE_PUBLIC_URL`
    /// is https, else off (a laptop on http://127.0.0.1).
    pub cookie_secure: bool,
    /// `TOLLGATE_TRUSTED_PROXIES`: comma-separated addresses or networks whose `X-Forwarded-For` names the
    /// client (`server/src/http/client_ip.rs`). Default none: the socket's peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// `TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN` (default 10).
    pub abuse: AbuseSettings,
    /// `TOLLGATE_SEED_DEMO`: create the demo account on a new database. Dev only. Default false.
    pub seed_demo: bool,
    /// `TOLLGATE_SANDBOX_LATENCY_MS`, default 250: how long a sandbox charge takes, like a real network
    /// round trip to a processor (so pending states and double clicks behave as in production).
    pub sandbox_latency: Duration,
    /// `TOLLGATE_ALLOWED_ORIGINS`: comma-separated origins (e.g. `https://tollgate.example`) accepted on
    /// state-changing requests besides the request's own host. Needed behind a proxy that rewrites Host.
    pub allowed_origins: Vec<String>,
    /// `TOLLGATE_PUBLIC_URL`: the site's address as clients reach it (e.g. `https://tollgate.example`), for
    /// absolute links in API answers (`checkout_url`). Default: `http://` + the request's Host.
    pub public_url: Option<String>,
    /// `TOLLGATE_PAGE_CACHE`, default true: answer an unchanged wallet page from memory
    /// (`page_cache.rs`; it is re-rendered as soon as anything it shows changes).
    pub page_cache: bool,
    /// `TOLLGATE_METER_LANES` (default 2, at least 1): how many transactions charging paid calls may run at
    /// once in this process (`tollgate_core::metering::meter`; each batches the calls of many wallets).
    pub meter_lanes: usize,
    /// `TOLLGATE_HEADER_READ_TIMEOUT_SECS` (default 10), `TOLLGATE_SHUTDOWN_DEADLINE_SECS` (default 20) and
    /// `TOLLGATE_IDLE_CONNECTION_SECS` (default 60): how long a client may take to send its headers, what
    /// in-flight requests get at shutdown, and how long a connection may sit idle (`serve.rs`).
    pub serve: crate::http::serve::ServeLimits,
    /// `TOLLGATE_REQUEST_TIMEOUT_SECS` (default 30): a request still unanswered after this gets 503
    /// (the CSV export, which streams, is exempt).
    pub request_timeout: Duration,
    /// `TOLLGATE_WEBHOOK_TIMEOUT_MS` (default 10000): how long an endpoint has to answer a delivery.
    pub webhook_timeout: Duration,
    /// `TOLLGATE_WEBHOOK_FIRST_RETRY_MS` (default 10000): the wait before a failed delivery's first retry;
    /// each later one waits twice as long, at most an hour, for 24 hours (`webhook_sender.rs`).
    pub webhook_first_retry: Duration,
    /// `TOLLGATE_WEBHOOK_ALLOW_LOOPBACK` (default false): webhook endpoints on this machine
    /// (`http://127.0.0.1…`) may be added and are sent to — for development and tests, and only with the
    /// sandbox processor (start-up refuses it otherwise). Never in production: it would let an account reach
    /// local services.
    pub webhook_allow_loopback: bool,
    /// `TOLLGATE_UPSTREAM_OPENAI_URL` and `TOLLGATE_UPSTREAM_OPENAI_KEY`: where the gateway sends OpenAI calls
    /// (docs/CONTRACT.md "Gateway"). Both or neither; neither runs the sandbox upstream, which only the
    /// sandbox processor may run beside.
    pub openai_upstream: Option<Upstream>,
    /// `TOLLGATE_UPSTREAM_ANTHROPIC_URL` (e.g. `https://api.anthropic.com`) and
    /// `TOLLGATE_UPSTREAM_ANTHROPIC_KEY`: the same for Anthropic's calls.
    pub anthropic_upstream: Option<Upstream>,
}

/// A provider's API the gateway forwards to, and the key it sends (never logged or shown).
#[derive(Clone)]
pub struct Upstream {
    /// The API's base, e.g. `https://api.openai.com/v1` (no trailing slash).
    pub base_url: String,
    pub api_key: String,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("base_url", &self.base_url).field("api_key", &"[redacted]").finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("DATABASE_URL is not set (run `make run`, which starts a private PostgreSQL and sets it)")]
    MissingDatabaseUrl,
    #[error(
        "TOLLGATE_PROCESSOR is not set. Set TOLLGATE_PROCESSOR=sandbox for test cards with no real money \
         (`make run` and `make test` do), or TOLLGATE_PROCESSOR=stripe with STRIPE_SECRET_KEY, \
         STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET (README \"Taking real payments\")."
    )]
    NoProcessor,
    #[error("{name} has an invalid value {value:?}: {why}")]
    Invalid { name: &'static str, value: String, why: &'static str },
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can pass their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let database_url =
            lookup("DATABASE_URL").filter(|v| !v.is_empty()).ok_or(ConfigError::MissingDatabaseUrl)?;
        let public_url = lookup("TOLLGATE_PUBLIC_URL")
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty());
        let config = Config {
            database_url,
            db_max_connections: number(&lookup, "TOLLGATE_DB_MAX_CONNECTIONS", 20)?,
            db_connect_timeout: Duration::from_secs(
                number(&lookup, "TOLLGATE_DB_CONNECT_TIMEOUT_SECS", 5)?.into(),
            ),
            processor: processor(&lookup)?,
            cookie_secure: match lookup("TOLLGATE_COOKIE_SECURE") {
                Some(_) => flag(&lookup, "TOLLGATE_COOKIE_SECURE")?,
                None => public_url.as_deref().is_some_and(is_https),
            },
            trusted_proxies: trusted_proxies(&lookup)?,
            abuse: AbuseSettings {
                card_attempts_per_ip_10min: number(&lookup, "TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN", 10)?,
                signups_per_ip_hour: number(&lookup, "TOLLGATE_SIGNUPS_PER_IP_HOUR", 10)?,
            },
            seed_demo: flag(&lookup, "TOLLGATE_SEED_DEMO")?,
            sandbox_latency: Duration::from_millis(lookup("TOLLGATE_SANDBOX_LATENCY_MS").map_or(
                Ok(250),
                |v| {
                    v.trim().parse::<u64>().map_err(|_| ConfigError::Invalid {
                        name: "TOLLGATE_SANDBOX_LATENCY_MS",
                        value: v.clone(),
                        why: "expected a whole number of milliseconds",
                    })
                },
            )?),
            allowed_origins: lookup("TOLLGATE_ALLOWED_ORIGINS")
                .unwrap_or_default()
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|o| !o.is_empty())
                .collect(),
            public_url,
            page_cache: lookup("TOLLGATE_PAGE_CACHE").is_none() || flag(&lookup, "TOLLGATE_PAGE_CACHE")?,
            meter_lanes: number(
                &lookup,
                "TOLLGATE_METER_LANES",
                tollgate_core::metering::meter::DEFAULT_LANES as u32,
            )? as usize,
            serve: crate::http::serve::ServeLimits {
                header_read_timeout: seconds(&lookup, "TOLLGATE_HEADER_READ_TIMEOUT_SECS", 10)?,
                shutdown_deadline: seconds(&lookup, "TOLLGATE_SHUTDOWN_DEADLINE_SECS", 20)?,
                idle_timeout: seconds(&lookup, "TOLLGATE_IDLE_CONNECTION_SECS", 60)?,
            },
            request_timeout: seconds(&lookup, "TOLLGATE_REQUEST_TIMEOUT_SECS", 30)?,
            webhook_timeout: millis(&lookup, "TOLLGATE_WEBHOOK_TIMEOUT_MS", 10_000)?,
            webhook_first_retry: millis(&lookup, "TOLLGATE_WEBHOOK_FIRST_RETRY_MS", 10_000)?,
            webhook_allow_loopback: flag(&lookup, "TOLLGATE_WEBHOOK_ALLOW_LOOPBACK")?,
            openai_upstream: upstream(
                &lookup,
                "TOLLGATE_UPSTREAM_OPENAI_URL",
                "TOLLGATE_UPSTREAM_OPENAI_KEY",
            )?,
            anthropic_upstream: upstream(
                &lookup,
                "TOLLGATE_UPSTREAM_ANTHROPIC_URL",
                "TOLLGATE_UPSTREAM_ANTHROPIC_KEY",
            )?,
        };
        config.refuse_what_live_money_forbids()?;
        Ok(config)
    }

    /// With a live Stripe key nothing made-up answers and nothing local is reached: the gateway needs its
    /// real providers (the sandbox upstream's replies would be charged real money), and webhook endpoints
    /// on this machine are not allowed.
    fn refuse_what_live_money_forbids(&self) -> Result<(), ConfigError> {
        if !self.processor.is_live() {
            return Ok(());
        }
        for (upstream, name) in [
            (&self.openai_upstream, "TOLLGATE_UPSTREAM_OPENAI_URL"),
            (&self.anthropic_upstream, "TOLLGATE_UPSTREAM_ANTHROPIC_URL"),
        ] {
            if upstream.is_none() {
                return Err(ConfigError::Invalid {
                    name,
                    value: String::new(),
                    why:
                        "required with a live Stripe key: without it the sandbox upstream would answer model \
                          calls with made-up replies, charged real money",
                });
            }
        }
        if self.webhook_allow_loopback {
            return Err(ConfigError::Invalid {
                name: "TOLLGATE_WEBHOOK_ALLOW_LOOPBACK",
                value: "true".into(),
                why: "never with a live Stripe key: it would let an account reach this machine's services",
            });
        }
        Ok(())
    }

    /// Whether clients reach the site over https (`TOLLGATE_PUBLIC_URL`): then HSTS is sent.
    pub fn served_over_https(&self) -> bool {
        self.public_url.as_deref().is_some_and(is_https)
    }

    /// The database URL with any password blanked, for logs and error messages.
    pub fn database_url_for_logs(&self) -> String {
        redact_password(&self.database_url)
    }
}

fn processor(lookup: &impl Fn(&str) -> Option<String>) -> Result<ProcessorChoice, ConfigError> {
    match lookup("TOLLGATE_PROCESSOR").as_deref().map(str::trim) {
        None | Some("") => Err(ConfigError::NoProcessor),
        Some("sandbox") => Ok(ProcessorChoice::Sandbox),
        Some("stripe") => {
            StripeSettings::from_lookup(lookup).map(ProcessorChoice::Stripe).map_err(|refused| {
                ConfigError::Invalid { name: refused.name, value: refused.value, why: refused.why }
            })
        }
        Some(other) => Err(ConfigError::Invalid {
            name: "TOLLGATE_PROCESSOR",
            value: other.into(),
            why: "expected `sandbox` or `stripe`",
        }),
    }
}

/// A provider's upstream from its two variables: both set (an http(s) URL and a key) or neither.
fn upstream(
    lookup: &impl Fn(&str) -> Option<String>,
    url_name: &'static str,
    key_name: &'static str,
) -> Result<Option<Upstream>, ConfigError> {
    let set = |name| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    match (set(url_name), set(key_name)) {
        (None, None) => Ok(None),
        (Some(url), Some(api_key)) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url::Url::parse(&url).is_err()
            {
                return Err(ConfigError::Invalid {
                    name: url_name,
                    value: url,
                    why: "expected an http(s) URL",
                });
            }
            Ok(Some(Upstream { base_url: url.trim_end_matches('/').to_string(), api_key }))
        }
        (Some(_), None) => {
            Err(ConfigError::Invalid { name: key_name, value: String::new(), why: "set it with its URL" })
        }
        (None, Some(_)) => {
            Err(ConfigError::Invalid { name: url_name, value: String::new(), why: "set it with its key" })
        }
    }
}

fn trusted_proxies(lookup: &impl Fn(&str) -> Option<String>) -> Result<Vec<IpNet>, ConfigError> {
    lookup("TOLLGATE_TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>().or_else(|_| p.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                ConfigError::Invalid {
                    name: "TOLLGATE_TRUSTED_PROXIES",
                    value: p.into(),
                    why: "expected IP addresses or networks (10.0.0.0/8), comma-separated",
                }
            })
        })
        .collect()
}

fn flag(lookup: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match lookup(name).as_deref().map(str::trim) {
        None | Some("") | Some("0") | Some("false") | Some("no") => Ok(false),
        Some("1") | Some("true") | Some("yes") => Ok(true),
        Some(other) => Err(ConfigError::Invalid { name, value: other.into(), why: "expected true or false" }),
    }
}

fn is_https(url: &str) -> bool {
    url.to_ascii_lowercase().starts_with("https://")
}

fn millis(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
) -> Result<Duration, ConfigError> {
    Ok(Duration::from_millis(number(lookup, name, default)?.into()))
}

fn seconds(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(number(lookup, name, default)?.into()))
}

fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    match lookup(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::Invalid { name, value: v, why: "expected a positive whole number" }),
        },
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    const SANDBOX: (&str, &str) = ("TOLLGATE_PROCESSOR", "sandbox");

    #[test]
    fn defaults_are_safe_for_production() {
        let c = Config::from_lookup(env(&[("DATABASE_URL", "postgres://u:pw@h/db"), SANDBOX])).unwrap();
        assert!(!c.seed_demo && !c.cookie_secure);
        assert_eq!(c.db_max_connections, 20);
        assert!(c.allowed_origins.is_empty() && c.trusted_proxies.is_empty());
        assert_eq!(c.abuse, AbuseSettings { card_attempts_per_ip_10min: 10, signups_per_ip_hour: 10 });
    }

    #[test]
    fn a_providers_upstream_is_its_url_and_key_together_and_its_key_is_never_shown() {
        let base = [("DATABASE_URL", "x"), SANDBOX];
        let none = Config::from_lookup(env(&base)).unwrap();
        assert!(none.openai_upstream.is_none(), "neither: the sandbox upstream");
        let both = [
            base[0],
            base[1],
            ("TOLLGATE_UPSTREAM_OPENAI_URL", "https://api.openai.com/v1/"),
            ("TOLLGATE_UPSTREAM_OPENAI_KEY", "sk-secret"),
        ];
        let upstream = Config::from_lookup(env(&both)).unwrap().openai_upstream.unwrap();
        assert_eq!(upstream.base_url, "https://api.openai.com/v1");
        assert!(!format!("{upstream:?}").contains("sk-secret"), "the key is never logged");
        for (name, value) in [
            ("TOLLGATE_UPSTREAM_OPENAI_URL", "https://api.openai.com/v1"),
            ("TOLLGATE_UPSTREAM_OPENAI_KEY", "sk-secret"),
        ] {
            let err = Config::from_lookup(env(&[base[0], base[1], (name, value)])).unwrap_err().to_string();
            assert!(err.contains("TOLLGATE_UPSTREAM_OPENAI_"), "{err}");
            assert!(!err.contains("sk-secret"), "{err}");
        }
        let bad = [
            base[0],
            base[1],
            ("TOLLGATE_UPSTREAM_OPENAI_URL", "ftp://x"),
            ("TOLLGATE_UPSTREAM_OPENAI_KEY", "k"),
        ];
        assert!(Config::from_lookup(env(&bad)).unwrap_err().to_string().contains("http(s) URL"));
    }

    #[test]
    fn the_sandbox_runs_only_when_asked_for_by_name() {
        let err = Config::from_lookup(env(&[("DATABASE_URL", "x")])).unwrap_err();
        assert!(matches!(err, ConfigError::NoProcessor));
        assert!(err.to_string().contains("TOLLGATE_PROCESSOR=sandbox"), "{err}");
        let other = Config::from_lookup(env(&[("DATABASE_URL", "x"), ("TOLLGATE_PROCESSOR", "paypal")]));
        assert!(other.unwrap_err().to_string().contains("TOLLGATE_PROCESSOR"));
        let stripe = Config::from_lookup(env(&[("DATABASE_URL", "x"), ("TOLLGATE_PROCESSOR", "stripe")]));
        assert!(
            stripe.unwrap_err().to_string().contains("STRIPE_SECRET_KEY"),
            "the missing variable is named"
        );
    }

    const LIVE_STRIPE: [(&str, &str); 5] = [
        ("DATABASE_URL", "x"),
        ("TOLLGATE_PROCESSOR", "stripe"),
        ("STRIPE_SECRET_KEY", "sk_live_abc"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_abc"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
    ];

    #[test]
    fn live_money_refuses_the_sandbox_upstream_and_loopback_webhooks() {
        let err = Config::from_lookup(env(&LIVE_STRIPE)).unwrap_err();
        assert!(err.to_string().contains("TOLLGATE_UPSTREAM_OPENAI_URL"), "{err}");
        let upstreams = [
            ("TOLLGATE_UPSTREAM_OPENAI_URL", "https://api.openai.com/v1"),
            ("TOLLGATE_UPSTREAM_OPENAI_KEY", "sk-o"),
            ("TOLLGATE_UPSTREAM_ANTHROPIC_URL", "https://api.anthropic.com"),
            ("TOLLGATE_UPSTREAM_ANTHROPIC_KEY", "sk-a"),
        ];
        let live: Vec<_> = LIVE_STRIPE.iter().chain(upstreams.iter()).copied().collect();
        let config = Config::from_lookup(env(&live)).unwrap();
        assert!(config.processor.is_live() && !config.processor.is_sandbox());
        let mut loopback = live.clone();
        loopback.push(("TOLLGATE_WEBHOOK_ALLOW_LOOPBACK", "true"));
        let err = Config::from_lookup(env(&loopback)).unwrap_err();
        assert!(err.to_string().contains("TOLLGATE_WEBHOOK_ALLOW_LOOPBACK"), "{err}");
        // Test keys may run beside the sandbox upstream (a Stripe test-mode deployment, make test's double).
        let test: Vec<_> = LIVE_STRIPE.iter().map(|&(k, v)| (k, v.replace("_live_", "_test_"))).collect();
        let test: Vec<(&str, &str)> = test.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(!Config::from_lookup(env(&test)).unwrap().processor.is_live());
    }

    #[test]
    fn the_cookie_is_secure_behind_https_unless_told_otherwise() {
        let https = [("DATABASE_URL", "x"), SANDBOX, ("TOLLGATE_PUBLIC_URL", "https://tollgate.example")];
        assert!(Config::from_lookup(env(&https)).unwrap().cookie_secure);
        let http = [("DATABASE_URL", "x"), SANDBOX, ("TOLLGATE_PUBLIC_URL", "http://127.0.0.1:3000")];
        assert!(!Config::from_lookup(env(&http)).unwrap().cookie_secure);
        let told = [https[0], https[1], https[2], ("TOLLGATE_COOKIE_SECURE", "false")];
        assert!(!Config::from_lookup(env(&told)).unwrap().cookie_secure);
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let c = Config::from_lookup(env(&[
            ("DATABASE_URL", "x"),
            SANDBOX,
            ("TOLLGATE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1"),
        ]))
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        let bad =
            Config::from_lookup(env(&[("DATABASE_URL", "x"), SANDBOX, ("TOLLGATE_TRUSTED_PROXIES", "lb")]));
        assert!(bad.unwrap_err().to_string().contains("TOLLGATE_TRUSTED_PROXIES"));
    }

    #[test]
    fn missing_database_url_and_bad_values_are_explained() {
        assert!(matches!(Config::from_lookup(env(&[])), Err(ConfigError::MissingDatabaseUrl)));
        let bad =
            Config::from_lookup(env(&[("DATABASE_URL", "x"), SANDBOX, ("TOLLGATE_SEED_DEMO", "maybe")]));
        assert!(bad.unwrap_err().to_string().contains("TOLLGATE_SEED_DEMO"));
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_password("postgres://app:s3cret@127.0.0.1:5433/t"),
            "postgres://app:***@127.0.0.1:5433/t"
        );
        assert_eq!(redact_password("postgres:///t?host=/tmp"), "postgres:///t?host=/tmp");
    }
}
