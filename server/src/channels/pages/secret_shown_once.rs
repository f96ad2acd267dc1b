//! Answering a form post with the page itself, carrying something shown once (a new key's secret, a new
//! invite link) in that one render: the value goes into this render's Leptos context only, never into a
//! URL, a redirect or the database (docs/ARCHITECTURE.md "Secrets shown once").

use crate::state::AppState;
use app::shell;
use app::teams::member::from_session;
use axum::{
    body::Body,
    extract::Request,
    http::{request::Parts, Method},
    response::{IntoResponse, Redirect, Response},
};
use leptos::prelude::provide_context;
use std::future::Future;
use tollgate_core::audit::Actor;
use tollgate_core::client_ip::ClientIp;
use tollgate_domain::error::AppError;
use tollgate_domain::teams::member::Member;
use tower_sessions::Session;

/// Renders the page `parts` posted to, as a GET of it would, with `shown` in its context.
pub async fn render_with<T: Clone + Send + Sync + 'static>(
    state: &AppState,
    mut parts: Parts,
    shown: T,
) -> Response {
    parts.method = Method::GET;
    let base_context = state.leptos_context();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            base_context();
            provide_context(shown.clone());
        },
        move || shell(options.clone()),
    );
    render(Request::from_parts(parts, Body::empty())).await.into_response()
}

/// A dashboard form post whose result is shown once: `act` runs as the signed-in member (and the audit
/// log's actor for them, from this request's address), and its value is
/// rendered into `page`'s answer; its error sends the browser back to `page?error=<code>` (like every other
/// form); a signed-out visitor is sent to log in and come back to `page`.
pub async fn answer_post<T, Act, Done>(
    state: &AppState,
    session: &Session,
    parts: Parts,
    page: &str,
    act: Act,
) -> Response
where
    T: Clone + Send + Sync + 'static,
    Act: FnOnce(Member, Actor) -> Done,
    Done: Future<Output = Result<T, AppError>>,
{
    let back_with = |err: AppError| Redirect::to(&format!("{page}?error={}", err.code())).into_response();
    let member = match from_session(&state.pool, session).await {
        Ok(Some(member)) => member,
        Ok(None) => return Redirect::to(&app::auth::return_to::login_path(page)).into_response(),
        Err(err) => return back_with(err),
    };
    let Some(ip) = parts.extensions.get::<ClientIp>().copied() else {
        return back_with(AppError::bug("no ClientIp on a form post: the client_ip layer must run first"));
    };
    let actor = Actor::member(&member, ip);
    match act(member, actor).await {
        Ok(shown) => render_with(state, parts, shown).await,
        Err(err) => back_with(err),
    }
}
