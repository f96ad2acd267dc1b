//! Who is signed in. The session (tower-sessions, Postgres store) holds only the ids below and when the
//! login happened; the cookie holds only the session id. A session ends 30 days after its login at the
//! latest, however active (docs/CONTRACT.md "Limits and account security"), and each one is listed in
//! `user_sessions` so the user can end the others (Settings, or by changing the password).

use axum::extract::FromRequestParts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tollgate_core::accounts::sessions;
use tollgate_domain::error::AppError;
use tower_sessions::Session;
use uuid::Uuid;

const SESSION_USER_KEY: &str = "tollgate.user";
const SIGNED_IN_AT_KEY: &str = "tollgate.signed_in_at";

pub use sessions::SESSION_LIFETIME;

/// The signed-in person and the account they act for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub email: String,
}

impl From<tollgate_core::accounts::store::Person> for SessionUser {
    fn from(person: tollgate_core::accounts::store::Person) -> SessionUser {
        SessionUser { user_id: person.user_id, account_id: person.account_id, email: person.email }
    }
}

/// The request's session, which the server's session layer puts on every request.
async fn current_session() -> Result<Session, AppError> {
    let mut parts = crate::server_fn_context::request_parts()?;
    Session::from_request_parts(&mut parts, &()).await.map_err(|_| {
        AppError::bug("no session layer on this request: the server's session layer must run first")
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

/// The session's user, unless the login is older than [`SESSION_LIFETIME`] (or predates the lifetime's
/// record, which counts as older).
pub async fn read_user(session: &Session) -> Result<Option<SessionUser>, AppError> {
    let read_failed =
        |err: tower_sessions::session::Error| AppError::internal("reading the session store", err);
    let Some(user) = session.get::<SessionUser>(SESSION_USER_KEY).await.map_err(read_failed)? else {
        return Ok(None);
    };
    let signed_in_at = session.get::<DateTime<Utc>>(SIGNED_IN_AT_KEY).await.map_err(read_failed)?;
    Ok(signed_in_at.filter(|at| Utc::now() - *at < SESSION_LIFETIME).map(|_| user))
}

/// Starts a signed-in session under a **new** session id (so a session id planted before login is
/// worthless after it), saved at once so its id can be listed under the user.
pub async fn begin(pool: &PgPool, user: &SessionUser) -> Result<(), AppError> {
    let session = current_session().await?;
    session.cycle_id().await.map_err(store_failed)?;
    session.insert(SESSION_USER_KEY, user).await.map_err(store_failed)?;
    session.insert(SIGNED_IN_AT_KEY, Utc::now()).await.map_err(store_failed)?;
    session.save().await.map_err(store_failed)?;
    let id = session.id().ok_or_else(|| AppError::bug("a saved session has no id"))?;
    sessions::record(pool, &id.to_string(), user.user_id).await
}

/// Makes the current session act for `account_id` (the header's "Account" switch, accepting an invite, or
/// falling back to the personal account when a team membership ended). The caller checked the membership.
pub async fn act_for(account_id: Uuid) -> Result<(), AppError> {
    let session = current_session().await?;
    let Some(user) = read_user(&session).await? else {
        return Err(AppError::NotSignedIn);
    };
    session.insert(SESSION_USER_KEY, SessionUser { account_id, ..user }).await.map_err(store_failed)?;
    session.save().await.map_err(store_failed)
}

/// Ends every session of `user` but the current one, on every server at once (the session rows are
/// deleted); how many were still live.
#[tracing::instrument(name = "session::end_other_sessions", skip_all, fields(user_id = %user.user_id))]
pub async fn end_other_sessions(pool: &PgPool, user: &SessionUser) -> Result<u64, AppError> {
    let current = current_session().await?.id().map(|id| id.to_string()).unwrap_or_default();
    sessions::end_others(pool, user.user_id, &current).await
}

/// Ends the session server-side: the row is deleted, so a copied cookie is worthless too.
pub async fn end() -> Result<(), AppError> {
    current_session().await?.flush().await.map_err(store_failed)
}

fn store_failed(err: tower_sessions::session::Error) -> AppError {
    AppError::internal("writing the session store", err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    async fn session_signed_in(ago: chrono::TimeDelta) -> Session {
        let session = Session::new(None, Arc::new(MemoryStore::default()), None);
        let user = SessionUser { user_id: Uuid::nil(), account_id: Uuid::nil(), email: "a@b.test".into() };
        session.insert(SESSION_USER_KEY, &user).await.unwrap();
        session.insert(SIGNED_IN_AT_KEY, Utc::now() - ago).await.unwrap();
        session
    }

    #[tokio::test]
    async fn a_login_counts_for_thirty_days_however_active_the_session() {
        assert!(read_user(&session_signed_in(chrono::TimeDelta::days(29)).await).await.unwrap().is_some());
        assert!(read_user(&session_signed_in(chrono::TimeDelta::days(30)).await).await.unwrap().is_none());
        // A session from before logins were dated counts as expired.
        let undated = Session::new(None, Arc::new(MemoryStore::default()), None);
        let user = SessionUser { user_id: Uuid::nil(), account_id: Uuid::nil(), email: "a@b.test".into() };
        undated.insert(SESSION_USER_KEY, &user).await.unwrap();
        assert!(read_user(&undated).await.unwrap().is_none());
    }
}
