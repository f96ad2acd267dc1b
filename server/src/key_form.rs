//! `POST /dashboard/keys` — creating a spend key from the Keys page's form (JavaScript off, or on through
//! `public/enhance.js`). The secret must be shown once and never put in a URL or stored (ARCHITECTURE.md),
//! so instead of redirecting, this answers the post itself
//! with the rendered Keys page, the new secret in it. Errors redirect back with `?error=<code>` like every
//! other form.

use crate::startup::{server_fn_context, AppState};
use app::auth::session::read_user;
use app::keys::api::JustCreatedKey;
use app::keys::{db, spec::KeySettings};
use app::shell;
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::Method,
    response::{IntoResponse, Redirect, Response},
};
use leptos::prelude::provide_context;
use tower_sessions::Session;

const MAX_FORM_BYTES: usize = 16 * 1024;

pub async fn create_key_from_form(State(state): State<AppState>, session: Session, req: Request) -> Response {
    let back_with = |err: app::error::AppError| {
        Redirect::to(&format!("/dashboard/keys?error={}", err.code())).into_response()
    };
    let user = match read_user(&session).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Redirect::to(&app::auth::return_to::login_path("/dashboard/keys")).into_response()
        }
        Err(err) => return back_with(err),
    };
    let (mut parts, body) = req.into_parts();
    let Ok(form) = to_bytes(body, MAX_FORM_BYTES).await else {
        return back_with(app::error::AppError::KeyNameInvalid);
    };
    let (mut name, mut limit, mut period, mut services, mut allow_funding) =
        (String::new(), String::new(), String::new(), Vec::new(), false);
    for (field, value) in form_urlencoded::parse(&form) {
        match &*field {
            "name" => name = value.into_owned(),
            "spend_limit" => limit = value.into_owned(),
            "limit_period" => period = value.into_owned(),
            "services" => services.push(value.into_owned()),
            "allow_funding" => allow_funding = true,
            _ => {}
        }
    }
    let created = match KeySettings::parse(&name, &limit, &period, &services, allow_funding) {
        Ok(settings) => db::create(&state.pool, user.account_id, &settings).await,
        Err(err) => Err(err),
    };
    let created = match created {
        Ok(created) => created,
        Err(err) => return back_with(err),
    };
    // Render the Keys page as a GET of it would, plus the new key in this render's context only.
    parts.method = Method::GET;
    let base_context = server_fn_context(&state);
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
