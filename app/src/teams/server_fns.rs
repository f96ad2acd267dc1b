//! Team server functions. Each checks the member's role on the server (`Member::require`) before it acts; the
//! page hiding a button is only a courtesy. Creating an invite link is not one of them: its form posts to
//! `POST /dashboard/team` (server/src/channels/pages/invite_form.rs), which shows the link in that one
//! response.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::teams::member::Member;
use tollgate_domain::teams::view::{AccountChoice, CreatedInvite, InvitePreview, TeamView};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    super::member::{acting_member, as_member, require_member},
    crate::auth::session,
    crate::server_fn_context::{client_ip, pool},
    tollgate_core::teams::store as db,
    tollgate_domain::teams::role::{Action, Role},
    tollgate_domain::teams::view::{MonthlyBudget, TeamName},
};

/// What the pages may know about the signed-in person: who, the account they act for, and the accounts
/// they may switch to (the header's "Account").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub email: String,
    pub account_id: Uuid,
    pub accounts: Vec<AccountChoice>,
}

impl CurrentUser {
    pub fn on_team(&self) -> bool {
        self.accounts.iter().any(|a| a.id == self.account_id && a.is_team)
    }
}

/// Who is signed in (`None`: nobody), for the dashboard's header.
#[server(endpoint = "me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let Some(user) = session::signed_in_user().await? else { return Ok(None) };
    let member = acting_member(user).await?;
    let accounts = db::accounts_of(&pool()?, member.user_id).await?;
    Ok(Some(CurrentUser { email: member.email, account_id: member.account_id, accounts }))
}

/// The invite link a form post just made, put into the render of that response only.
#[derive(Clone, Debug)]
pub struct JustCreatedInvite(pub CreatedInvite);

/// The team page's data: who is looking (and as what), and the team when the account is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamPage {
    pub viewer: Member,
    pub team: Option<TeamView>,
}

#[server(endpoint = "team/page")]
pub async fn get_team_page() -> Result<TeamPage, AppError> {
    let viewer = require_member().await?;
    let team = match viewer.team {
        Some(_) => Some(db::team_view(&pool()?, viewer.account_id).await?),
        None => None,
    };
    Ok(TeamPage { viewer, team })
}

/// "Switch": act for another account of one's own. Back to the page it was pressed on.
#[server(endpoint = "team/switch")]
pub async fn switch_account(account_id: Uuid) -> Result<(), AppError> {
    as_member(None, |member| async move {
        if !db::is_member(&pool()?, account_id, member.user_id).await? {
            return Err(AppError::NotFound);
        }
        session::act_for(account_id).await?;
        leptos_axum::redirect("/dashboard/wallet");
        Ok(())
    })
    .await
}

/// "Create team": a new team, its creator its Owner, and the session switched to it.
#[server(endpoint = "team/create")]
pub async fn create_team(team_name: String) -> Result<(), AppError> {
    as_member(None, |member| async move {
        let name = TeamName::parse(&team_name)?;
        let account_id = db::create_team(&pool()?, &member, client_ip()?, &name).await?;
        session::act_for(account_id).await?;
        leptos_axum::redirect("/dashboard/team");
        Ok(())
    })
    .await
}

/// "Save" for "Members can add funds" (a checkbox: absent when unticked).
#[server(endpoint = "team/settings")]
pub async fn save_team_settings(members_can_fund: Option<String>) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |member| async move {
        if member.team.is_none() {
            return Err(AppError::NotFound);
        }
        db::set_members_can_fund(
            &pool()?,
            &crate::teams::member::audit_actor(&member)?,
            members_can_fund.is_some(),
        )
        .await?;
        leptos_axum::redirect("/dashboard/team?done=settings_saved");
        Ok(())
    })
    .await
}

/// "Revoke" on a pending invite link.
#[server(endpoint = "team/invite/revoke")]
pub async fn revoke_invite(invite_id: Uuid) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |member| async move {
        db::revoke_invite(&pool()?, &crate::teams::member::audit_actor(&member)?, invite_id).await?;
        leptos_axum::redirect("/dashboard/team?done=invite_revoked");
        Ok(())
    })
    .await
}

/// "Change role" on a member's row.
#[server(endpoint = "team/role")]
pub async fn change_role(user_id: Uuid, role: String) -> Result<(), AppError> {
    as_member(None, |member| async move {
        let role: Role = role.parse().map_err(|_| AppError::RoleInvalid)?;
        db::change_role(&pool()?, &member, client_ip()?, user_id, role).await?;
        leptos_axum::redirect("/dashboard/team?done=role_changed");
        Ok(())
    })
    .await
}

/// "Set budget" on a member's row: their monthly budget, empty for none.
#[server(endpoint = "team/budget")]
pub async fn set_member_budget(user_id: Uuid, monthly_budget: String) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |member| async move {
        let budget = MonthlyBudget::parse(&monthly_budget)?;
        db::set_budget(&pool()?, &member, client_ip()?, user_id, budget).await?;
        leptos_axum::redirect("/dashboard/team?done=budget_set");
        Ok(())
    })
    .await
}

/// "Remove" on a member's row ("Leave team" on one's own): their keys and chat connections stop at once.
#[server(endpoint = "team/remove")]
pub async fn remove_member(user_id: Uuid) -> Result<(), AppError> {
    as_member(None, |member| async move {
        db::remove_member(&pool()?, &member, client_ip()?, user_id).await?;
        if user_id == member.user_id {
            leptos_axum::redirect("/dashboard/wallet");
        } else {
            leptos_axum::redirect("/dashboard/team?done=member_removed");
        }
        Ok(())
    })
    .await
}

/// "Delete team" (Owners): the team's name typed to confirm. The session then acts for the personal
/// account (its next request falls back to it, the membership being gone).
#[server(endpoint = "team/delete")]
pub async fn delete_team(confirm_name: String) -> Result<(), AppError> {
    as_member(None, |member| async move {
        db::delete_team(&pool()?, &member, client_ip()?, &confirm_name).await?;
        leptos_axum::redirect("/dashboard/team?done=team_deleted");
        Ok(())
    })
    .await
}

/// What `/invite/{token}` shows, and whether someone is signed in to accept it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePageData {
    pub preview: InvitePreview,
    pub signed_in_as: Option<String>,
}

#[server(endpoint = "invite/preview")]
pub async fn get_invite(token: String) -> Result<InvitePageData, AppError> {
    let preview = db::preview_invite(&pool()?, &token).await?;
    let signed_in_as = session::signed_in_user().await?.map(|u| u.email);
    Ok(InvitePageData { preview, signed_in_as })
}

/// "Accept": join the team and act for it.
#[server(endpoint = "invite/accept")]
pub async fn accept_invite(token: String) -> Result<(), AppError> {
    as_member(None, |member| async move {
        let account_id = db::accept_invite(&pool()?, &token, &member, client_ip()?).await?;
        session::act_for(account_id).await?;
        leptos_axum::redirect("/dashboard/wallet");
        Ok(())
    })
    .await
}
