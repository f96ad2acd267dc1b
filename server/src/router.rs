//! The whole HTTP surface, and the layers every request passes (outermost last): tracing, gzip, the
//! security headers, the 64 KB body limit, the client's address, the cross-site check on writes,
//! `no-store`, sessions, the back office's staff gate, the dashboard's login guard, the request timeout (all but the streaming CSV
//! export), the wallet page cache.

use crate::channels::pages::{
    audit_export, back_office_gate, invite_form, key_form, statement_files, usage_export, webhook_form,
};
use crate::channels::{api, gateway, mcp, oauth, processor_events};
use crate::config::{Config, ProcessorChoice, MAX_BODY_BYTES};
use crate::http::client_ip::{self, TrustedProxies};
use crate::http::security_headers::{self, Hsts};
use crate::http::{cross_site, health, login_and_caching, request_span};
use crate::state::page_cache;
use crate::state::{AppState, Shared};
use app::{shell, App};
use axum::{
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::{Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get, post},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use sqlx::PgPool;
use std::sync::Arc;
use tollgate_core::metering::meter::Meter;
use tollgate_core::payments::processor::PaymentProcessor;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::SessionManagerLayer;

use tower_sessions_sqlx_store::PostgresStore;

/// The router over a started database and processor (`startup`). Serve it with `crate::http::serve::serve`,
/// which puts the peer's address on every request: the abuse limits count by it.
pub fn build_router(
    leptos_options: LeptosOptions,
    pool: PgPool,
    processor: Arc<dyn PaymentProcessor>,
    config: &Config,
    sessions: SessionManagerLayer<PostgresStore>,
) -> Router {
    app::assets::register_site(std::path::Path::new(leptos_options.site_root.as_ref()));
    // What pages allow of the card processor's script (none with the sandbox).
    let processor_script = app::content_security_policy::processor_script_of(&processor.card_entry())
        .map(|(script, _, _)| script);
    let state = AppState::new(Shared {
        leptos_options,
        meter: Meter::with_settings(
            pool.clone(),
            config.meter_lanes,
            tollgate_core::metering::meter::QUEUE_CAPACITY,
        ),
        call_cache: crate::state::call_cache::CallCache::forgetting_edited_keys(pool.clone()),
        pool,
        processor,
        allowed_origins: cross_site::AllowedOrigins(Arc::new(config.allowed_origins.clone())),
        public_url: config.public_url.clone(),
        page_cache: Arc::new(page_cache::PageCache::new(config.page_cache, processor_script)),
        trusted_proxies: TrustedProxies(Arc::new(config.trusted_proxies.clone())),
        abuse: config.abuse,
        allow_loopback_webhooks: config.webhook_allow_loopback
            && matches!(config.processor, ProcessorChoice::Sandbox),
        openai_upstream: config.openai_upstream.clone(),
        anthropic_upstream: config.anthropic_upstream.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default(),
        stripe_webhook_secret: match &config.processor {
            ProcessorChoice::Stripe(settings) => Some(settings.webhook_secret.clone()),
            ProcessorChoice::Sandbox => None,
        },
    });
    let routes = route_list();
    let context = state.leptos_context();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/{*fn_name}", post(server_fn_handler))
        .merge(api::router())
        .route("/v1/{*unknown}", any(api::unknown_route))
        .merge(mcp::router(&state))
        .merge(oauth::router())
        .route(
            "/dashboard/keys",
            post(key_form::create_key_from_form).layer(DefaultBodyLimit::max(key_form::MAX_FORM_BYTES)),
        )
        .route(
            "/dashboard/keys/{key_id}/edit",
            post(key_form::update_key_from_form).layer(DefaultBodyLimit::max(key_form::MAX_FORM_BYTES)),
        )
        .route(
            "/dashboard/settings",
            post(webhook_form::add_endpoint_from_form)
                .layer(DefaultBodyLimit::max(webhook_form::MAX_FORM_BYTES)),
        )
        .route(
            "/dashboard/team",
            post(invite_form::create_invite_from_form)
                .layer(DefaultBodyLimit::max(invite_form::MAX_FORM_BYTES)),
        )
        .leptos_routes_with_context(&state, routes, context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(static_files)
        .layer(middleware::from_fn(server_fn_errors_with_their_own_status))
        .layer(middleware::from_fn_with_state(state.clone(), page_cache::wallet_page))
        // Everything above answers within the request timeout; the export below streams for as long as
        // the download takes.
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, config.request_timeout))
        .route("/dashboard/usage/export.csv", get(usage_export::export_csv))
        .route("/dashboard/statements/{file}", get(statement_files::download))
        .route("/dashboard/audit/export.csv", get(audit_export::export_csv))
        .merge(gateway::router())
        .merge(processor_events::router())
        .layer(middleware::from_fn(login_and_caching::require_login_for_dashboard))
        .layer(middleware::from_fn_with_state(state.clone(), back_office_gate::staff_only))
        .layer(sessions)
        .layer(middleware::from_fn(login_and_caching::cache_policy))
        .layer(middleware::from_fn_with_state(state.clone(), cross_site::refuse_cross_site_writes))
        .layer(middleware::from_fn_with_state(state.trusted_proxies.clone(), client_ip::attach_client_ip))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            Hsts(config.served_over_https()),
            security_headers::add_security_headers,
        ))
        // The wasm bundle, scripts, pages and CSV exports travel gzipped when the client accepts it.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(request_span::make_span))
        .with_state(state)
}

