//! Settings → "Webhooks" (docs/CONTRACT.md "Webhooks"): the endpoints and their delivery logs, "Delete",
//! "Turn on" and "Resend". "Add endpoint" is a plain form post to the page itself
//! (`server/src/channels/pages/webhook_form.rs`), which answers with the page showing the new signing secret
//! once. Managing webhooks is a team setting (Owners and Admins).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::webhooks::view::{CreatedEndpoint, EndpointView};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::pool,
    crate::teams::member::{as_member, require_member},
    tollgate_core::webhooks::store,
    tollgate_domain::teams::role::Action,
};

/// The endpoint a form post just added, put into the render of that response only.
#[derive(Clone, Debug)]
pub struct JustCreatedWebhook(pub CreatedEndpoint);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksPanel {
    pub endpoints: Vec<EndpointView>,
    pub may_manage: bool,
}

#[server(endpoint = "settings/webhooks")]
pub async fn get_webhooks() -> Result<WebhooksPanel, AppError> {
    let member = require_member().await?;
    let may_manage = member.require(Action::ManageMembers).is_ok();
    let endpoints =
        if may_manage { store::endpoints(&pool()?, member.account_id).await? } else { Vec::new() };
    Ok(WebhooksPanel { endpoints, may_manage })
}

#[server(endpoint = "settings/webhooks/delete")]
pub async fn delete_webhook_endpoint(endpoint_id: Uuid) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |member| async move {
        store::delete_endpoint(&pool()?, &crate::teams::member::audit_actor(&member)?, endpoint_id).await?;
        leptos_axum::redirect("/dashboard/settings?done=webhook_deleted");
        Ok(())
    })
    .await
}

/// "Turn on": an endpoint Tollgate disabled when the person who added it left gets events again.
#[server(endpoint = "settings/webhooks/enable")]
pub async fn enable_webhook_endpoint(endpoint_id: Uuid) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |member| async move {
        store::enable_endpoint(&pool()?, &crate::teams::member::audit_actor(&member)?, endpoint_id).await?;
        leptos_axum::redirect("/dashboard/settings?done=webhook_enabled");
        Ok(())
    })
    .await
}

#[server(endpoint = "settings/webhooks/resend")]
pub async fn resend_webhook(delivery_id: i64) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |member| async move {
        store::resend(&pool()?, member.account_id, delivery_id).await?;
        leptos_axum::redirect("/dashboard/settings?done=webhook_resent");
        Ok(())
    })
    .await
}
