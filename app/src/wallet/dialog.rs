//! The Add Funds steps as a dialog (docs/CONTRACT.md "Add Funds flow": a modal dialog with JavaScript, a
//! section of the page without).
//! Without JavaScript it is a section in the page; with it, `public/enhance.js` makes it modal
//! (`aria-modal`), gives its first field focus, and Escape (or a click outside) closes it: back to
//! `/dashboard/wallet`, the address in `data-close`.

use leptos::prelude::*;

/// Where closing the dialog goes.
const CLOSE_TO: &str = "/dashboard/wallet";

#[component]
pub fn Dialog(labelled_by: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="dialog-layer">
            <a class="dialog-backdrop" href=CLOSE_TO tabindex="-1" aria-hidden="true"></a>
            <section class="card panel dialog" role="dialog" aria-labelledby=labelled_by data-close=CLOSE_TO>
                {children()}
            </section>
        </div>
    }
}
