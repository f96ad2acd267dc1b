//! The HTML document and the route table.
//!
//! Pages are rendered on the server only (Leptos islands): every form posts and every link loads a page,
//! so everything works with JavaScript off. With it on, `public/enhance.js` sends those same requests
//! with `fetch` and swaps in the page that comes back (no full reload, pending labels on buttons), and the
//! few `#[island]` components (live field checks, the Add Funds dialog) hydrate from the wasm bundle.

use crate::auth::page::{LoginPage, SignupPage};
use crate::checkout::page::CheckoutPage;
use crate::keys::page::KeysPage;
use crate::layout::dashboard::DashboardLayout;
use crate::usage::page::UsagePage;
use crate::wallet::page::WalletPage;
use crate::wallet::receipt_page::ReceiptPage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The whole document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script src="/charts.js" defer></script>
                <script src="/enhance.js" defer></script>
                <AutoReload options=options.clone()/>
                // Islands: only `#[island]` components load the wasm bundle and hydrate.
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/tollgate.css"/>
        <Title text="Tollgate"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async/>
                <Route path=path!("/checkout/:id") view=CheckoutPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/dashboard") view=DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/dashboard/wallet"/> } ssr=SsrMode::Async/>
                    <Route path=path!("wallet") view=WalletPage ssr=SsrMode::Async/>
                    <Route path=path!("wallet/receipts/:id") view=ReceiptPage ssr=SsrMode::Async/>
                    <Route path=path!("usage") view=UsagePage ssr=SsrMode::Async/>
                    <Route path=path!("keys") view=KeysPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    view! {
        <main class="auth-page">
            <section class="auth-card hero">
                <h1>"Tollgate"</h1>
                <p>"A prepaid wallet for paid API calls. Fund it once with a card; every call your agents make is charged against it, and a call the balance can't cover is refused before it runs."</p>
                <div class="row">
                    <a class="button primary" href="/signup">"Create an account"</a>
                    <a class="button" href="/login">"Log in"</a>
                </div>
            </section>
        </main>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Page not found"</h1>
                <p><a href="/dashboard/wallet">"Go to your wallet"</a></p>
            </section>
        </main>
    }
}
