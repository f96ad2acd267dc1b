//! `POST /dashboard/keys` — creating a spend key from the Keys page's form (JavaScript off, or on through
//! `public/enhance.js`) — and `POST /dashboard/keys/{id}/edit`, its "Save changes". The secret must be shown
//! once and never put in a URL or stored (docs/ARCHITECTURE.md "Secrets shown once"), so instead of
//! redirecting, this answers the post itself with the rendered Keys page, the new secret in it. Errors
//! redirect back with `?error=<code>` like every other form.

use crate::channels::pages::secret_shown_once::answer_post;
use crate::state::AppState;
use app::keys::server_fns::JustCreatedKey;
use app::teams::member::from_session;
use axum::{
    extract::{Path, State},
    http::request::Parts,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{Form, FormRejection};
use tollgate_core::audit::Actor;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::keys::db;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::KeyForm;
use tollgate_domain::teams::role::Action;
use tower_sessions::Session;
use uuid::Uuid;

/// The form is a name, an amount, a period and a few service ids: far below this.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

pub async fn create_key_from_form(
    State(state): State<AppState>,
    session: Session,
    parts: Parts,
    form: Result<Form<KeyForm>, FormRejection>,
) -> Response {
    let pool = state.pool.clone();
    answer_post(&state, &session, parts, "/dashboard/keys", |member, actor| async move {
        // A body that isn't the form (too large, not form-encoded) can't name a key.
        let Ok(Form(form)) = form else { return Err(AppError::KeyNameInvalid) };
        let settings = form.settings()?;
        member.require(Action::ManageOwnKeys)?;
        let created = db::create(&pool, &actor, &settings).await?;
        Ok(JustCreatedKey(created))
    })
    .await
}

/// "Save changes" on a key's (or chat connection's) edit form: one's own, or anyone's as an Owner or
/// Admin. Back to the Keys page saying so; an error goes back to the open form with `&error=<code>`.
pub async fn update_key_from_form(
    State(state): State<AppState>,
    session: Session,
    Path(key_id): Path<Uuid>,
    parts: Parts,
    form: Result<Form<KeyForm>, FormRejection>,
) -> Response {
    let editing = format!("/dashboard/keys?edit={key_id}");
    let saved = async {
        let member = match from_session(&state.pool, &session).await? {
            Some(member) => member,
            None => return Ok(Some(app::auth::return_to::login_path(&editing))),
        };
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .ok_or_else(|| AppError::bug("no ClientIp on a form post"))?;
        let Ok(Form(form)) = form else { return Err(AppError::InvalidRequestBody) };
        let maker = db::maker_of(&state.pool, member.account_id, key_id).await?;
        member.require_for(maker, Action::ManageOwnKeys, Action::ManageAnyKey)?;
        db::update(&state.pool, &Actor::member(&member, ip), key_id, &form.settings()?).await?;
        Ok(None)
    };
    match saved.await {
        Ok(None) => Redirect::to("/dashboard/keys?done=key_changed").into_response(),
        Ok(Some(login)) => Redirect::to(&login).into_response(),
        Err(err) => Redirect::to(&format!("{editing}&error={}", err.code())).into_response(),
    }
}
