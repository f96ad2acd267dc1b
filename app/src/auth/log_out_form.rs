//! "Log out", as every signed-in frame shows it: a POST, so no link or prefetch can sign anyone out.

use super::server_fns::LogOut;
use leptos::prelude::*;

#[component]
pub fn LogOutForm() -> impl IntoView {
    let logout = ServerAction::<LogOut>::new();
    view! {
        <ActionForm action=logout attr:class="logout-form">
            <button type="submit" class="button ghost">"Log out"</button>
        </ActionForm>
    }
}
