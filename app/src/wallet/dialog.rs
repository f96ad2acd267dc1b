//! The Add Funds steps as a dialog (CONTRACT.md: "a dialog with JS, a section or page without").
//! Without JavaScript it is a section in the page; once the app is live it overlays the page, takes focus,
//! is announced as a modal dialog, and Escape or a click outside closes it (back to `/dashboard/wallet`).

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_router::hooks::use_navigate;

#[component]
pub fn Dialog(labelled_by: &'static str, children: Children) -> impl IntoView {
    let (live, set_live) = signal(false);
    let section = NodeRef::<leptos::html::Section>::new();
    // Effects run only in the browser: there the dialog is modal and the first field gets focus.
    Effect::new(move |_| {
        set_live.set(true);
        if let Some(section) = section.get() {
            let first = section.query_selector("input:not([type=hidden]), button").ok().flatten();
            if let Some(el) = first.and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        }
    });
    let navigate = use_navigate();
    let close = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            navigate("/dashboard/wallet", Default::default());
        }
    };
    view! {
        <div class="dialog-layer">
            <a class="dialog-backdrop" href="/dashboard/wallet" tabindex="-1" aria-hidden="true"></a>
            <section
                node_ref=section
                class="card panel dialog"
                role="dialog"
                aria-modal=move || live.get().then_some("true")
                aria-labelledby=labelled_by
                on:keydown=close
            >
                {children()}
            </section>
        </div>
    }
}
