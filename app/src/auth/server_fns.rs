//! Sign-up, log-in and log-out as server functions. Each works from an `ActionForm` with
//! JavaScript on (fetch, inline error) and off (form post, 302, `?error=` code).

use leptos::prelude::*;
use tollgate_domain::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::{limits, password, return_to::safe_next_path, session},
    crate::server_fn_context::{abuse_settings, answer_form, client_ip, pool},
    tollgate_core::accounts::store as db,
    tollgate_domain::accounts::credentials::{Email, NewPassword},
};

#[server(endpoint = "signup")]
pub async fn sign_up(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    answer_form(async move {
        let email = Email::parse(&email)?;
        let password = NewPassword::parse(&password)?;
        let pool = pool()?;
        limits::admit_signup(&pool, client_ip()?, abuse_settings()?.signups_per_ip_hour).await?;
        let hash = password::hash(&password).await?;
        let user = db::create_user_with_account(&pool, &email, &hash).await?.into();
        session::begin(&pool, &user).await?;
        tracing::info!(user_id = %user.user_id, account_id = %user.account_id, "signed up");
        leptos_axum::redirect(&safe_next_path(next.as_deref()));
        Ok(())
    })
    .await
}

#[server(endpoint = "login")]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    answer_form(async move {
        let pool = pool()?;
        let ip = client_ip()?;
        limits::admit_login(&pool, ip, &email).await?;
        // A malformed email can't have an account: same answer as a wrong password.
        let record = match Email::parse(&email) {
            Ok(email) => db::find_login(&pool, &email).await?,
            Err(_) => None,
        };
        let (user, stored_hash) = match record {
            Some(r) => (Some(r.person.into()), Some(r.password_hash)),
            None => (None, None),
        };
        if !limits::verify_admitted(&pool, ip, &email, &password, stored_hash).await? {
            tracing::info!("login refused");
            return Err(AppError::InvalidCredentials);
        }
        let user = user.ok_or(AppError::InvalidCredentials)?;
        session::begin(&pool, &user).await?;
        tracing::info!(user_id = %user.user_id, "logged in");
        leptos_axum::redirect(&safe_next_path(next.as_deref()));
        Ok(())
    })
    .await
}

#[server(endpoint = "logout")]
pub async fn log_out() -> Result<(), AppError> {
    answer_form(async move {
        session::end().await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}
