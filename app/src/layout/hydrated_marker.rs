//! "This page is live": `<body data-hydrated="true">` once the islands of the page have hydrated and
//! `public/enhance.js` handles links and forms (the browser tests wait for it before they click).

/// Called by the browser entry right after `hydrate_islands`. The island loader hydrates the page's
/// islands as soon as `hydrate` returns, in the same task, so a zero-delay timeout runs after them.
#[cfg(feature = "hydrate")]
pub fn mark_live_after_islands() {
    use leptos::prelude::{document, set_timeout};
    set_timeout(
        || {
            if let Some(body) = document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
