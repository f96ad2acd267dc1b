//! The user's password hash, read to check the current password and replaced by a new one.

use crate::error::AppError;
use sqlx::PgPool;
use uuid::Uuid;

#[tracing::instrument(name = "settings::password_hash", skip(pool))]
pub async fn password_hash(pool: &PgPool, user_id: Uuid) -> Result<String, AppError> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotSignedIn)
}

#[tracing::instrument(name = "settings::set_password_hash", skip_all, fields(%user_id))]
pub async fn set_password_hash(pool: &PgPool, user_id: Uuid, hash: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(pool)
        .await?;
    Ok(())
}
