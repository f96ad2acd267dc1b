//! The audit log page's data. Every member of an account may read its log (docs/CONTRACT.md "Teams").

use leptos::prelude::*;
use tollgate_domain::audit_log::AuditPage;
use tollgate_domain::error::AppError;

#[cfg(feature = "ssr")]
use {
    crate::server_fn_context::pool, crate::teams::member::require_member,
    tollgate_core::reads::audit_log as db, tollgate_domain::audit_log::PAGE_SIZE,
    tollgate_domain::teams::role::Action,
};

/// A page of the acting account's log, newest first; `before`: the id the previous page ended above.
#[server(endpoint = "audit/page")]
pub async fn get_audit_page(before: Option<i64>) -> Result<AuditPage, AppError> {
    let member = require_member().await?;
    member.require(Action::See)?;
    db::page(&pool()?, member.account_id, before, PAGE_SIZE).await
}
