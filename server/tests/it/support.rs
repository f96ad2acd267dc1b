//! `spawn_app`: the real router on a random local port, on the test's own migrated database.

use leptos::config::LeptosOptions;
use reqwest::{header, redirect, Client, Response};
use rust_decimal::Decimal;
use server::{build_router, prepare_payments, session_layer, Config};
use sqlx::PgPool;
use std::net::{IpAddr, Ipv4Addr};
use tollgate_core::client_ip::ClientIp;
use tollgate_core::payments::card_testing::Payer;
use uuid::Uuid;

/// The Add Funds form for a new Visa card the sandbox approves ($25, saved), as the page posts it.
pub const NEW_CARD_FORM: [(&str, &str); 7] = [
    ("amount", "25"),
    ("card", "new"),
    ("card_number", "4242 4242 4242 4242"),
    ("expiry", "12/30"),
    ("cvc", "123"),
    ("postal_code", "10001"),
    ("save_card", "on"),
];

/// The wallet balance as stored.
pub async fn balance_of(pool: &PgPool, account: Uuid) -> Decimal {
    sqlx::query_scalar("SELECT balance FROM wallets WHERE account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub client: Client,
    /// The server's own pool, closed when the last handle to this app goes.
    pub server_pool: std::sync::Arc<ServerPool>,
}

/// The pool of the app under test. When the test ends (the last `TestApp` handle to it is dropped) it is
/// closed, so sqlx::test can drop the test's database at once: PostgreSQL waits up to 5 s for sessions still
/// on a database before refusing to drop it.
pub struct ServerPool(PgPool);

impl Drop for ServerPool {
    fn drop(&mut self) {
        let pool = self.0.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { pool.close().await });
        }
    }
}

/// A person paying from 127.0.0.1, with a per-IP card-attempt limit no test reaches unless it means to.
pub const PERSON: Payer =
    Payer::Person { ip: ClientIp::new(IpAddr::V4(Ipv4Addr::LOCALHOST)), card_attempts_per_ip: 1_000_000 };

/// The server's configuration in tests: the sandbox with no latency, a per-IP card-attempt limit that a
/// test suite making many deposits from one address doesn't reach, and `settings` on top (e.g. a lower limit to test it).
pub fn test_config(settings: &[(&str, &str)]) -> Config {
    let settings: Vec<(String, String)> =
        settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(move |name| {
        if let Some((_, v)) = settings.iter().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        match name {
            "DATABASE_URL" => Some("postgres://unused-in-tests".into()),
            "TOLLGATE_PROCESSOR" => Some("sandbox".into()),
            "TOLLGATE_SANDBOX_LATENCY_MS" => Some("0".into()),
            "TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN" => Some("100000".into()),
            "TOLLGATE_SIGNUPS_PER_IP_HOUR" => Some("100000".into()),
            // Webhook tests' receivers listen on 127.0.0.1.
            "TOLLGATE_WEBHOOK_ALLOW_LOOPBACK" => Some("true".into()),
            _ => None,
        }
    })
    .expect("test config")
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, &[]).await
}

/// `spawn_app` with settings of the test's own (see `test_config`).
pub async fn spawn_app_with(pool: PgPool, settings: &[(&str, &str)]) -> TestApp {
    spawn_app_serving(pool, settings, "target/site").await
}

/// `spawn_app_with` serving the site's files from `site_root`.
pub async fn spawn_app_serving(pool: PgPool, settings: &[(&str, &str)], site_root: &str) -> TestApp {
    let config = test_config(settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let options =
        LeptosOptions::builder().output_name("tollgate").site_addr(addr).site_root(site_root).build();
    let app_pool = app_pool(&pool).await;
    let sessions = session_layer(&app_pool, &config).await.expect("sessions");
    let processor = prepare_payments(&app_pool, &config).await.expect("processor");
    let router = build_router(options, app_pool.clone(), processor, &config, sessions);
    tokio::spawn(server::serve(listener, router, config.serve, std::future::pending()));
    let server_pool = std::sync::Arc::new(ServerPool(app_pool));
    TestApp { base: format!("http://{addr}"), pool, client: browser_like_client(), server_pool }
}

/// The app's own pool on the test's database, set up as the server sets up its pool
/// (`server/src/startup/database.rs`: no ping per checkout, a 5 s wait for a connection) rather than
/// sqlx::test's (5 connections, borrowed from a pool shared by every test of the run, a 30 s wait). Under a
/// loaded CI machine the shared one once left a page waiting its whole 30 s, which the request timeout
/// answered with 503.
async fn app_pool(test_pool: &PgPool) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .test_before_acquire(false)
        .connect_with((*test_pool.connect_options()).clone())
        .await
        .expect("the app's pool connects to the test database")
}

