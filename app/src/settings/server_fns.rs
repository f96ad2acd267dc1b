//! The Settings page's two forms as server functions (form post with JavaScript off, the same post
//! through `public/enhance.js` with it on). Each answers with a redirect to the page and what happened
//! in the query (`?done=password_changed`, `?signed_out=N`), which the page says in its status line.

use leptos::prelude::*;
use tollgate_domain::error::AppError;

#[cfg(feature = "ssr")]
use {
    crate::auth::{limits, password, session},
    crate::server_fn_context::{answer_form, client_ip, pool},
    tollgate_core::accounts::store as db,
    tollgate_domain::accounts::credentials::NewPassword,
};

/// Changes the password after checking the current one, then ends every other session: whoever had
/// the old password (or a session opened with it) is out.
///
/// A wrong current password counts like a failed login for the user's email from this address, so a
/// session left open can't be used to guess it.
#[server(endpoint = "settings/password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    answer_form(async move {
        let user = session::require_user().await?;
        let new_password = NewPassword::parse(&new_password)?;
        let pool = pool()?;
        let ip = client_ip()?;
        limits::admit_login(&pool, ip, &user.email).await?;
        let stored = db::password_hash(&pool, user.user_id).await?;
        if !limits::verify_admitted(&pool, ip, &user.email, &current_password, Some(stored)).await? {
            return Err(AppError::WrongCurrentPassword);
        }
        let hash = password::hash(&new_password).await?;
        db::set_password_hash(&pool, user.user_id, &hash, ip).await?;
        let ended = session::end_other_sessions(&pool, &user).await?;
        tracing::info!(user_id = %user.user_id, ended, "password changed");
        leptos_axum::redirect("/dashboard/settings?done=password_changed");
        Ok(())
    })
    .await
}

/// Ends every session of this user except the one making the request.
#[server(endpoint = "settings/sign-out-others")]
pub async fn sign_out_other_sessions() -> Result<(), AppError> {
    answer_form(async move {
        let user = session::require_user().await?;
        let ended = session::end_other_sessions(&pool()?, &user).await?;
        tracing::info!(user_id = %user.user_id, ended, "other sessions signed out");
        leptos_axum::redirect(&format!("/dashboard/settings?signed_out={ended}"));
        Ok(())
    })
    .await
}
