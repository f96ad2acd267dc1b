//! The frame around every `/admin` page: who is looking (email and role), and the back office's sections.

use super::server_fns::get_staff_me;
use crate::auth::log_out_form::LogOutForm;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

#[component]
pub fn AdminLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_staff_me());
    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <a class="brand" href="/admin">"Tollgate back office"</a>
                <nav class="nav" aria-label="Back office">
                    <A href="/admin" exact=true>"Find account"</A>
                    <A href="/admin/log">"Staff log"</A>
                </nav>
                <div class="account">
                    <Suspense fallback=|| ()>
                        {move || me.get().and_then(Result::ok).map(|me| view! {
                            <span class="account-email" data-testid="staff-me">{format!("{} · {}", me.email, me.role.label())}</span>
                        })}
                    </Suspense>
                    <a href="/dashboard/wallet">"Your wallet"</a>
                    <LogOutForm/>
                </div>
            </div>
        </header>
        <Outlet/>
    }
}
