//! The user's password hash, read to check the current password and replaced by a new one.

use sqlx::PgPool;
use tollgate_core::audit::{self, Actor, Event};
use tollgate_core::client_ip::ClientIp;
use tollgate_domain::error::AppError;
use uuid::Uuid;

#[tracing::instrument(name = "settings::password_hash", skip(pool))]
pub async fn password_hash(pool: &PgPool, user_id: Uuid) -> Result<String, AppError> {
    sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotSignedIn)
}

/// Replaces the password hash; the change is logged on the person's own (personal) account, since a
/// password belongs to the person, not to any team they are on.
#[tracing::instrument(name = "settings::set_password_hash", skip_all, fields(%user_id))]
pub async fn set_password_hash(
    pool: &PgPool,
    user_id: Uuid,
    hash: &str,
    ip: ClientIp,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let personal: Uuid = sqlx::query_scalar!(
        "UPDATE users u SET password_hash = $2
           FROM memberships m JOIN accounts a ON a.id = m.account_id AND a.kind = 'personal'
          WHERE u.id = $1 AND m.user_id = u.id
          RETURNING a.id",
        user_id,
        hash,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotSignedIn)?;
    audit::record(&mut tx, &Actor::person(personal, user_id, ip), Event::PasswordChanged).await?;
    tx.commit().await?;
    Ok(())
}
