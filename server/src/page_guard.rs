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

/// Every answer except static assets is `Cache-Control: no-store`: a balance must never come from a
/// cache (the product guide's "I funded but it still shows zero").
pub async fn no_store(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/pkg/")
        || req.uri().path().rsplit('/').next().is_some_and(|last| last.contains('.'));
    let mut res = next.run(req).await;
    if !is_asset {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
