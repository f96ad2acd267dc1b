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
use app::content_security_policy::{content_security_policy, ProcessorScript};
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
    /// The page cut at each place its script nonce stood (the inline scripts' `nonce` attributes), once
    /// when kept, so each answer only joins the pieces around a fresh nonce.
    pieces: Vec<Bytes>,
}

pub struct PageCache {
    enabled: bool,
    pages: Mutex<HashMap<Uuid, Kept>>,
    processor_script: Option<ProcessorScript>,
}

impl PageCache {
    /// `processor_script`: what a page allows of the card processor's script (a kept page's policy is
    /// written again with a new nonce).
    pub fn new(enabled: bool, processor_script: Option<ProcessorScript>) -> Self {
        PageCache { enabled, pages: Mutex::default(), processor_script }
    }

    fn lookup(
        &self,
        user: Uuid,
        fingerprint: &str,
        utc_day: NaiveDate,
        local_day: NaiveDate,
    ) -> Option<Response> {
        let (content_type, pieces) = {
            let pages = self.pages.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let kept = pages.get(&user)?;
            let same =
                kept.fingerprint == fingerprint && kept.utc_day == utc_day && kept.local_day == local_day;
            if !same {
                return None;
            }
            (kept.content_type.clone(), kept.pieces.clone())
        };
        Some(page_response(content_type, &pieces, self.processor_script.as_ref()))
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

fn page_response(
    content_type: HeaderValue,
    pieces: &[Bytes],
    processor: Option<&ProcessorScript>,
) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    let body = pieces.join(nonce.as_bytes());
    let mut res = Response::new(Body::from(body));
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(&nonce, processor)) {
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

/// `body` cut at every `nonce` (the nonce itself left out): joined around a fresh nonce it is the page again.
fn cut_at(body: &Bytes, nonce: &[u8]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at + nonce.len() <= body.len() {
        if &body[at..at + nonce.len()] == nonce {
            pieces.push(body.slice(start..at));
            at += nonce.len();
            start = at;
        } else {
            at += 1;
        }
    }
    pieces.push(body.slice(start..));
    pieces
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
    // The account the session acts for and the role there (a role or team change changes the page).
    let Ok(member) = app::teams::member::resolve(&pool, &user).await else {
        return next.run(req).await;
    };
    let Ok((timezone, fingerprint)) =
        tollgate_core::reads::wallet::page_fingerprint(&pool, member.account_id, member.user_id).await
    else {
        return next.run(req).await;
    };
    let fingerprint = format!("{}|{}|{fingerprint}", member.account_id, member.role.as_str());
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
                let pieces = cut_at(&body, nonce.as_bytes());
                cache.keep(user.user_id, Kept { fingerprint, utc_day, local_day, content_type, pieces });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_page_joined_around_a_new_nonce_has_it_wherever_the_old_one_was() {
        let page = Bytes::from_static(
            b"<script nonce=\"OLD\">a</script><p>b</p><script nonce=\"OLD\">c</script>OLD",
        );
        let pieces = cut_at(&page, b"OLD");
        assert_eq!(pieces.len(), 4);
        assert_eq!(
            pieces.join(&b"NEW"[..]),
            b"<script nonce=\"NEW\">a</script><p>b</p><script nonce=\"NEW\">c</script>NEW"
        );
        assert_eq!(cut_at(&Bytes::from_static(b"no nonce"), b"OLD").join(&b"NEW"[..]), b"no nonce");
    }
}
