//! Sessions live in Postgres (so they survive restarts and are shared by every app server).

use super::StartupError;
use crate::config::Config;
use sqlx::PgPool;
use tower_sessions::{
    cookie::{time::Duration as CookieDuration, SameSite},
    Expiry, SessionManagerLayer,
};
use tower_sessions_sqlx_store::PostgresStore;

/// The session layer. The cookie is HttpOnly, SameSite=Lax, Secure when configured, and carries only the
/// session id; expired sessions are deleted by the maintenance job (`maintenance`).
pub async fn session_layer(
    pool: &PgPool,
    config: &Config,
) -> Result<SessionManagerLayer<PostgresStore>, StartupError> {
    let store = PostgresStore::new(pool.clone());
    store.migrate().await.map_err(|e| StartupError::Sessions(e.to_string()))?;
    // Expired sessions are deleted by the maintenance job, with the other records that expire.
    crate::workers::maintenance::spawn(pool.clone(), store.clone());
    Ok(SessionManagerLayer::new(store)
        .with_name("tollgate_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(CookieDuration::days(14))))
}
