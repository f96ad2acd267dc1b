//! The browser entry. Pages are rendered on the server only (Leptos islands): this hydrates the few
//! interactive `#[island]` components of the `app` crate, which the island loader in the page finds by
//! their `<leptos-island>` elements right after calling `hydrate`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    app::layout::hydrated_marker::mark_live_after_islands();
}
