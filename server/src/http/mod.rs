//! HTTP itself: serving connections (`serve`), the layers every request passes and `/healthz`.

pub mod client_ip;
pub mod cross_site;
pub mod health;
pub mod login_and_caching;
pub mod request_span;
pub mod security_headers;
pub mod serve;
