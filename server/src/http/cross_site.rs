//! Refuses state-changing requests that another site's page could have made (CSRF).
//!
//! Server functions and form posts authenticate with the session cookie, which the browser attaches to
//! cross-site posts too. So every POST/PUT/PATCH/DELETE must name this site as its `Origin` (or, failing
//! that, its `Referer`). Browsers always send `Origin` on cross-origin posts and can't be made to forge
//! it. Requests without either are refused as well: the dashboard is used from a browser.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::sync::Arc;

/// Origins accepted besides the request's own `Host` (from `TOLLGATE_ALLOWED_ORIGINS`).
#[derive(Clone, Default)]
pub struct AllowedOrigins(pub Arc<Vec<String>>);

pub async fn refuse_cross_site_writes(
    State(allowed): State<AllowedOrigins>,
    req: Request,
    next: Next,
) -> Response {
    if is_safe_method(req.method()) || authenticates_by_bearer(req.uri().path()) {
        return next.run(req).await;
    }
    if same_site(&req, &allowed.0) {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-site write refused");
        (StatusCode::FORBIDDEN, Body::from("This request came from another site and was refused."))
            .into_response()
    }
}

/// `/v1`, `/gateway` and `/mcp` take no cookies, only a bearer credential another site's page doesn't have; OAuth's
/// registration, token and revocation endpoints take only the app's own credentials and codes; Stripe's
/// events are signed with a secret only Stripe has. (The consent form, `/oauth/authorize`, is
/// cookie-authenticated and checked.)
fn authenticates_by_bearer(path: &str) -> bool {
    path.starts_with("/v1/")
        || path.starts_with("/gateway/")
        || matches!(path, "/mcp" | "/oauth/register" | "/oauth/token" | "/oauth/revoke" | "/webhooks/stripe")
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_site(req: &Request, allowed: &[String]) -> bool {
    let header_str = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let claimed = match header_str(header::ORIGIN) {
        Some(origin) => origin.to_ascii_lowercase(),
        None => match header_str(header::REFERER).and_then(origin_of) {
            Some(origin) => origin,
            None => return false,
        },
    };
    if allowed.contains(&claimed) {
        return true;
    }
    // HTTP/1.1 names the site in `Host`; HTTP/2 in the `:authority` pseudo-header, which is the URI's.
    let authority = req.uri().authority().map(|a| a.as_str());
    let Some(host) = header_str(header::HOST).or(authority) else { return false };
    claimed.split_once("://").is_some_and(|(scheme, authority)| {
        matches!(scheme, "http" | "https") && authority == host.to_ascii_lowercase()
    })
}

/// `https://Example.com:8443/a/b?c` → `https://example.com:8443`.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty())
        .then(|| format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http2_post_names_the_site_in_its_authority() {
        let mut post = Request::builder()
            .method("POST")
            .uri("https://tollgate.example:8443/api/login")
            .version(axum::http::Version::HTTP_2)
            .header("origin", "https://tollgate.example:8443")
            .body(Body::empty())
            .unwrap();
        assert!(same_site(&post, &[]));
        post.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
        assert!(!same_site(&post, &[]));
    }

    fn req(method: &str, headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().method(method).uri("/api/login");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn own_origin_passes_and_foreign_origins_do_not() {
        let host = ("host", "127.0.0.1:3000");
        assert!(same_site(&req("POST", &[host, ("origin", "http://127.0.0.1:3000")]), &[]));
        assert!(!same_site(&req("POST", &[host, ("origin", "http://evil.test")]), &[]));
        assert!(!same_site(&req("POST", &[host, ("origin", "http://127.0.0.1:3000.evil.test")]), &[]));
        assert!(!same_site(&req("POST", &[host, ("origin", "null")]), &[]));
        assert!(!same_site(&req("POST", &[host]), &[]));
    }

    #[test]
    fn referer_stands_in_for_a_missing_origin() {
        let host = ("host", "127.0.0.1:3000");
        assert!(same_site(&req("POST", &[host, ("referer", "http://127.0.0.1:3000/login?next=/x")]), &[]));
        assert!(!same_site(&req("POST", &[host, ("referer", "http://evil.test/127.0.0.1:3000")]), &[]));
    }

    #[test]
    fn configured_origins_are_accepted() {
        let allowed = vec!["https://tollgate.example".to_string()];
        assert!(same_site(
            &req("POST", &[("host", "internal:8080"), ("origin", "https://tollgate.example")]),
            &allowed
        ));
    }
}
