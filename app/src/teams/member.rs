//! The signed-in person as a member of the account they act for. The session keeps only which account
//! that is; the role and the team's settings are read from the database on every request, so a role
//! change or a removal holds at once, on every server (docs/ARCHITECTURE.md "Teams").

use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::teams::role::{Action, Role};
use uuid::Uuid;

/// A team's facts that decide what its members may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamFacts {
    pub name: String,
    /// "Members can add funds" (off on a new team).
    pub members_can_fund: bool,
}

/// Who acts, for which account, as what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub account_id: Uuid,
    pub role: Role,
    /// `None` on a personal account.
    pub team: Option<TeamFacts>,
}

impl Member {
    pub fn may(&self, action: Action) -> bool {
        self.require(action).is_ok()
    }

    /// `Ok` when this member may do `action`; else the refusal the contract words for it.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        self.role.require(action, self.team.as_ref().is_some_and(|t| t.members_can_fund))
    }

    /// Whether this member may change a thing someone made (a key, a card): their own always (given
    /// `own_action`), anyone's with `any_action`.
    pub fn require_for(&self, made_by: Uuid, own_action: Action, any_action: Action) -> Result<(), AppError> {
        if made_by == self.user_id {
            self.require(own_action)
        } else {
            self.require(any_action)
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::auth::session::{self, SessionUser};
    use tollgate_core::audit::Actor;
    use tollgate_core::client_ip::ClientIp;

    impl Member {
        /// This member on a dashboard page from `ip`, as the audit log records them.
        pub fn actor(&self, ip: ClientIp) -> Actor {
            Actor::person(self.account_id, self.user_id, ip)
        }

        /// This member acting from the address of the request a server function serves.
        pub fn audit_actor(&self) -> Result<Actor, AppError> {
            Ok(self.actor(crate::server_fn_context::client_ip()?))
        }
    }
    use sqlx::PgPool;

    struct MembershipRow {
        account_id: Uuid,
        role: Role,
        kind: String,
        name: String,
        members_can_fund: bool,
    }

    /// The member `user` is on the account their session acts for — or, when that membership is gone
    /// (removed from the team, the team deleted), on their personal account.
    pub async fn resolve(pool: &PgPool, user: &SessionUser) -> Result<Member, AppError> {
        let row: Option<MembershipRow> = sqlx::query_as!(
            MembershipRow,
            r#"SELECT m.account_id, m.role AS "role: Role", a.kind, a.name, a.members_can_fund
               FROM memberships m JOIN accounts a ON a.id = m.account_id
              WHERE m.user_id = $1 AND (m.account_id = $2 OR a.kind = 'personal')
              ORDER BY (m.account_id = $2) DESC, m.created_at
              LIMIT 1"#,
            user.user_id,
            user.account_id,
        )
        .fetch_optional(pool)
        .await?;
        let row = row.ok_or(AppError::NotSignedIn)?;
        Ok(Member {
            user_id: user.user_id,
            email: user.email.clone(),
            account_id: row.account_id,
            role: row.role,
            team: (row.kind == "team")
                .then_some(TeamFacts { name: row.name, members_can_fund: row.members_can_fund }),
        })
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
    /// page, run side by side while it renders) each ask who is signed in; each asking cost a statement,
    /// seven per wallet page (docs/BENCHMARKS.md "P2"). The first asks the database and the others wait
    /// for its answer — a failure too, so a page whose lookup fails (no connection to be had) fails once,
    /// not once per part in turn. The server provides a fresh one for every request
    /// (`server/src/state/mod.rs`), so nothing is remembered between requests.
    #[derive(Clone, Default)]
    pub struct RequestMember(std::sync::Arc<tokio::sync::OnceCell<(SessionUser, Result<Member, AppError>)>>);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, members_can_fund: bool) -> Member {
        Member {
            user_id: Uuid::from_u128(1),
            email: "a@b.test".into(),
            account_id: Uuid::from_u128(2),
            role,
            team: Some(TeamFacts { name: "Acme".into(), members_can_fund }),
        }
    }

    #[test]
    fn a_member_refused_funding_is_told_the_admin_must_enable_it() {
        let err = member(Role::Member, false).require(Action::AddFunds).unwrap_err();
        assert_eq!(err.message(), "Your team's admin must enable adding funds for members.");
        assert_eq!(member(Role::Member, true).require(Action::AddFunds), Ok(()));
        let err = member(Role::Member, true).require(Action::ManageMembers).unwrap_err();
        assert_eq!(err.message(), "You don't have permission to do that.");
    }

    #[test]
    fn own_things_need_the_own_permission_and_others_the_any_permission() {
        let m = member(Role::Member, false);
        assert_eq!(m.require_for(m.user_id, Action::ManageOwnKeys, Action::ManageAnyKey), Ok(()));
        assert_eq!(
            m.require_for(Uuid::from_u128(9), Action::ManageOwnKeys, Action::ManageAnyKey),
            Err(AppError::NotPermitted)
        );
        let admin = member(Role::Admin, false);
        assert_eq!(
            admin.require_for(Uuid::from_u128(9), Action::ManageOwnKeys, Action::ManageAnyKey),
            Ok(())
        );
    }

    #[test]
    fn a_personal_account_is_its_owners_to_do_everything_with() {
        let owner = Member { team: None, ..member(Role::Owner, false) };
        assert!(<Action as strum::IntoEnumIterator>::iter().all(|a| owner.may(a)));
    }
}
