//! The HTML document every page is rendered into.
//!
//! Pages are rendered on the server only (Leptos islands): every form posts and every link loads a page,
//! so everything works with JavaScript off. With it on, `public/enhance.js` sends those same requests
//! with `fetch` and swaps in the page that comes back (no full reload, pending labels on buttons), and the
//! few `#[island]` components (live field checks) hydrate from the wasm bundle.

use crate::routes::App;
use leptos::prelude::*;
use leptos_meta::MetaTags;

/// The whole document, rendered on the server, with the policy that lets its own inline scripts run.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::page_policy::set_for_this_page(None);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script src="/charts.js" defer></script>
                <script src="/enhance.js" defer></script>
                <AutoReload options=options.clone()/>
                // Islands: only `#[island]` components load the wasm bundle and hydrate.
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
