//! The rendered wallet page (`GET /dashboard/wallet`, no query), kept per user and answered again while
//! nothing it shows has changed — and never once something has.
//!
//! Each request still reads, in one statement, the fingerprint of everything the page shows
//! (`wallet::db::page_fingerprint`: the row versions of the wallet, the account, the cards and the deposit
//! history) and compares it, with today's date (UTC, for card expiry, and in the account's timezone, for
//! the chart's 30 days), to the copy's. The copy's fingerprint was read *before* it was rendered, so its
//! data are at least that new: a balance moved by a paid call, a deposit, a card change or a new alert
//! threshold changes the fingerprint and the page is rendered afresh. On a match the page costs two
//! statements (session and fingerprint) instead of eight and no rendering (docs/BENCHMARKS.md, P2; a
//! dashboard reloaded or navigated back to is the common case). `TOLLGATE_PAGE_CACHE=false` turns it off.
//!
//! A kept page is answered with a fresh script nonce each time (the kept one replaced in its inline
//! scripts, and its Content-Security-Policy made again), so no nonce is ever sent twice.

use app::auth::session::read_user;
use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};
use chrono::{NaiveDate, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tower_sessions::Session;
use uuid::Uuid;

/// The one page kept: the wallet, as a signed-in user lands on it.
const PATH: &str = "/dashboard/wallet";
/// Users whose page is kept at once (≈25 KB each).
const MAX_PAGES: usize = 2_000;
/// A rendered page larger than this is not kept.
const MAX_KEPT_BYTES: usize = 512 * 1024;
/// What is read of a rendered page at most (it is complete HTML, `SsrMode::Async`; ≈25 KB).
const MAX_READ_BYTES: usize = 16 * 1024 * 1024;

/// What a kept page was rendered from, and the page.
struct Kept {
    fingerprint: String,
    utc_day: NaiveDate,
    local_day: NaiveDate,
    content_type: HeaderValue,
    /// The script nonce the page was rendered with (in its inline scripts' `nonce` attributes).
    nonce: String,
    body: Bytes,
}

pub struct PageCache {
    enabled: bool,
    pages: Mutex<HashMap<Uuid, Kept>>,
}

impl PageCache {
    pub fn new(enabled: bool) -> Self {
        PageCache { enabled, pages: Mutex::default() }
    }

    fn lookup(
        &self,
        user: Uuid,
        fingerprint: &str,
        utc_day: NaiveDate,
        local_day: NaiveDate,
    ) -> Option<Response> {
        let pages = self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let kept = pages.get(&user)?;
        let same = kept.fingerprint == fingerprint && kept.utc_day == utc_day && kept.local_day == local_day;
        same.then(|| page_response(kept))
    }

    fn keep(&self, user: Uuid, kept: Kept) {
        let mut pages = self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if pages.len() >= MAX_PAGES && !pages.contains_key(&user) {
            // Full: make room by forgetting some page (it is simply rendered again when asked for).
            if let Some(other) = pages.keys().next().copied() {
                pages.remove(&other);
            }
        }
        pages.insert(user, kept);
    }
}

fn page_response(kept: &Kept) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    let body = replace_all(&kept.body, kept.nonce.as_bytes(), nonce.as_bytes());
    let mut res = Response::new(Body::from(body));
    res.headers_mut().insert(header::CONTENT_TYPE, kept.content_type.clone());
    if let Ok(policy) = HeaderValue::from_str(&app::shell::content_security_policy(&nonce)) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    res
}

/// The nonce in a page's Content-Security-Policy (`'nonce-…'`).
fn nonce_of(policy: &HeaderValue) -> Option<String> {
    let policy = policy.to_str().ok()?;
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    Some(policy[start..start + len].to_string()).filter(|n| n.len() >= 16)
}

/// `haystack` with every `from` replaced by `to`.
fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

/// Middleware (inside the session layer and the login guard): answers the plain wallet page from the
/// cache when its fingerprint still matches, else renders it and keeps the result.
pub async fn wallet_page(
    State(cache): State<Arc<PageCache>>,
    State(pool): State<PgPool>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let cacheable = cache.enabled
        && req.method() == Method::GET
        && req.uri().path() == PATH
        && req.uri().query().is_none();
    if !cacheable {
        return next.run(req).await;
    }
    let Ok(Some(user)) = read_user(&session).await else {
        return next.run(req).await;
    };
    let Ok((timezone, fingerprint)) = app::wallet::db::page_fingerprint(&pool, user.account_id).await else {
        return next.run(req).await;
    };
    let now = Utc::now();
    let utc_day = now.date_naive();
    let local_day =
        timezone.parse::<chrono_tz::Tz>().map(|tz| now.with_timezone(&tz).date_naive()).unwrap_or(utc_day);
    if let Some(page) = cache.lookup(user.user_id, &fingerprint, utc_day, local_day) {
        return page;
    }

    let res = next.run(req).await;
    let keepable = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && res.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if !keepable {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Some(content_type) = parts.headers.get(header::CONTENT_TYPE).cloned() else {
        return Response::from_parts(parts, Body::empty());
    };
    let nonce = parts.headers.get(header::CONTENT_SECURITY_POLICY).and_then(nonce_of);
    match to_bytes(body, MAX_READ_BYTES).await {
        Ok(body) => {
            if let Some(nonce) = nonce.filter(|_| body.len() <= MAX_KEPT_BYTES) {
                let kept = Kept { fingerprint, utc_day, local_day, content_type, nonce, body: body.clone() };
                cache.keep(user.user_id, kept);
            }
            Response::from_parts(parts, Body::from(body))
        }
        // The render failed midway (the body stream broke): nothing kept, and no half page sent.
        Err(err) => {
            tracing::error!(error = %err, "wallet page render failed");
            let mut res = Response::from_parts(parts, Body::empty());
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            res
        }
    }
}
