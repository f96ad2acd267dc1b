//! Any address no route matches: a 404 page.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
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