pub fn browser_like_client() -> Client {
    Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap()
}

impl TestApp {
    /// Another handle to the same app (another browser gets its own `client`).
    pub fn clone_handle(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            pool: self.pool.clone(),
            client: self.client.clone(),
            server_pool: self.server_pool.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A plain HTML form post from one of our own pages (JavaScript off), as Chromium sends it.
    pub async fn post_form(&self, path: &str, from_page: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header(header::ORIGIN, &self.base)
            .header(header::REFERER, self.url(from_page))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Response {
        self.post_form("/api/signup", "/signup", &[("email", email), ("password", password), ("next", "")])
            .await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Response {
        self.post_form("/api/login", "/login", &[("email", email), ("password", password), ("next", "")])
            .await
    }

    /// A server function call as the hydrated app makes it (JSON answer, no redirect).
    pub async fn call(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.call_from("127.0.0.1", path, fields).await
    }

    /// `call` as relayed by a proxy for the client at `client_ip` (believed only when the app trusts
    /// 127.0.0.1 as a proxy: `TOLLGATE_TRUSTED_PROXIES`).
    pub async fn call_from(
        &self,
        client_ip: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let res = self
            .client
            .post(self.url(path))
            .header("x-forwarded-for", client_ip)
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "application/json")
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&self.pool).await.unwrap()
    }
}

pub fn location(res: &Response) -> String {
    res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

pub fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("tollgate_session="))
}

/// The URL of a `#[sqlx::test]` database (made on the server `DATABASE_URL` names), for a process of its own.
pub fn database_url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let (server, _) = base.rsplit_once('/').expect("a database URL has a path");
    format!("{server}/{}", pool.connect_options().get_database().expect("sqlx::test names its database"))
}

