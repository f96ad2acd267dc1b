//! `POST /dashboard/keys` — creating a spend key from the Keys page's form (JavaScript off, or on through
//! `public/enhance.js`). The secret must be shown once and never put in a URL or stored
//! (docs/ARCHITECTURE.md "Secrets shown once"), so instead of redirecting, this answers the post itself
//! with the rendered Keys page, the new secret in it. Errors redirect back with `?error=<code>` like every
//! other form.

use crate::shown_once::answer_post;
use crate::state::AppState;
use app::error::AppError;
use app::keys::db;
use app::keys::server_fns::JustCreatedKey;
use app::keys::spec::KeyForm;
use app::teams::role::Action;
use axum::{extract::State, http::request::Parts, response::Response};
use axum_extra::extract::{Form, FormRejection};
use tower_sessions::Session;

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
