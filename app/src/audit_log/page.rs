//! `/dashboard/audit`: the account's audit log, newest first, 50 rows a page ("Older" / "Newest"), with
//! "Download CSV" for all of it. Every member of the account sees it; nothing on it changes anything.

use super::server_fns::get_audit_page;
use crate::ui::form_error::ErrorMessage;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::audit_log::{action_label, channel_label, AuditPage, AuditRow};

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let before = Memo::new(move |_| query.read().get("before").and_then(|b| b.parse::<i64>().ok()));
    let page = Resource::new(move || before.get(), get_audit_page);
    view! {
        <main class="page">
            <div class="page-head">
                <h1>"Audit log"</h1>
                <a class="button" href="/dashboard/audit/export.csv" download>"Download CSV"</a>
            </div>
            <p class="muted">"Who did what to this account, when, and from where. Entries are never changed or removed."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        Ok(page) => view! { <AuditTable page/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn AuditTable(page: AuditPage) -> impl IntoView {
    let AuditPage { rows, older_than, is_newest } = page;
    if rows.is_empty() {
        return view! { <p class="empty">"Nothing has been recorded yet."</p> }.into_any();
    }
    view! {
        <ScrollTable label="Audit log">
            <table class="table stacked" data-testid="audit-log">
                <caption class="visually-hidden">"Audit log, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Detail"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"Time (UTC)"</th>
                        <th scope="col">"Channel"</th>
                        <th scope="col">"IP address"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <AuditRowView row/> }).collect_view()}
                </tbody>
            </table>
        </ScrollTable>
        <nav class="row paging" aria-label="Audit log pages">
            // Plain links: `A` would mark "Newest" as the current page on every page of the log.
            {(!is_newest).then(|| view! { <a href="/dashboard/audit">"Newest"</a> })}
            {older_than.map(|id| view! { <a href=format!("/dashboard/audit?before={id}")>"Older"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn AuditRowView(row: AuditRow) -> impl IntoView {
    view! {
        <tr data-action=row.action.clone()>
            <td class="lead">{action_label(&row.action)}</td>
            <td class="wrap">{row.detail}</td>
            <td data-label="Who" class="wrap">{row.who}</td>
            <td data-label="When">{row.at}</td>
            <td data-label="Channel">{channel_label(&row.channel)}</td>
            <td data-label="IP address">{row.ip}</td>
        </tr>
    }
}
