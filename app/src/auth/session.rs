//! Who is signed in. The session (tower-sessions, Postgres store) holds only the ids below; the cookie
//! holds only the session id.

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

const SESSION_USER_KEY: &str = "tollgate.user";

/// The signed-in person and the account they act for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub email: String,
}

async fn current_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        tracing::error!(error = %err, "no session layer on this request");
        AppError::Internal
    })
}

/// The signed-in user, if any. An expired or unknown session is simply "signed out".
pub async fn signed_in_user() -> Result<Option<SessionUser>, AppError> {
    read_user(&current_session().await?).await
}

/// Like [`signed_in_user`], for server functions that only make sense signed in.
pub async fn require_user() -> Result<SessionUser, AppError> {
    signed_in_user().await?.ok_or(AppError::NotSignedIn)
}

pub async fn read_user(session: &Session) -> Result<Option<SessionUser>, AppError> {
    session.get::<SessionUser>(SESSION_USER_KEY).await.map_err(|err| {
        tracing::error!(error = %err, "session store read failed");
        AppError::Internal
    })
}

/// Starts a signed-in session under a **new** session id (so a session id planted before login is
/// worthless after it).
pub async fn begin(user: &SessionUser) -> Result<(), AppError> {
    let session = current_session().await?;
    session.cycle_id().await.map_err(store_failed)?;
    session.insert(SESSION_USER_KEY, user).await.map_err(store_failed)
}

/// Ends the session server-side: the row is deleted, so a copied cookie is worthless too.
pub async fn end() -> Result<(), AppError> {
    current_session().await?.flush().await.map_err(store_failed)
}

fn store_failed(err: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %err, "session store write failed");
    AppError::Internal
}
