//! Configuration from the environment, with defaults that suit a laptop. Production sets
//! `TOLLGATE_COOKIE_SECURE=true` behind https and never sets `TOLLGATE_SEED_DEMO`.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`, required (the `make` targets start a private Postgres and set it).
    pub database_url: String,
    /// `TOLLGATE_DB_MAX_CONNECTIONS`, default 20.
    pub db_max_connections: u32,
    /// `TOLLGATE_DB_CONNECT_TIMEOUT_SECS`, default 5: how long start-up waits for Postgres before it
    /// gives up with a clear error.
    pub db_connect_timeout: Duration,
    /// `TOLLGATE_COOKIE_SECURE`: mark the session cookie `Secure` (serve over https). Default false.
    pub cookie_secure: bool,
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
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("DATABASE_URL is not set (run `make run`, which starts a private PostgreSQL and sets it)")]
    MissingDatabaseUrl,
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
        Ok(Config {
            database_url,
            db_max_connections: number(&lookup, "TOLLGATE_DB_MAX_CONNECTIONS", 20)?,
            db_connect_timeout: Duration::from_secs(
                number(&lookup, "TOLLGATE_DB_CONNECT_TIMEOUT_SECS", 5)?.into(),
            ),
            cookie_secure: flag(&lookup, "TOLLGATE_COOKIE_SECURE")?,
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
            public_url: lookup("TOLLGATE_PUBLIC_URL")
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
            page_cache: lookup("TOLLGATE_PAGE_CACHE").is_none() || flag(&lookup, "TOLLGATE_PAGE_CACHE")?,
        })
    }

    /// The database URL with any password blanked, for logs and error messages.
    pub fn database_url_for_logs(&self) -> String {
        redact_password(&self.database_url)
    }
}

fn flag(lookup: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match lookup(name).as_deref().map(str::trim) {
        None | Some("") | Some("0") | Some("false") | Some("no") => Ok(false),
        Some("1") | Some("true") | Some("yes") => Ok(true),
        Some(other) => Err(ConfigError::Invalid { name, value: other.into(), why: "expected true or false" }),
    }
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

    #[test]
    fn defaults_are_safe_for_production() {
        let c = Config::from_lookup(env(&[("DATABASE_URL", "postgres://u:pw@h/db")])).unwrap();
        assert!(!c.seed_demo && !c.cookie_secure);
        assert_eq!(c.db_max_connections, 20);
        assert!(c.allowed_origins.is_empty());
    }

    #[test]
    fn missing_database_url_and_bad_values_are_explained() {
        assert!(matches!(Config::from_lookup(env(&[])), Err(ConfigError::MissingDatabaseUrl)));
        let bad = Config::from_lookup(env(&[("DATABASE_URL", "x"), ("TOLLGATE_SEED_DEMO", "maybe")]));
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
