//! Settings → "Billing details" (docs/CONTRACT.md "Statements"): who receipts and statements are made out
//! to. Every member sees them; Owners and Admins change them (a team setting).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tollgate_domain::accounts::billing::BillingDetails;
use tollgate_domain::error::AppError;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::pool,
    crate::teams::member::{as_member, audit_actor, require_member},
    tollgate_core::accounts::billing as store,
    tollgate_domain::teams::role::Action,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingPanel {
    /// `None` until someone saves them.
    pub details: Option<BillingDetails>,
    pub may_edit: bool,
}

#[server(endpoint = "settings/billing")]
pub async fn get_billing_details() -> Result<BillingPanel, AppError> {
    let member = require_member().await?;
    let may_edit = member.require(Action::ManageMembers).is_ok();
    Ok(BillingPanel { details: store::of_account(&pool()?, member.account_id).await?, may_edit })
}

/// "Save billing details": checked field by field (the first wrong one's message), then saved and logged.
#[server(endpoint = "settings/billing/save")]
pub async fn save_billing_details(
    legal_name: String,
    address: String,
    country: String,
    tax_id_type: String,
    tax_id_value: String,
) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |member| async move {
        let details = BillingDetails::parse(&legal_name, &address, &country, &tax_id_type, &tax_id_value)?;
        store::save(&pool()?, &audit_actor(&member)?, &details).await?;
        leptos_axum::redirect("/dashboard/settings?done=billing_saved");
        Ok(())
    })
    .await
}
