//! Spend-key server functions: the list and "Pause"/"Resume"/"Revoke". Creating a key is not one of them (nor
//! editing one: its form posts `POST /dashboard/keys/{id}/edit`, with a checkbox per service, which server
//! functions' encoding can't read): the form posts to `POST /dashboard/keys`
//! (server/src/channels/pages/key_form.rs), which renders the Keys page with the secret in that one response
//! (with JavaScript on, `public/enhance.js` sends the same post), so the secret never travels anywhere else.

use leptos::prelude::*;
use tollgate_domain::error::AppError;
use tollgate_domain::keys::settings::{CreatedKey, SpendKeyView};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::pool,
    crate::teams::member::{as_member, require_member},
    tollgate_core::keys::db::{self, StatusChange},
    tollgate_domain::teams::role::Action,
};

/// The key a form post just created, put into the render of that response only.
#[derive(Clone, Debug)]
pub struct JustCreatedKey(pub CreatedKey);

#[server(endpoint = "keys/list")]
pub async fn list_keys() -> Result<Vec<SpendKeyView>, AppError> {
    let user = require_member().await?;
    let keys = db::list(&pool()?, user.account_id).await?;
    Ok(keys
        .into_iter()
        .map(|key| SpendKeyView {
            may_change: user.require_for(key.made_by, Action::ManageOwnKeys, Action::ManageAnyKey).is_ok(),
            made_by_email: if key.made_by == user.user_id { String::new() } else { key.made_by_email },
            ..key
        })
        .collect())
}

/// The catalog's services as (id, name), for the "allowed services" checkboxes.
#[server(endpoint = "keys/services")]
pub async fn list_services() -> Result<Vec<(String, String)>, AppError> {
    require_member().await?;
    tollgate_core::catalog::db::services(&pool()?).await
}

/// "Pause", "Resume" or "Revoke" (`change` = `pause` | `resume` | `revoke`).
#[server(endpoint = "keys/change")]
pub async fn change_key(key_id: Uuid, change: String) -> Result<(), AppError> {
    as_member(None, |user| async move {
        let change: StatusChange = change.parse().map_err(|_| AppError::NotFound)?;
        let pool = pool()?;
        let maker = db::maker_of(&pool, user.account_id, key_id).await?;
        user.require_for(maker, Action::ManageOwnKeys, Action::ManageAnyKey)?;
        db::change_status(&pool, &crate::teams::member::audit_actor(&user)?, key_id, change).await
    })
    .await
}
