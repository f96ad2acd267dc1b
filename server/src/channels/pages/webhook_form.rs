//! `POST /dashboard/settings` — "Add endpoint" in Settings → Webhooks (JavaScript off, or on through
//! `public/enhance.js`). The signing secret is shown in this one response, like a new key's secret
//! (`secret_shown_once`); errors go back with `?error=<code>`.

use crate::channels::pages::secret_shown_once::answer_post;
use crate::state::AppState;
use app::settings::webhook_fns::JustCreatedWebhook;
use axum::{extract::State, http::request::Parts, response::Response};
use axum_extra::extract::{Form, FormRejection};
use serde::Deserialize;
use tollgate_core::webhooks::endpoint_url::EndpointUrl;
use tollgate_core::webhooks::store;
use tollgate_domain::error::AppError;
use tollgate_domain::teams::role::Action;
use tollgate_domain::webhooks::EventType;
use tower_sessions::Session;

/// A URL of at most 2,048 characters and six event names: far below this.
pub const MAX_FORM_BYTES: usize = 8 * 1024;

#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: Vec<String>,
}

pub async fn add_endpoint_from_form(
    State(state): State<AppState>,
    session: Session,
    parts: Parts,
    form: Result<Form<WebhookForm>, FormRejection>,
) -> Response {
    let pool = state.pool.clone();
    let allow_loopback = state.allow_loopback_webhooks;
    answer_post(&state, &session, parts, "/dashboard/settings", |member, actor| async move {
        member.require(Action::ManageMembers)?;
        let Ok(Form(form)) = form else { return Err(AppError::WebhookUrlInvalid) };
        let url = EndpointUrl::parse(&form.url, allow_loopback)?;
        let mut events = Vec::new();
        for name in &form.events {
            events.push(name.parse::<EventType>().map_err(|_| AppError::WebhookEventsMissing)?);
        }
        Ok(JustCreatedWebhook(store::add_endpoint(&pool, &actor, &url, &events).await?))
    })
    .await
}
