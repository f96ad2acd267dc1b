//! The signed-in frame around every `/dashboard/*` page: header with the balance, navigation and
//! "Log out". The balance is the server's at render time, and every form post or link (with JavaScript
//! on too: `public/enhance.js` swaps in the page the server answers) renders it afresh, so it is live
//! without a client-side copy. A signed-out visitor is redirected to `/login` (with `?next=`).

use crate::auth::log_out_form::LogOutForm;
use crate::auth::return_to;
use crate::teams::server_fns::{get_current_user, CurrentUser, SwitchAccount};
use crate::wallet::server_fns::get_wallet_summary;
use crate::wallet::summary::WalletResource;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::wallet::WalletSummary;

#[component]
pub fn DashboardLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let wallet = Resource::new(|| (), |_| get_wallet_summary());
    provide_context(WalletResource(wallet));
    let location = use_location();
    let login_path = move || {
        let search = location.search.get_untracked();
        let search = search.trim_start_matches('?');
        let here = if search.is_empty() {
            location.pathname.get_untracked()
        } else {
            format!("{}?{search}", location.pathname.get_untracked())
        };
        return_to::login_path(&here)
    };

    // The header waits for the user and the balance; the page (the Outlet) renders once, beside that
    // Suspense rather than in it: during server rendering Suspense re-runs its children up to three times
    // (to find every resource read under them), and a page in there was rebuilt each time, running all of
    // its queries again (docs/BENCHMARKS.md "P2"). A signed-out visitor (an
    // expired session) is sent to log in by the `Redirect`, a 302 during server rendering.
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // The header shows the balance: awaited here with the user, so the header is never
                // rendered before the balance is known (a read of it inside the header alone could lose
                // the race with the user's query and render an empty balance).
                let (user, _) = (user.await, wallet.await);
                match user {
                    Ok(Some(user)) => view! { <Header user wallet/> }.into_any(),
                    Ok(None) | Err(AppError::NotSignedIn) => view! { <Redirect path=login_path()/> }.into_any(),
                    Err(err) => view! { <p class="form-error page" role="alert">{err.message()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <Outlet/>
    }
}

#[component]
fn Header(user: CurrentUser, wallet: Resource<Result<WalletSummary, AppError>>) -> impl IntoView {
    let switch = ServerAction::<SwitchAccount>::new();
    let on_team = user.on_team();
    let current = user.account_id;
    let accounts = user.accounts.clone();
    let balance = move || {
        wallet.get().map(|w| match w {
            Ok(w) => w.balance.display(),
            Err(_) => "—".to_string(),
        })
    };
    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <a class="brand" href="/dashboard/wallet">"Tollgate"</a>
                <nav class="nav" aria-label="Dashboard">
                    <A href="/dashboard/wallet">"Wallet"</A>
                    <A href="/dashboard/usage">"Usage"</A>
                    <A href="/dashboard/statements">"Statements"</A>
                    <A href="/dashboard/keys">"Keys"</A>
                    {on_team.then(|| view! { <A href="/dashboard/team">"Team"</A> })}
                    <A href="/dashboard/audit">"Audit log"</A>
                    <A href="/dashboard/settings">"Settings"</A>
                </nav>
                <div class="account">
                    <ActionForm action=switch attr:class="account-switch">
                        <label for="account-switch" class="visually-hidden">"Account"</label>
                        <select id="account-switch" name="account_id">
                            {accounts.into_iter().map(|a| {
                                let selected = a.id == current;
                                view! { <option value=a.id.to_string() selected=selected>{a.label}</option> }
                            }).collect_view()}
                        </select>
                        <button type="submit" class="button ghost">"Switch"</button>
                    </ActionForm>
                    {(!on_team).then(|| view! { <A href="/dashboard/team">"New team"</A> })}
                    <span class="balance-chip" title="Wallet balance">
                        <span class="visually-hidden">"Balance: "</span>
                        <span data-testid="balance">{balance}</span>
                    </span>
                    <span class="account-email">{user.email}</span>
                    <LogOutForm/>
                </div>
            </div>
        </header>
    }
}
