//! The statements page's data. Every member of an account may read its statements, as they may its balance
//! (docs/CONTRACT.md "Teams").

use leptos::prelude::*;
use tollgate_domain::error::AppError;
use tollgate_domain::statements::StatementsView;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::pool, crate::teams::member::require_member,
    tollgate_core::reads::statements as db, tollgate_domain::teams::role::Action,
};

/// The acting account's months, newest first.
#[server(endpoint = "statements/months")]
pub async fn get_statements() -> Result<StatementsView, AppError> {
    let member = require_member().await?;
    member.require(Action::See)?;
    let statements = db::of_account(&pool()?, member.account_id).await?;
    let mut months = statements.months;
    months.reverse();
    Ok(StatementsView { timezone: statements.timezone.name().to_string(), months })
}
