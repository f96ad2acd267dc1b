//! `/admin`: "Find account" by what a customer can quote — an email, an account id, a key prefix or a
//! payment id. A plain GET form (`?q=`), so it works without JavaScript and the address can be shared.

use super::server_fns::find_accounts;
use crate::ui::form_error::ErrorMessage;
use crate::ui::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::back_office::AccountHit;

#[component]
pub fn FindAccountPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let hits = Resource::new(
        move || asked.get(),
        |q| async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                find_accounts(q).await.map(Some)
            }
        },
    );
    view! {
        <main class="page">
            <div class="page-head"><h1>"Find account"</h1></div>
            <form method="get" action="/admin" class="stack card" role="search">
                <div class="field">
                    <label for="find-query">"Email, account id, key prefix or payment id"</label>
                    <input id="find-query" name="q" type="search" maxlength="254" autocomplete="off" value=move || asked.get()
                        aria-describedby="find-hint"/>
                    <p id="find-hint" class="hint">"An email finds every account that person belongs to; a key prefix starts with tg_sk_."</p>
                </div>
                <div class="row"><button type="submit" class="button primary">"Find account"</button></div>
            </form>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match hits.await {
                        Err(err) => view! { <ErrorMessage message=err.message()/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Ok(Some(hits)) if hits.is_empty() => view! {
                            <p class="empty" role="status">"No account matches."</p>
                        }.into_any(),
                        Ok(Some(hits)) => view! { <HitTable hits/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn HitTable(hits: Vec<AccountHit>) -> impl IntoView {
    view! {
        <ScrollTable label="Accounts found">
            <table class="table stacked" data-testid="account-hits">
                <caption class="visually-hidden">"Accounts found"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"People"</th>
                        <th scope="col">"Balance"</th>
                        <th scope="col">"Matched by"</th>
                    </tr>
                </thead>
                <tbody>
                    {hits.into_iter().map(|hit| view! {
                        <tr>
                            <td class="lead"><a href=format!("/admin/accounts/{}", hit.account_id)>{hit.name}</a></td>
                            <td data-label="Kind">{hit.kind}</td>
                            <td data-label="People" class="wrap">{hit.people.join(", ")}</td>
                            <td data-label="Balance">{hit.balance.display()}</td>
                            <td data-label="Matched by">{hit.matched}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </ScrollTable>
    }
}
