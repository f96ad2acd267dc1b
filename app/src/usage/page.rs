use leptos::prelude::*;

#[component]
pub fn UsagePage() -> impl IntoView {
    view! {
        <main class="page">
            <h1>"Usage"</h1>
            <section class="card">
                <h2>"Daily summary"</h2>
                <p class="empty">"No metered calls yet. Once your spend keys make paid calls, spend per day and per service shows here, with every request and its cost breakdown."</p>
            </section>
        </main>
    }
}
