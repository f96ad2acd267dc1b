//! `POST /dashboard/team` — "Create invite link" on the team page (JavaScript off, or on through
//! `public/enhance.js`). Only a hash of the link's token is kept, so the link is shown in this one
//! response, like a new key's secret (`secret_shown_once`); errors go back with `?error=<code>`.

use crate::channels::pages::secret_shown_once::answer_post;
use crate::channels::shared::public_url::public_base;
use crate::state::AppState;
use app::teams::server_fns::JustCreatedInvite;
use axum::{extract::State, http::request::Parts, response::Response};
use axum_extra::extract::{Form, FormRejection};
use serde::Deserialize;
use tollgate_core::teams::store as db;
use tollgate_domain::error::AppError;
use tollgate_domain::teams::role::{Action, Role};
use tollgate_domain::teams::view::CreatedInvite;
use tower_sessions::Session;

/// The form is one select: far below this.
pub const MAX_FORM_BYTES: usize = 1024;

#[derive(Deserialize)]
pub struct InviteForm {
    role: String,
}

pub async fn create_invite_from_form(
    State(state): State<AppState>,
    session: Session,
    parts: Parts,
    form: Result<Form<InviteForm>, FormRejection>,
) -> Response {
    let base = public_base(&state, &parts.headers);
    let pool = state.pool.clone();
    answer_post(&state, &session, parts, "/dashboard/team", |member, actor| async move {
        member.require(Action::ManageMembers)?;
        let Ok(Form(form)) = form else { return Err(AppError::RoleInvalid) };
        let role: Role = form.role.parse().map_err(|_| AppError::RoleInvalid)?;
        let invite = db::create_invite(&pool, &actor, role).await?;
        let url = format!("{base}{}", invite.path);
        Ok(JustCreatedInvite(CreatedInvite { url, ..invite }))
    })
    .await
}
