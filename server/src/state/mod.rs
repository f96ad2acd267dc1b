//! What every handler shares: the pool, the processor, the meter and the caches, and what server
//! functions find in Leptos' context (`AppState::leptos_context`).
//!
//! Axum clones the state for every request that extracts it. Cloning a struct of a dozen shared handles
//! (and a `String`) was about 8% of the server's CPU per paid call (docs/BENCHMARKS.md "P1 across
//! wallets"): every clone and drop bumps reference counts that both cores write. `AppState` is therefore
//! one `Arc` around [`Shared`]: one count per request, and fields read as before through `Deref`.

pub mod call_cache;
pub mod page_cache;

use crate::http::client_ip::TrustedProxies;
use crate::http::cross_site::AllowedOrigins;
use axum::extract::FromRef;
use call_cache::CallCache;
use leptos::prelude::*;
use page_cache::PageCache;
use sqlx::PgPool;
use std::ops::Deref;
use std::sync::Arc;
use tollgate_core::metering::meter::Meter;
use tollgate_core::payments::processor::PaymentProcessor;
use tollgate_core::throttle::AbuseSettings;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts that handlers and layers extract on their own (`State<PgPool>`, leptos_axum's options, the
/// page cache's and the cross-site check's middleware).
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

impl FromRef<AppState> for Arc<PageCache> {
    fn from_ref(state: &AppState) -> Self {
        state.page_cache.clone()
    }
}

impl FromRef<AppState> for AllowedOrigins {
    fn from_ref(state: &AppState) -> Self {
        state.allowed_origins.clone()
    }
}

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub processor: Arc<dyn PaymentProcessor>,
    pub allowed_origins: AllowedOrigins,
    /// Group commit of metered calls, one queue per wallet (`POST /v1/requests`).
    pub meter: Arc<Meter>,
    /// Remembered spend keys and prices for `POST /v1/requests` (`call_cache`).
    pub call_cache: Arc<CallCache>,
    /// `TOLLGATE_PUBLIC_URL`, for absolute links in API answers.
    pub public_url: Option<String>,
    /// The rendered wallet page per user, while nothing it shows changes (`page_cache`).
    pub page_cache: Arc<PageCache>,
    /// Proxies whose `X-Forwarded-For` names the client (`client_ip`).
    pub trusted_proxies: TrustedProxies,
    /// The per-IP limits that are settings (`tollgate_core::throttle`).
    pub abuse: AbuseSettings,
    /// Webhook endpoints on this machine (`http://127.0.0.1…`) may be added
    /// (`TOLLGATE_WEBHOOK_ALLOW_LOOPBACK` with the sandbox processor: development and tests).
    pub allow_loopback_webhooks: bool,
    /// Where the gateway sends OpenAI calls (`None`: the sandbox upstream answers them).
    pub openai_upstream: Option<crate::config::Upstream>,
    /// Where the gateway sends Anthropic calls (`None`: the sandbox upstream).
    pub anthropic_upstream: Option<crate::config::Upstream>,
    /// The gateway's client for providers: no redirects followed, connections kept for reuse.
    pub http: reqwest::Client,
    /// `STRIPE_WEBHOOK_SECRET`, with the Stripe processor: what `/webhooks/stripe` verifies events with.
    pub stripe_webhook_secret: Option<String>,
}

impl AppState {
    /// What server functions find in Leptos' context (`app::server_fn_context`), the same for page renders
    /// and direct calls.
    pub fn leptos_context(&self) -> impl Fn() + Clone + Send + 'static {
        let (pool, processor, abuse) = (self.pool.clone(), self.processor.clone(), self.abuse);
        let public_url = app::oauth::issuer::PublicUrl(self.public_url.clone());
        move || {
            provide_context(pool.clone());
            provide_context(processor.clone());
            provide_context(abuse);
            provide_context(public_url.clone());
            provide_context(app::teams::member::RequestMember::default());
        }
    }
}