/// The real `tollgate` binary on a free port, killed when dropped (tests of the process itself: memory,
/// crashes, database restarts).
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts it on `database_url` with the sandbox processor and `settings`, and waits until it is healthy.
    pub async fn start(database_url: &str, settings: &[(&str, &str)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"));
        command
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("TOLLGATE_PROCESSOR", "sandbox")
            .env("RUST_LOG", "error")
            .envs(settings.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let server = ServerProcess {
            child: command.spawn().expect("the server binary starts"),
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if reqwest::get(format!("{}/healthz", server.base)).await.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the server did not become healthy");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Credits `dollars` to the account's wallet through the ledger, as a deposit would.
pub async fn deposit(pool: &PgPool, account_id: Uuid, dollars: i64) {
    use tollgate_core::ledger::{self, Posting};
    use tollgate_domain::ledger::EntryKind;
    let mut tx = pool.begin().await.unwrap();
    let posting = Posting {
        account_id,
        kind: EntryKind::Deposit,
        amount: Decimal::from(dollars),
        reference: "test",
        at: None,
    };
    ledger::post(&mut tx, posting).await.unwrap();
    tx.commit().await.unwrap();
}

/// Sandbox cards the tests save (docs/CONTRACT.md "Sandbox card processor"): one that always succeeds, and
/// one that is declined for its billing address unless the postal code is 94107.
pub const VISA: &str = "4242424242424242";
pub const ADDRESS_CHECKED: &str = "4000000000000010";

/// A new card with `number` (expiry 12/40, postal code 10001), as the Add Funds form sends it.
pub fn new_card(number: &str) -> tollgate_domain::payments::new_card::NewCard {
    use tollgate_domain::payments::card::{CardNumber, Cvc, Expiry, PostalCode};
    tollgate_domain::payments::new_card::NewCard {
        number: CardNumber::parse(number).unwrap(),
        expiry: Expiry::parse("12/40").unwrap(),
        cvc: Cvc::parse("123").unwrap(),
        postal_code: PostalCode::parse("10001").unwrap(),
    }
}

/// A first deposit of $10 with `number` (billing postal code 10001), saved as the default card — saved even
/// when that first charge is declined, with the decline as its error.
pub async fn save_card(
    pool: &PgPool,
    processor: &dyn tollgate_core::payments::processor::PaymentProcessor,
    number: &str,
    account: Uuid,
) -> Uuid {
    use tollgate_core::payments::add_funds::{self, CardChoice};
    let card = new_card(number);
    let amount = tollgate_domain::money::TopUpAmount::parse("10").unwrap();
    let draft = add_funds::start_draft(
        pool,
        processor,
        account,
        amount,
        CardChoice::New { card, save: true },
        PERSON,
        None,
    )
    .await
    .unwrap();
    let done = add_funds::confirm(pool, processor, account, draft.id, PERSON, None).await.unwrap();
    done.payment_method_id.unwrap()
}

/// The account a person signed up with (their only one, in tests that don't make teams).
pub async fn account_of(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar(
        "SELECT m.account_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The person who owns `account_id` (its first Owner): who a key made in a test belongs to.
pub async fn owner_of(pool: &PgPool, account_id: Uuid) -> Uuid {
    sqlx::query_scalar("SELECT user_id FROM memberships WHERE account_id = $1 AND role = 'owner' ORDER BY created_at LIMIT 1")
        .bind(account_id)
        .fetch_one(pool)
        .await
        .expect("the account has an owner")
}

/// The owner of `account_id` acting on a dashboard page from 127.0.0.1, as the audit log records them.
pub async fn owner_actor(pool: &PgPool, account_id: Uuid) -> tollgate_core::audit::Actor {
    let localhost = tollgate_core::client_ip::ClientIp::new(std::net::Ipv4Addr::LOCALHOST.into());
    tollgate_core::audit::Actor::person(account_id, owner_of(pool, account_id).await, localhost)
}

/// The owner of `account_id` pausing, resuming or revoking one of its keys on the Keys page.
pub async fn change_key(
    pool: &PgPool,
    account_id: Uuid,
    key_id: Uuid,
    change: tollgate_core::keys::db::StatusChange,
) -> Result<(), tollgate_domain::error::AppError> {
    tollgate_core::keys::db::change_status(pool, &owner_actor(pool, account_id).await, key_id, change).await
}

/// A spend key made by the owner of `account_id`, as the Keys page makes one.
pub async fn owner_key(
    pool: &PgPool,
    account_id: Uuid,
    settings: &tollgate_domain::keys::settings::KeySettings,
) -> Result<tollgate_domain::keys::settings::CreatedKey, tollgate_domain::error::AppError> {
    tollgate_core::keys::db::create(pool, &owner_actor(pool, account_id).await, settings).await
}

/// The migrations before the one named `name` (its file name after the timestamp), in order, and that one,
/// as files: a migration's test runs the schema before it, writes rows as that schema held them, then runs it.
pub fn migration_files(name: &str) -> (Vec<std::path::PathBuf>, std::path::PathBuf) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let suffix = format!("_{name}.sql");
    let at = files.iter().position(|f| f.to_string_lossy().ends_with(&suffix)).unwrap();
    let this = files[at].clone();
    files.truncate(at);
    (files, this)
}

/// Runs migration files as they are (no `_sqlx_migrations` bookkeeping: the test database is thrown away).
pub async fn run_migration_files(pool: &PgPool, files: &[std::path::PathBuf]) {
    for file in files {
        sqlx::raw_sql(&std::fs::read_to_string(file).unwrap()).execute(pool).await.unwrap();
    }
}

/// A small deterministic generator (xorshift) for tests that draw random histories, so a failing seed can
/// be replayed.
pub struct Rng(pub u64);

impl Rng {
    /// The next number below `below`.
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}