/// The app's routes, listed once per process. Listing them runs the whole app once with resource loading
/// suppressed by a process-global flag (Leptos' `SuppressResourceLoad`): a page render whose resource first
/// polls while another router is being built in the same process waits forever (leptos-rs/leptos#4773).
/// A server builds one router before it serves, but the test binary builds one per test while other
/// tests' pages render — those were the rare 30-second stalls answered 503 by the request timeout.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The site's files (`/pkg/*`, scripts, styles) straight from disk, and the app's "Not found" page for
/// anything else. Files don't go through `leptos_axum::file_and_error_handler`: it moves the headers of
/// whatever Leptos response options its new reactive owner finds into the file's response, and while a
/// page on the same worker thread was waiting on the database that could be the *page's* options — the
/// file took the page's Content-Security-Policy (its script nonce) and the page went out with the
/// files' `default-src 'none'`, unstyled and dead (about 1 in 20 page loads beside a file request).
async fn static_files(State(state): State<AppState>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let files =
            ServeDir::new(state.leptos_options.site_root.as_ref()).append_index_html_on_directories(false);
        let probe = Request::from_parts(parts.clone(), Body::empty());
        let Ok(res) = files.oneshot(probe).await;
        if res.status() != StatusCode::NOT_FOUND {
            let mut res = res.map(Body::new);
            res.extensions_mut().insert(login_and_caching::StaticFile);
            return res;
        }
    }
    let not_found = leptos_axum::file_and_error_handler::<AppState, _>(shell);
    not_found(parts.uri.clone(), State(state), Request::from_parts(parts, body)).await
}

/// `POST /api/<endpoint>` of an endpoint no server function has (each one's own route is registered by
/// `leptos_routes_with_context`): Leptos' own "not found" answer for it.
async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(state.leptos_context(), req).await
}

/// Leptos answers every server function's error with 500; the error's body is its stable code (one
/// `AppError`, docs/CONTRACT.md "Errors and their codes"). This layer, over every route, gives that answer
/// the code's own status — 401 for a wrong password, 404 for another account's id, 400 for a wrong amount
/// — so monitoring counts only our own failures as server errors. The one place that does it, for every
/// server function: the ones that read as well as the forms.
async fn server_fn_errors_with_their_own_status(req: Request<Body>, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key("serverfnerror") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // An error body is a code (or a code and a wait): a few bytes; anything larger is not ours to read.
    let Ok(bytes) = axum::body::to_bytes(body, 4096).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(err) = serde_json::from_slice::<tollgate_domain::error::AppError>(&bytes) {
        parts.status = err.status_code();
    }
    Response::from_parts(parts, Body::from(bytes))
}
