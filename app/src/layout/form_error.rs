//! The one place a form's error is shown: always in the DOM (empty when fine) so screen readers
//! announce a new message.

use leptos::prelude::*;

#[component]
pub fn FormError(#[prop(into)] id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="form-error" role="alert" aria-live="assertive">
            {move || message.get().unwrap_or_default()}
        </p>
    }
}
