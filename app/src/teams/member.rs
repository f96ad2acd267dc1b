//! The signed-in member a page, a server function or a form post acts as (`tollgate_domain::teams::member`
//! says what they may do; `tollgate_core::teams::membership` reads it).

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::auth::session::{self, SessionUser};
    use sqlx::PgPool;
    use tollgate_core::audit::Actor;
    use tollgate_core::teams::membership;
    use tollgate_domain::error::AppError;
    use tollgate_domain::teams::member::Member;
    use tollgate_domain::teams::role::Action;

    /// `member` acting from the address of the request a server function serves.
    pub fn audit_actor(member: &Member) -> Result<Actor, AppError> {
        Ok(Actor::member(member, crate::server_fn_context::client_ip()?))
    }

    /// The member `user` is on the account their session acts for — or, when that membership is gone
    /// (removed from the team, the team deleted), on their personal account.
    pub async fn resolve(pool: &PgPool, user: &SessionUser) -> Result<Member, AppError> {
        membership::resolve(pool, user.user_id, &user.email, user.account_id).await
    }

    /// The signed-in member a request outside Leptos acts as (a form post the server answers itself, the
    /// CSV export, the consent answer); `None` when signed out.
    pub async fn from_session(
        pool: &PgPool,
        session: &tower_sessions::Session,
    ) -> Result<Option<Member>, AppError> {
        match session::read_user(session).await? {
            Some(user) => Ok(Some(resolve(pool, &user).await?)),
            None => Ok(None),
        }
    }

    /// The signed-in member, for server functions that only make sense signed in. A session whose team
    /// membership ended is moved back to the personal account.
    pub async fn require_member() -> Result<Member, AppError> {
        acting_member(session::require_user().await?).await
    }

    /// A dashboard form's server function, run for the signed-in member: the member is resolved — and, with
    /// an `action`, allowed to do it (docs/CONTRACT.md "Teams") — before `body` runs, and a refusal goes back
    /// to the form the way a plain post expects (`server_fn_context::answer_form`).
    pub async fn as_member<T, Body>(
        action: Option<Action>,
        body: impl FnOnce(Member) -> Body,
    ) -> Result<T, AppError>
    where
        Body: std::future::Future<Output = Result<T, AppError>>,
    {
        crate::server_fn_context::answer_form(async move {
            let member = require_member().await?;
            if let Some(action) = action {
                member.require(action)?;
            }
            body(member).await
        })
        .await
    }

    /// The member the signed-in `user` is, moving their session back to the personal account when the
    /// team membership it acted for ended. Resolved once per request (`RequestMember`).
    pub async fn acting_member(user: SessionUser) -> Result<Member, AppError> {
        let Some(memo) = leptos::prelude::use_context::<RequestMember>() else {
            return resolve_acting(user).await;
        };
        let (asked_for, answer) =
            memo.0.get_or_init(|| async { (user.clone(), resolve_acting(user.clone()).await) }).await;
        if *asked_for == user {
            answer.clone()
        } else {
            // The session changed within this request (it switched accounts): not the remembered one.
            resolve_acting(user).await
        }
    }

    async fn resolve_acting(user: SessionUser) -> Result<Member, AppError> {
        let member = resolve(&crate::server_fn_context::pool()?, &user).await?;
        if member.account_id != user.account_id {
            session::act_for(member.account_id).await?;
        }
        Ok(member)
    }

    /// The member one request acts as, once resolved. A page's server functions (one per part of the
    /// page, run side by side while it renders) each ask who is signed in, and each asking would cost a
    /// statement (docs/BENCHMARKS.md "P2"). The first asks the database and the others wait
    /// for its answer — a failure too, so a page whose lookup fails (no connection to be had) fails once,
    /// not once per part in turn. The server provides a fresh one for every request
    /// (`server/src/state/mod.rs`), so nothing is remembered between requests.
    #[derive(Clone, Default)]
    pub struct RequestMember(std::sync::Arc<tokio::sync::OnceCell<(SessionUser, Result<Member, AppError>)>>);
}
