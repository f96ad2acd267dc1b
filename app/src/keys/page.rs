use leptos::prelude::*;

#[component]
pub fn KeysPage() -> impl IntoView {
    view! {
        <main class="page">
            <h1>"Spend keys"</h1>
            <section class="card">
                <h2>"Your keys"</h2>
                <p class="empty">"No spend keys yet. Spend keys let an agent pay for calls from this wallet without sharing your login."</p>
            </section>
        </main>
    }
}
