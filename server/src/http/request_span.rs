//! The span every request is logged under (tower_http's `TraceLayer`, at debug level): its method and path,
//! with the secret part of a capability URL replaced and without the query string. An invitation's token
//! (`/invite/{token}`) or a checkout's id (`/checkout/{id}`) is all it takes to join a team or to pay into
//! a wallet (docs/CONTRACT.md), so it must not reach logs read by more people than the link was sent to;
//! a query may carry anything (`next=`, OAuth parameters), so none is logged. `TraceLayer`'s default span
//! logs the whole URI.

use axum::http::Request;
use tracing::Span;

/// Paths whose next segment is a secret.
const CAPABILITY_PREFIXES: &[&str] = &["/invite/", "/checkout/"];

/// The path as logged: a capability URL's secret becomes `[redacted]`.
pub fn logged_path(path: &str) -> String {
    match CAPABILITY_PREFIXES.iter().find(|prefix| path.starts_with(**prefix) && path.len() > prefix.len()) {
        Some(prefix) => format!("{prefix}[redacted]"),
        None => path.to_string(),
    }
}

/// The request's span (see the module docs).
pub fn make_span<B>(req: &Request<B>) -> Span {
    tracing::debug_span!("request", method = %req.method(), path = %logged_path(req.uri().path()), version = ?req.version())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_urls_are_logged_without_their_secret() {
        assert_eq!(logged_path("/invite/tgi_4f9c2a"), "/invite/[redacted]");
        assert_eq!(logged_path("/checkout/cs_7d1e/extra"), "/checkout/[redacted]");
        assert_eq!(logged_path("/invite/"), "/invite/");
        assert_eq!(logged_path("/dashboard/wallet"), "/dashboard/wallet");
        assert_eq!(logged_path("/invitations"), "/invitations");
    }
}
