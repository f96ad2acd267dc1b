//! `POST /oauth/authorize`: the consent page's answer. Everything the page showed is checked again here
//! (the hidden fields are the browser's copy), then "Allow" creates the connection's spend key and a
//! single-use code, and the person is sent back to the app with it; "Deny" sends them back with
//! `error=access_denied`. A signed-out browser is sent to log in first; a form error goes back to the
//! page with its message. The cross-site check runs before this (it is a cookie-authenticated form).

use super::{is_our_resource, within_limit, CONSENTS_PER_USER};
use crate::channels::shared::public_url::public_base;
use crate::state::AppState;
use axum::{
    extract::{rejection::FormRejection, Extension, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tollgate_core::audit::Actor;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::oauth::store as db;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::{KeySettings, RateLimit};
use tollgate_domain::oauth::authorize_request::{AuthorizeQuery, AuthorizeRefusal};
use tollgate_domain::url_query::encode_value;
use tower_sessions::Session;

/// The consent form as posted: the authorization request it carries back, and the person's answer.
#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(flatten)]
    request: AuthorizeQuery,
    #[serde(default)]
    spend_limit: String,
    #[serde(default)]
    limit_period: String,
    allow_funding: Option<String>,
    #[serde(default)]
    daily_funding_limit: String,
    #[serde(default)]
    decision: String,
}

/// The consent page's address for `request`, with `error` to show when given.
fn consent_page(request: &AuthorizeQuery, error: Option<&AppError>) -> String {
    let mut pairs = request.pairs();
    if let Some(error) = error {
        pairs.push(("error", error.code()));
    }
    let query: Vec<String> =
        pairs.iter().map(|(name, value)| format!("{name}={}", encode_value(value))).collect();
    format!("/oauth/authorize?{}", query.join("&"))
}

pub async fn decide(
    State(state): State<AppState>,
    session: Session,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    form: Result<Form<ConsentForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return Redirect::to(&consent_page(
            &AuthorizeQuery::default(),
            Some(&AppError::ChatAppRequestInvalid),
        ))
        .into_response();
    };
    let request = &form.request;
    let back = |error: &AppError| Redirect::to(&consent_page(request, Some(error))).into_response();
    let user = match app::teams::member::from_session(&state.pool, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Redirect::to(&app::auth::return_to::login_path(&consent_page(request, None)))
                .into_response()
        }
        Err(err) => return back(&err),
    };
    if let Err(limited) = within_limit(&state, &user.user_id.to_string(), CONSENTS_PER_USER).await {
        tracing::warn!(?limited, "consent answers over the limit");
        return back(&AppError::TooManyConnectionAttempts);
    }
    let app = match db::chat_app(&state.pool, &request.client_id).await {
        Ok(app) => app,
        Err(err) => return back(&err),
    };
    let issuer = public_base(&state, &headers);
    let checked = match request.check(app) {
        Ok(checked) => checked,
        // The page explains it (and offers the way back to the app when there is one).
        Err(AuthorizeRefusal::Shown(err)) => return back(&err),
        Err(AuthorizeRefusal::ToApp { redirect_uri, error, state: app_state }) => {
            return Redirect::to(&redirect_uri.answer(("error", error), app_state.as_deref(), &issuer))
                .into_response();
        }
    };
    let to_app = |pair| {
        Redirect::to(&checked.redirect_uri.answer(pair, checked.state.as_deref(), &issuer)).into_response()
    };
    if !is_our_resource(&state, &headers, request.resource.as_deref()) {
        return to_app(("error", "invalid_target"));
    }
    if form.decision != "allow" {
        return to_app(("error", "access_denied"));
    }
    let settings = KeySettings::parse(
        &checked.app.client_name,
        &form.spend_limit,
        &form.limit_period,
        &[],
        form.allow_funding.is_some(),
        &form.daily_funding_limit,
    );
    let settings = match settings {
        // A chat connection gets the rate limit the Keys page suggests: a chat never needs more.
        Ok(settings) => {
            KeySettings { rate_limit: RateLimit::stored(RateLimit::SUGGESTED as i32), ..settings }
        }
        Err(err) => return back(&err),
    };
    match db::connect(&state.pool, &Actor::member(&user, ip), &checked, &settings).await {
        Ok(code) => to_app(("code", &code)),
        Err(err) => back(&err),
    }
}
