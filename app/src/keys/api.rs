//! Spend-key server functions. Creating a key with JavaScript on goes through `create_key` (its answer
//! carries the secret, once); with JavaScript off the form posts to `POST /dashboard/keys`
//! (server/src/key_form.rs), which renders this page with the secret in that one response.

use super::spec::{CreatedKey, SpendKeyView};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    super::db::{self, StatusChange},
    super::spec::KeySettings,
    crate::auth::session::require_user,
    crate::request::{answer_form, pool},
};

/// The key a plain form post (JavaScript off) just created, put into the render of that response only.
#[derive(Clone, Debug)]
pub struct JustCreatedKey(pub CreatedKey);

#[server(endpoint = "keys/list")]
pub async fn list_keys() -> Result<Vec<SpendKeyView>, AppError> {
    let user = require_user().await?;
    db::list(&pool()?, user.account_id).await
}

/// The catalog's services as (id, name), for the "allowed services" checkboxes.
#[server(endpoint = "keys/services")]
pub async fn list_services() -> Result<Vec<(String, String)>, AppError> {
    require_user().await?;
    crate::metering::catalog::services(&pool()?).await
}

/// JSON-encoded (a list and a flag travel as they are); the page dispatches it from its own submit handler.
#[server(endpoint = "keys/create", input = leptos::server_fn::codec::Json)]
pub async fn create_key(
    name: String,
    spend_limit: String,
    limit_period: String,
    services: Vec<String>,
    allow_funding: bool,
) -> Result<CreatedKey, AppError> {
    let user = require_user().await?;
    let settings = KeySettings::parse(&name, &spend_limit, &limit_period, &services, allow_funding)?;
    db::create(&pool()?, user.account_id, &settings).await
}

/// "Pause", "Resume" or "Revoke" (`change` = `pause` | `resume` | `revoke`).
#[server(endpoint = "keys/change")]
pub async fn change_key(key_id: Uuid, change: String) -> Result<(), AppError> {
    answer_form(async move {
        let user = require_user().await?;
        let change = match change.as_str() {
            "pause" => StatusChange::Pause,
            "resume" => StatusChange::Resume,
            "revoke" => StatusChange::Revoke,
            _ => return Err(AppError::NotFound),
        };
        db::change_status(&pool()?, user.account_id, key_id, change).await
    })
    .await
}
