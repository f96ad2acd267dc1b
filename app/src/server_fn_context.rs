//! What a server function finds in Leptos' context for the request it serves (SSR only): the database
//! pool, the card processor and the abuse limits' settings (put there by the server,
//! `server/src/state.rs`), the client's address, and the plain-form (JavaScript off) error path.

use crate::client_ip::ClientIp;
use crate::error::AppError;
use crate::payments::card_testing::Payer;
use crate::payments::processor::PaymentProcessor;
use crate::throttle::AbuseSettings;
use axum::http::{header, request::Parts};
use leptos::prelude::use_context;
use sqlx::PgPool;
use std::sync::Arc;

/// The pool the server put into Leptos' context for this request.
pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| {
        tracing::error!("no PgPool in context: server functions must be served with context");
        AppError::Internal
    })
}

/// The card processor the server put into Leptos' context.
pub fn processor() -> Result<Arc<dyn PaymentProcessor>, AppError> {
    use_context::<Arc<dyn PaymentProcessor>>().ok_or_else(|| {
        tracing::error!("no PaymentProcessor in context");
        AppError::Internal
    })
}

/// The address this request came from (worked out by the server, `server/src/client_ip.rs`).
pub fn client_ip() -> Result<ClientIp, AppError> {
    use_context::<Parts>().and_then(|parts| parts.extensions.get::<ClientIp>().copied()).ok_or_else(|| {
        tracing::error!("no ClientIp on the request: the server's client_ip layer must run first");
        AppError::Internal
    })
}

/// The abuse limits' settings the server put into Leptos' context.
pub fn abuse_settings() -> Result<AbuseSettings, AppError> {
    use_context::<AbuseSettings>().ok_or_else(|| {
        tracing::error!("no AbuseSettings in context");
        AppError::Internal
    })
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
