//! Argon2id password hashing, off the async runtime (a hash takes tens of milliseconds of CPU).

use super::credentials::NewPassword;
use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::LazyLock;

pub async fn hash(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    run_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|err| {
            tracing::error!(error = %err, "argon2 hashing failed");
            AppError::Internal
        })
    })
    .await
}

/// Checks `password` against `stored`. With no stored hash (unknown email) it still does the same work
/// against a dummy hash, so the answer's timing doesn't tell whether an email has an account.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool, AppError> {
    let password = password.to_owned();
    run_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&phc).map_err(|err| {
            tracing::error!(error = %err, "stored password hash is unreadable");
            AppError::Internal
        })?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await
}

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"tollgate-timing-equaliser", &salt)
        .expect("argon2 with default parameters hashes")
        .to_string()
});

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work).await.map_err(|err| {
        tracing::error!(error = %err, "password task panicked");
        AppError::Internal
    })?
}
