//! Server functions of the wallet page's "Auto top-up" card (docs/CONTRACT.md "Auto top-up"). Changing
//! the rule is a team setting: Owners and Admins (docs/CONTRACT.md "Teams").

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tollgate_domain::error::AppError;
use tollgate_domain::payments::auto_top_up::AutoTopUpView;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::pool,
    crate::teams::member::as_member,
    tollgate_core::payments::auto_top_up::settings::{self, Change},
    tollgate_domain::payments::auto_top_up::AutoTopUpRule,
    tollgate_domain::teams::role::Action,
};

/// The card's data: the rule, and whether the person looking may change it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoTopUpPanel {
    pub view: AutoTopUpView,
    pub may_change: bool,
}

/// "Turn on auto top-up" (`turn=on`), "Save" (no `turn`) and "Turn off auto top-up" (`turn=off`, the
/// other fields ignored). `card`: a saved card's id; empty means the default card.
#[server(endpoint = "wallet/auto-top-up/save")]
pub async fn save_auto_top_up(
    #[server(default)] threshold: String,
    #[server(default)] top_up_to: String,
    #[server(default)] monthly_limit: String,
    card: Option<String>,
    turn: Option<String>,
) -> Result<(), AppError> {
    as_member(Some(Action::ManageMembers), |user| async move {
        let change = if turn.as_deref() == Some("off") {
            Change::TurnOff
        } else {
            let rule = AutoTopUpRule::parse(&threshold, &top_up_to, &monthly_limit)?;
            let card = match card.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(id) => Some(id.parse().map_err(|_| AppError::CardNotSaved)?),
            };
            match turn.as_deref() {
                Some("on") => Change::TurnOn { rule, card },
                _ => Change::Save { rule, card },
            }
        };
        settings::change(&pool()?, &crate::teams::member::audit_actor(&user)?, change).await?;
        leptos_axum::redirect("/dashboard/wallet");
        Ok(())
    })
    .await
}
