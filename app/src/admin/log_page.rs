//! `/admin/log`: the staff log, newest first, 50 rows a page: every back-office action and every change of
//! who is staff, with its reason. Nothing on it changes anything.

use super::server_fns::get_staff_log;
use crate::ui::form_error::ErrorMessage;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::back_office::StaffLogPage;

#[component]
pub fn StaffLogPageView() -> impl IntoView {
    let query = use_query_map();
    let before = Memo::new(move |_| query.read().get("before").and_then(|b| b.parse::<i64>().ok()));
    let page = Resource::new(move || before.get(), get_staff_log);
    view! {
        <main class="page">
            <div class="page-head"><h1>"Staff log"</h1></div>
            <p class="muted">"What Tollgate's staff did, and why. Entries are never changed or removed."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        Ok(page) => view! { <LogTable page/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn LogTable(page: StaffLogPage) -> impl IntoView {
    let StaffLogPage { rows, older_than } = page;
    if rows.is_empty() {
        return view! { <p class="empty">"Nothing has been recorded yet."</p> }.into_any();
    }
    view! {
        <ScrollTable label="Staff log">
            <table class="table stacked" data-testid="staff-log">
                <caption class="visually-hidden">"Staff log, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Detail"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Time (UTC)"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr data-action=row.action.clone()>
                            <td class="lead">{row.action.clone()}</td>
                            <td class="wrap">{row.detail}</td>
                            <td data-label="Reason" class="wrap">{row.reason.unwrap_or_default()}</td>
                            <td data-label="Who" class="wrap">{row.actor}</td>
                            <td data-label="Account">{row.account_id.map(|id| view! {
                                <a href=format!("/admin/accounts/{id}")>"Open"</a>
                            })}</td>
                            <td data-label="When">{row.at}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </ScrollTable>
        <nav class="row paging" aria-label="Staff log pages">
            {older_than.map(|id| view! { <a href=format!("/admin/log?before={id}")>"Older"</a> })}
        </nav>
    }
    .into_any()
}
