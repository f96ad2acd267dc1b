//! Where clients reach this site, for the links every channel answers with (checkout links, the wallet
//! page, OAuth metadata).

use crate::state::AppState;
use axum::http::{header::HOST, HeaderMap};

/// Where clients reach this site: `TOLLGATE_PUBLIC_URL`, else `http://` + the request's Host.
pub fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    app::oauth::issuer::site_base(state.public_url.as_deref(), host)
}
