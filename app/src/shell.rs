//! The HTML document every page is rendered into.
//!
//! Pages are rendered on the server only (Leptos islands): every form posts and every link loads a page,
//! so everything works with JavaScript off. With it on, `public/enhance.js` sends those same requests
//! with `fetch` and swaps in the page that comes back (no full reload, pending labels on buttons), and the
//! few `#[island]` components (live field checks) hydrate from the wasm bundle.

use crate::assets;
use crate::routes::App;
use leptos::prelude::*;
use leptos_meta::MetaTags;

/// The whole document, rendered on the server, with the policy that lets its own inline scripts run.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = assets::stylesheet_href(&options);
    #[cfg(feature = "ssr")]
    crate::content_security_policy::set_for_this_page(None);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <meta name="description" content="Tollgate: a prepaid USD wallet for your agents' paid API calls — balance, deposits, usage and spend keys."/>
                <link rel="icon" href=assets::url("favicon.svg") type="image/svg+xml"/>
                // The stylesheet, named by its content hash (docs/ARCHITECTURE.md "Static files and caching"),
                // read once per process.
                <link id="leptos" rel="stylesheet" href=stylesheet/>
                // `data-echarts`: where charts.js loads ECharts from, versioned like the scripts themselves.
                <script src=assets::url("charts.js") data-echarts=assets::url("echarts.min.js") defer></script>
                <script src=assets::url("enhance.js") defer></script>
                // With a processor that takes cards in the browser (Stripe): its script, then ours that
                // mounts its card Element and opens its bank checks (docs/CONTRACT.md "Card processors").
                {card_script()}
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

/// The card processor's script and `card-entry.js`, where the processor takes cards in the browser; nothing
/// with the sandbox.
fn card_script() -> Option<impl IntoView> {
    #[cfg(feature = "ssr")]
    {
        let (_, script_url, _) = crate::content_security_policy::processor_script()?;
        Some(view! {
            <script src=script_url defer></script>
            <script src=assets::url("card-entry.js") defer></script>
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        None::<()>
    }
}
