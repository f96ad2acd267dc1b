//! Headers every answer carries (docs/ARCHITECTURE.md "HTTP hardening"):
//! - `Content-Security-Policy`: a page brings its own, with the nonce of its inline scripts
//!   (`app::shell`); anything else (JSON, redirects, files) gets one that allows nothing to run or frame it;
//! - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (for browsers without `frame-ancestors`);
//! - `Referrer-Policy: same-origin`: no address of ours leaks to another site. Not `no-referrer`: under
//!   it Chromium sends `Origin: null` on our own form posts, which the cross-site check must refuse;
//! - `Strict-Transport-Security` when the site is served over https (`TOLLGATE_PUBLIC_URL`).

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// For answers that aren't pages: nothing may run, load or frame them.
const NOTHING_RUNS: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Whether to send HSTS (the public URL is https).
#[derive(Clone, Copy)]
pub struct Hsts(pub bool);

pub async fn add_security_headers(State(hsts): State<Hsts>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(NOTHING_RUNS));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if hsts.0 {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}
