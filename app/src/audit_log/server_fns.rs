//! The audit log page's data. Every member of an account may read its log (docs/CONTRACT.md "Teams").

use super::view::AuditPage;
use leptos::prelude::*;
use tollgate_domain::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::db, super::view::PAGE_SIZE, crate::server_fn_context::pool, crate::teams::member::require_member,
    tollgate_domain::teams::role::Action,
};

/// A page of the acting account's log, newest first; `before`: the id the previous page ended above.
#[server(endpoint = "audit/page")]
pub async fn get_audit_page(before: Option<i64>) -> Result<AuditPage, AppError> {
    let member = require_member().await?;
    member.require(Action::See)?;
    db::page(&pool()?, member.account_id, before, PAGE_SIZE).await
}
