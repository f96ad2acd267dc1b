//! The one place a form's error is shown: always in the DOM (empty when fine) so screen readers
//! announce a new message; and where it comes from: a failed form post is sent back to its page with the
//! error's stable code in `?error=` (`server_fn_context::answer_form`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_domain::error::AppError;

/// The error a failed form post came back with (`?error=<code>`, and `&wait=<minutes>` when throttled),
/// if the code is one of ours. A page showing a refusal (429) answers with that status, so what a person
/// or a tool sees and what the status says agree.
pub fn url_error() -> Signal<Option<AppError>> {
    let query = use_query_map();
    let error = Signal::derive(move || {
        let query = query.read();
        query.get("error").and_then(|code| AppError::from_code_and_wait(&code, query.get("wait").as_deref()))
    });
    #[cfg(feature = "ssr")]
    if error.get_untracked().is_some_and(|e| e.http_status() == 429) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::TOO_MANY_REQUESTS);
        }
    }
    error
}

#[component]
pub fn FormError(#[prop(into)] id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="form-error" role="alert" aria-live="assertive">
            {move || message.get().unwrap_or_default()}
        </p>
    }
}

/// A refusal or failure shown in place of what couldn't be loaded or done (a page part whose server
/// function failed, a link that can't be used): the same paragraph as [`FormError`], announced at once.
#[component]
pub fn ErrorMessage(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="form-error" role="alert">{message}</p> }
}
