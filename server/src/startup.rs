//! Start-up in order: connect (or fail clearly), migrate, seed (dev), then route.

use crate::{
    api, config::Config, cross_site, health, key_form, page_cache, page_guard,
    sandbox_processor::SandboxProcessor, usage_export,
};
use app::metering::meter::Meter;
use app::wallet::{add_funds, processor::PaymentProcessor};
use app::{shell, App};
use axum::{
    body::Body,
    extract::{FromRef, Request, State},
    middleware,
    response::IntoResponse,
    routing::{any, get, post},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use sqlx::{postgres::PgPoolOptions, Connection, PgConnection, PgPool};
use std::{sync::Arc, time::Duration};
use tower_sessions::{
    cookie::{time::Duration as CookieDuration, SameSite},
    Expiry, SessionManagerLayer,
};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub processor: Arc<dyn PaymentProcessor>,
    pub allowed_origins: cross_site::AllowedOrigins,
    /// Group commit of metered calls, one queue per wallet (`POST /v1/requests`).
    pub meter: Arc<Meter>,
    /// Remembered spend keys and prices for `POST /v1/requests` (`api::call_cache`).
    pub call_cache: Arc<crate::api::call_cache::CallCache>,
    /// `TOLLGATE_PUBLIC_URL`, for absolute links in API answers.
    pub public_url: Option<String>,
    /// The rendered wallet page per user, while nothing it shows changes (`page_cache`).
    pub page_cache: Arc<crate::page_cache::PageCache>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to PostgreSQL at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("session store set-up failed: {0}")]
    Sessions(String),
    #[error("demo seed failed: {0}")]
    Seed(app::error::AppError),
    #[error("payment processor set-up failed: {0}")]
    Processor(sqlx::Error),
    #[error("recovering pending payments failed: {0}")]
    Recovery(app::error::AppError),
}

/// The card processor (the sandbox: no real one is configured in this build), start-up recovery of Add
/// Funds attempts a crash left between "charged" and "credited", then the demo seed (dev only).
pub async fn payment_processor(
    pool: &PgPool,
    config: &Config,
) -> Result<Arc<dyn PaymentProcessor>, StartupError> {
    let sandbox = SandboxProcessor::install(pool.clone(), config.sandbox_latency)
        .await
        .map_err(StartupError::Processor)?;
    let processor: Arc<dyn PaymentProcessor> = Arc::new(sandbox);
    let recovered = add_funds::recover_pending(pool, &*processor, Duration::ZERO)
        .await
        .map_err(StartupError::Recovery)?;
    if recovered > 0 {
        tracing::warn!(recovered, "settled payment attempts left pending by an earlier stop");
    }
    spawn_pending_sweeper(pool.clone(), processor.clone());
    if config.seed_demo {
        crate::demo_seed::seed_demo_account(pool, &*processor).await.map_err(StartupError::Seed)?;
    }
    Ok(processor)
}

/// Connects to Postgres and runs the migrations. Fails with the (password-free) URL when the database
/// can't be reached within the configured timeout.
pub async fn connect_database(config: &Config) -> Result<PgPool, StartupError> {
    let connect_failed = |source| StartupError::Connect { url: config.database_url_for_logs(), source };
    // One direct connection first: its error names the cause ("connection refused", "password
    // authentication failed"), where the pool would only report a timeout.
    let probe = tokio::time::timeout(config.db_connect_timeout, PgConnection::connect(&config.database_url))
        .await
        .map_err(|_| connect_failed(sqlx::Error::PoolTimedOut))?
        .map_err(connect_failed)?;
    probe.close().await.map_err(connect_failed)?;
    // No ping before each checkout (sqlx's default): it was one extra round trip per query — a wallet page
    // sent 24 messages for its 8 statements. A connection that died (a database restart) fails its next
    // query instead, and the pool replaces it; connections are recycled every 30 minutes anyway.
    let pool = PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(config.db_connect_timeout)
        .test_before_acquire(false)
        .max_lifetime(Duration::from_secs(30 * 60))
        .connect(&config.database_url);
    let pool = tokio::time::timeout(config.db_connect_timeout, pool)
        .await
        .map_err(|_| connect_failed(sqlx::Error::PoolTimedOut))?
        .map_err(connect_failed)?;
    sqlx::migrate!("../migrations").run(&pool).await?;
    Ok(pool)
}

