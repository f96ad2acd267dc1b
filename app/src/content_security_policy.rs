//! The Content-Security-Policy of our pages (docs/ARCHITECTURE.md "HTTP hardening"). Here, below every
//! feature, because the document (`shell`), the wallet page cache and the chat consent page all write it.

/// Where a card processor's script comes from and what it frames and talks to, which pages that take
/// cards must allow (docs/CONTRACT.md "Card processors"): nothing else is ever allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessorScript {
    /// The script's own origin (`https://js.stripe.com`).
    pub script_origin: String,
    /// The origins it frames and connects to (its own, the processor's API).
    pub origins: Vec<String>,
}

/// The Content-Security-Policy of a page whose inline scripts (Leptos' island loader) carry `nonce`:
/// scripts only from this site or with the nonce, WebAssembly compiled from this site's bundle, nothing
/// framed or framing (docs/ARCHITECTURE.md "HTTP hardening") — but for the card processor's script, where
/// the processor takes cards in the browser. Inline `style` attributes stay allowed: they can't run code.
pub fn content_security_policy(nonce: &str, processor: Option<&ProcessorScript>) -> String {
    content_security_policy_sending_forms_to(nonce, None, processor)
}

/// [`content_security_policy`] for a page whose form's answer is a redirect to `elsewhere` (the chat consent
/// page sends the person back to the app that asked): browsers apply `form-action` to where a form's
/// redirects lead too, so that one origin is added to it.
pub fn content_security_policy_sending_forms_to(
    nonce: &str,
    elsewhere: Option<&str>,
    processor: Option<&ProcessorScript>,
) -> String {
    let elsewhere = elsewhere.map(|origin| format!(" {origin}")).unwrap_or_default();
    let (script, frames, connects) = match processor {
        Some(p) => {
            let others: String = p.origins.iter().map(|o| format!(" {o}")).collect();
            (format!(" {}", p.script_origin), format!("frame-src{others}; "), others)
        }
        None => (String::new(), String::new(), String::new()),
    };
    format!(
        "default-src 'self'; script-src 'self'{script} 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{connects}; {frames}object-src 'none'; \
         base-uri 'none'; form-action 'self'{elsewhere}; frame-ancestors 'none'"
    )
}

/// The card processor's script of this request's processor, when it takes cards in the browser: what
/// pages allow, the script's URL and the publishable key it runs with.
#[cfg(feature = "ssr")]
pub fn processor_script() -> Option<(ProcessorScript, String, String)> {
    processor_script_of(&crate::server_fn_context::processor().ok()?.card_entry())
}

/// [`processor_script`] of a processor's card entry.
#[cfg(feature = "ssr")]
pub fn processor_script_of(
    entry: &tollgate_core::payments::processor::CardEntry,
) -> Option<(ProcessorScript, String, String)> {
    use tollgate_core::payments::processor::CardEntry;
    match entry {
        CardEntry::TollgateForm => None,
        CardEntry::ProcessorScript { script_url, publishable_key, origins } => Some((
            ProcessorScript { script_origin: origin_of(script_url), origins: origins.clone() },
            script_url.clone(),
            publishable_key.clone(),
        )),
    }
}

/// `scheme://host[:port]` of a URL.
#[cfg(feature = "ssr")]
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{host}")
}

/// Gives the page being rendered its policy, for the nonce Leptos put on its inline scripts; `forms_to` as
/// in [`content_security_policy_sending_forms_to`]. (The document sets it for every page; a page whose form
/// leads elsewhere sets it again, which replaces it.)
#[cfg(feature = "ssr")]
pub fn set_for_this_page(forms_to: Option<&str>) {
    use leptos::prelude::use_context;
    if let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    {
        let processor = processor_script().map(|(script, _, _)| script);
        let policy = content_security_policy_sending_forms_to(&nonce, forms_to, processor.as_ref());
        if let Ok(policy) = axum::http::HeaderValue::from_str(&policy) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
}
