//! `/`: what Tollgate is, and the way in.

use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
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
