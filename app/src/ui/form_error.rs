//! The one place a form's error is shown: always in the DOM (empty when fine) so screen readers
//! announce a new message; and where it comes from: a failed form post is sent back to its page with the
//! error's stable code in `?error=` (`server_fn_context::answer_form`).

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The error a failed form post came back with (`?error=<code>`), if the code is one of ours.
pub fn url_error() -> Signal<Option<AppError>> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("error").and_then(|code| AppError::from_code(&code)))
}

#[component]
pub fn FormError(#[prop(into)] id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="form-error" role="alert" aria-live="assertive">
            {move || message.get().unwrap_or_default()}
        </p>
    }
}
