//! Connecting to PostgreSQL and migrating it.

use super::StartupError;
use crate::config::Config;
use sqlx::{postgres::PgPoolOptions, Connection, PgConnection, PgPool};
use std::time::Duration;

/// Connects to Postgres and runs the migrations. Fails with the (password-free) URL when the database
/// can't be reached within the configured timeout.
pub async fn connect_database(config: &Config) -> Result<PgPool, StartupError> {
    let connect_failed = |source| StartupError::Connect { url: config.database_url_for_logs(), source };
    // One direct connection first: its error names the cause ("connection refused", "password
    // authentication failed"), where the pool would only report a timeout.
    let probe = tokio::time::timeout(config.db_connect_timeout, PgConnection::connect(&config.database_url))
        .await
        .map_err(|_| connect_failed(sqlx::Error::PoolTimedOut))?
        .map_err(connect_failed)?;
    probe.close().await.map_err(connect_failed)?;
    // No ping before each checkout (sqlx's default): it was one extra round trip per query — a wallet page
    // sent 24 messages for its 8 statements. A connection that died (a database restart) fails its next
    // query instead; from then on every connection opened before that moment is discarded at checkout
    // (`tollgate_domain::pg_liveness`), so a request's retry gets a fresh one. Connections are recycled every 30
    // minutes anyway.
    let pool = PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(config.db_connect_timeout)
        .test_before_acquire(false)
        .before_acquire(|_, meta| {
            Box::pin(async move { Ok(!tollgate_domain::pg_liveness::opened_before_a_loss(meta.age)) })
        })
        .max_lifetime(Duration::from_secs(30 * 60))
        .connect(&config.database_url);
    let pool = tokio::time::timeout(config.db_connect_timeout, pool)
        .await
        .map_err(|_| connect_failed(sqlx::Error::PoolTimedOut))?
        .map_err(connect_failed)?;
    sqlx::migrate!("../migrations").run(&pool).await?;
    Ok(pool)
}
