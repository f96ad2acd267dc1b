//! Response rules for pages: the dashboard needs a session, and nothing with account data is cached.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

/// A signed-out visitor asking for `/dashboard/…` is sent to `/login?next=…` and back after logging in.
/// (This runs before Leptos renders anything, so no account data is ever rendered for nobody.)
pub async fn require_login_for_dashboard(session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // The chat consent page acts for the signed-in person too.
    // The chat consent page acts for the signed-in person too (its form's answer checks for itself).
    let is_consent_page = path == "/oauth/authorize" && req.method() == axum::http::Method::GET;
    let is_dashboard = path == "/dashboard" || path.starts_with("/dashboard/") || is_consent_page;
    if is_dashboard {
        match app::auth::session::read_user(&session).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let here = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or(path);
                return Redirect::to(&app::auth::return_to::login_path(here)).into_response();
            }
            Err(err) => {
                return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, err.message()).into_response()
            }
        }
    }
    next.run(req).await
}

/// Put on the answers `router::static_files` read from the site's directory: only those may be cached.
#[derive(Clone, Copy, Debug)]
pub struct StaticFile;

/// How long an answer may be kept (docs/ARCHITECTURE.md "Static files and caching"):
/// - pages and every other dynamic answer (CSV exports too): `no-store` — a balance must never come from
///   a cache ("I funded but it still shows zero" must never happen: docs/CONTRACT.md "Pages");
/// - a static file at an address that names its content (build-hashed `/pkg/` names, `?v=` of the
///   current file): `public, max-age=31536000, immutable`;
/// - any other static file: `no-cache` (kept, but checked with the server before each use).
pub async fn cache_policy(req: Request, next: Next) -> Response {
    let immutable = app::assets::is_immutable(req.uri().path(), req.uri().query());
    let mut res = next.run(req).await;
    let is_file = res.extensions().get::<StaticFile>().is_some();
    let policy = match (is_file, immutable) {
        (false, _) => "no-store",
        (true, true) if res.status().is_success() => "public, max-age=31536000, immutable",
        (true, _) => "no-cache",
    };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    res
}