/// Every 30 s, settles attempts pending for over a minute (a charge whose answer was lost while this server
/// kept running), so nobody waits for a restart to see their deposit.
fn spawn_pending_sweeper(pool: PgPool, processor: Arc<dyn PaymentProcessor>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.tick().await;
        loop {
            tick.tick().await;
            match add_funds::recover_pending(&pool, &*processor, Duration::from_secs(60)).await {
                Ok(0) => {}
                Ok(settled) => tracing::warn!(settled, "sweeper settled pending payment attempts"),
                Err(err) => tracing::error!(error = %err, "pending-payment sweep failed"),
            }
        }
    });
}

/// Sessions live in Postgres (so they survive restarts and are shared by every app server); the cookie
/// is HttpOnly, SameSite=Lax, Secure when configured, and carries only the session id.
pub async fn session_layer(
    pool: &PgPool,
    config: &Config,
) -> Result<SessionManagerLayer<PostgresStore>, StartupError> {
    let store = PostgresStore::new(pool.clone());
    store.migrate().await.map_err(|e| StartupError::Sessions(e.to_string()))?;
    tokio::spawn({
        use tower_sessions_core::session_store::ExpiredDeletion;
        let store = store.clone();
        async move {
            if let Err(err) = store.continuously_delete_expired(std::time::Duration::from_secs(600)).await {
                tracing::error!(error = %err, "expired-session clean-up stopped");
            }
        }
    });
    Ok(SessionManagerLayer::new(store)
        .with_name("tollgate_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(CookieDuration::days(14))))
}

/// The whole HTTP surface.
pub fn build_router(
    leptos_options: LeptosOptions,
    pool: PgPool,
    processor: Arc<dyn PaymentProcessor>,
    config: &Config,
    sessions: SessionManagerLayer<PostgresStore>,
) -> Router {
    let state = AppState {
        leptos_options,
        meter: Meter::new(pool.clone()),
        call_cache: Arc::default(),
        pool,
        processor,
        allowed_origins: cross_site::AllowedOrigins(Arc::new(config.allowed_origins.clone())),
        public_url: config.public_url.clone(),
        page_cache: Arc::new(crate::page_cache::PageCache::new(config.page_cache)),
    };
    let routes = generate_route_list(App);
    let context = server_fn_context(&state);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/{*fn_name}", post(server_fn_handler))
        .merge(api::router())
        .route("/v1/{*unknown}", any(api::unknown_route))
        .route("/dashboard/keys", post(key_form::create_key_from_form))
        .route("/dashboard/usage/export.csv", get(usage_export::export_csv))
        .leptos_routes_with_context(&state, routes, context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), page_cache::wallet_page))
        .layer(middleware::from_fn(page_guard::require_login_for_dashboard))
        .layer(sessions)
        .layer(middleware::from_fn(page_guard::no_store))
        .layer(middleware::from_fn_with_state(state.clone(), cross_site::refuse_cross_site_writes))
        // The wasm bundle, scripts, pages and CSV exports travel gzipped when the client accepts it.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(server_fn_context(&state), req).await
}

/// What server functions find in Leptos' context, the same for page renders and direct calls.
pub(crate) fn server_fn_context(state: &AppState) -> impl Fn() + Clone + Send + 'static {
    let (pool, processor) = (state.pool.clone(), state.processor.clone());
    move || {
        provide_context(pool.clone());
        provide_context(processor.clone());
    }
}
