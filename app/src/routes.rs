//! The route table: every page and where it lives. Every route renders with `SsrMode::Async`, so the HTML
//! is complete before it is sent (nothing waits for JavaScript). Routes outside Leptos — server functions
//! under `/api`, the `/v1` JSON API, `POST /dashboard/keys`, the CSV exports, `/healthz` — are in the
//! server's router (`server/src/router.rs`).

use crate::admin::account_page::AccountPage;
use crate::admin::find_page::FindAccountPage;
use crate::admin::layout::AdminLayout;
use crate::admin::log_page::StaffLogPageView;
use crate::audit_log::page::AuditLogPage;
use crate::auth::page::{LoginPage, SignupPage};
use crate::checkout::page::CheckoutPage;
use crate::keys::page::KeysPage;
use crate::layout::dashboard::DashboardLayout;
use crate::layout::home_page::HomePage;
use crate::layout::not_found::NotFound;
use crate::oauth::page::ConsentPage;
use crate::settings::page::SettingsPage;
use crate::statements::page::StatementsPage;
use crate::teams::invite_page::InvitePage;
use crate::teams::page::TeamPage;
use crate::usage::page::UsagePage;
use crate::wallet::page::WalletPage;
use crate::wallet::receipt_page::ReceiptPage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Tollgate"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async/>
                <Route path=path!("/checkout/:id") view=CheckoutPage ssr=SsrMode::Async/>
                <Route path=path!("/oauth/authorize") view=ConsentPage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/dashboard") view=DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/dashboard/wallet"/> } ssr=SsrMode::Async/>
                    <Route path=path!("wallet") view=WalletPage ssr=SsrMode::Async/>
                    <Route path=path!("wallet/receipts/:id") view=ReceiptPage ssr=SsrMode::Async/>
                    <Route path=path!("usage") view=UsagePage ssr=SsrMode::Async/>
                    <Route path=path!("statements") view=StatementsPage ssr=SsrMode::Async/>
                    <Route path=path!("keys") view=KeysPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("team") view=TeamPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=AuditLogPage ssr=SsrMode::Async/>
                </ParentRoute>
                // Only staff reach these (the server answers "not found" to anyone else first).
                <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=FindAccountPage ssr=SsrMode::Async/>
                    <Route path=path!("accounts/:id") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("log") view=StaffLogPageView ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
