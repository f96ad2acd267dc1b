//! What a server function finds in Leptos' context for the request it serves (SSR only): the database
//! pool, the card processor and the abuse limits' settings (put there by the server,
//! `server/src/state/mod.rs`), the client's address, and the plain-form (JavaScript off) error path.

use axum::http::{header, request::Parts};
use leptos::prelude::use_context;
use sqlx::PgPool;
use std::sync::Arc;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::payments::card_testing::Payer;
use tollgate_core::payments::processor::PaymentProcessor;
use tollgate_core::throttle::AbuseSettings;
use tollgate_domain::error::{AppError, Cause};

/// The pool the server put into Leptos' context for this request.
pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| missing("PgPool"))
}

/// The card processor the server put into Leptos' context.
pub fn processor() -> Result<Arc<dyn PaymentProcessor>, AppError> {
    use_context::<Arc<dyn PaymentProcessor>>().ok_or_else(|| missing("PaymentProcessor"))
}

/// Why a value the server provides for every request was not in the context.
#[derive(Debug, PartialEq, Eq)]
enum Missing {
    /// The request's own context is gone too: the client went away while the page rendered, and a part
    /// of it (a resource's server function, spawned as its own task) ran after the render was dropped.
    /// Nobody is waiting for the answer; not a fault of the server.
    RequestEnded,
    /// The request is still there but the value is not: the server did not provide it — a bug.
    NotProvided,
}

/// leptos_axum puts the request's `Parts` into the context of every render and server function, at the
/// same owner as the server's own values: when `Parts` is gone as well, the request has ended.
fn why_missing() -> Missing {
    if use_context::<Parts>().is_none() {
        Missing::RequestEnded
    } else {
        Missing::NotProvided
    }
}

/// The error for a missing context value, logged as what it is: a bug when the server did not provide it,
/// a debug line when the client left before a server function of its page ran (under load, that is every
/// dropped connection mid-render), which has no cause to log.
fn missing(what: &str) -> AppError {
    match why_missing() {
        Missing::NotProvided => {
            AppError::bug("a context value is missing: server functions must be served with context")
        }
        Missing::RequestEnded => {
            tracing::debug!("no {what} in context: the request ended before its server function ran");
            AppError::Internal(Cause::default())
        }
    }
}

/// The request this server function serves (leptos_axum puts its `Parts` into the context). Read through
/// here rather than with `leptos_axum::extract`, so a request that already ended logs as one (`missing`).
pub fn request_parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| missing("request"))
}

/// The address this request came from (worked out by the server, `server/src/http/client_ip.rs`).
pub fn client_ip() -> Result<ClientIp, AppError> {
    request_parts()?.extensions.get::<ClientIp>().copied().ok_or_else(|| {
        AppError::bug("no ClientIp on the request: the server's client_ip layer must run first")
    })
}

/// The abuse limits' settings the server put into Leptos' context.
pub fn abuse_settings() -> Result<AbuseSettings, AppError> {
    use_context::<AbuseSettings>().ok_or_else(|| missing("AbuseSettings"))
}

/// A person paying from this request (the wallet page or a checkout page), for the card-testing limits.
pub fn person_payer() -> Result<Payer, AppError> {
    Ok(Payer::Person { ip: client_ip()?, card_attempts_per_ip: abuse_settings()?.card_attempts_per_ip_10min })
}

/// Runs a server function's body; when it fails on a plain HTML form post (JavaScript off), the browser is
/// sent back to the page it came from with the error's stable code in `?error=`, so that page can show
/// the message. leptos_axum would redirect to the Referer but drop the error. A JSON caller gets the error
/// with its code's HTTP status, given to every server function's error by the server's router.
pub async fn answer_form<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let result = body.await;
    if let Err(err) = &result {
        if let Some(back) = use_context::<Parts>().and_then(|parts| plain_form_return_path(&parts, err)) {
            leptos_axum::redirect(&back);
        }
    }
    result
}

fn plain_form_return_path(parts: &Parts, err: &AppError) -> Option<String> {
    let accepts_html = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !accepts_html {
        return None;
    }
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    Some(with_error_code(&local_part(referer), err))
}

/// `https://host:3000/login?next=%2Fx&error=old` → `/login?next=%2Fx&error=old` (this site only).
fn local_part(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    match after_scheme.find('/') {
        Some(i) if url.contains("://") => after_scheme[i..].to_string(),
        _ if url.starts_with('/') && !url.starts_with("//") => url.to_string(),
        _ => "/".to_string(),
    }
}

/// Replaces any `error=` (and `wait=`) in the query with the new error's; keeps every other parameter
/// (e.g. `next`).
fn with_error_code(path: &str, err: &AppError) -> String {
    let path = path.split_once('#').map_or(path, |(p, _)| p);
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("error=") && !p.starts_with("wait="))
        .map(str::to_string)
        .collect();
    params.push(format!("error={}", err.code()));
    if let Some(minutes) = err.wait_minutes() {
        params.push(format!("wait={minutes}"));
    }
    format!("{base}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::{provide_context, Owner};

    #[test]
    fn a_missing_pool_is_a_bug_only_while_the_request_is_there() {
        let (parts, _) = axum::http::Request::new(()).into_parts();
        let request = Owner::new();
        request.with(|| {
            provide_context(parts);
            assert_eq!(why_missing(), Missing::NotProvided);
            assert!(matches!(pool(), Err(AppError::Internal(_))));
            assert!(request_parts().is_ok());
        });
        // A resource's task whose request was dropped: its owner outlives the request's.
        let resource = request.with(Owner::new);
        drop(request);
        resource.with(|| {
            assert_eq!(why_missing(), Missing::RequestEnded);
            assert!(matches!(pool(), Err(AppError::Internal(_))));
            assert!(matches!(request_parts(), Err(AppError::Internal(_))));
        });
    }

    #[test]
    fn return_path_keeps_next_and_replaces_the_old_error() {
        assert_eq!(
            with_error_code(
                &local_part("http://127.0.0.1:3000/login?next=%2Fdashboard%2Fusage&error=internal"),
                &AppError::InvalidCredentials
            ),
            "/login?next=%2Fdashboard%2Fusage&error=invalid_credentials"
        );
        assert_eq!(
            with_error_code(&local_part("http://h/signup"), &AppError::EmailTaken),
            "/signup?error=email_taken"
        );
        assert_eq!(
            with_error_code(
                &local_part("http://h/login?error=too_many_attempts&wait=9"),
                &AppError::TooManyAttempts { minutes: 3 }
            ),
            "/login?error=too_many_attempts&wait=3"
        );
        assert_eq!(local_part("http://h"), "/");
        assert_eq!(local_part("//evil.test/x"), "/");
    }
}
