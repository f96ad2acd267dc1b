//! `POST /dashboard/keys` — creating a spend key from the Keys page's form (JavaScript off, or on through
//! `public/enhance.js`). The secret must be shown once and never put in a URL or stored
//! (docs/ARCHITECTURE.md "Secrets shown once"), so instead of redirecting, this answers the post itself
//! with the rendered Keys page, the new secret in it. Errors redirect back with `?error=<code>` like every
//! other form.

use crate::state::AppState;
use app::auth::session::read_user;
use app::error::AppError;
use app::keys::db;
use app::keys::server_fns::JustCreatedKey;
use app::keys::spec::KeyForm;
use app::shell;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{request::Parts, Method},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{Form, FormRejection};
use leptos::prelude::provide_context;
use tower_sessions::Session;

/// The form is a name, an amount, a period and a few service ids: far below this.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

pub async fn create_key_from_form(
    State(state): State<AppState>,
    session: Session,
    mut parts: Parts,
    form: Result<Form<KeyForm>, FormRejection>,
) -> Response {
    let back_with =
        |err: AppError| Redirect::to(&format!("/dashboard/keys?error={}", err.code())).into_response();
    let user = match read_user(&session).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Redirect::to(&app::auth::return_to::login_path("/dashboard/keys")).into_response()
        }
        Err(err) => return back_with(err),
    };
    // A body that isn't the form (too large, not form-encoded) can't name a key.
    let Ok(Form(form)) = form else { return back_with(AppError::KeyNameInvalid) };
    let created = match form.settings() {
        Ok(settings) => db::create(&state.pool, user.account_id, &settings).await,
        Err(err) => Err(err),
    };
    let created = match created {
        Ok(created) => created,
        Err(err) => return back_with(err),
    };
    // Render the Keys page as a GET of it would, plus the new key in this render's context only.
    parts.method = Method::GET;
    let base_context = state.leptos_context();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            base_context();
            provide_context(JustCreatedKey(created.clone()));
        },
        move || shell(options.clone()),
    );
    render(Request::from_parts(parts, Body::empty())).await.into_response()
}
