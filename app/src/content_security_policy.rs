//! The Content-Security-Policy of our pages (docs/ARCHITECTURE.md "HTTP hardening"). Here, below every
//! feature, because the document (`shell`), the wallet page cache and the chat consent page all write it.

/// The Content-Security-Policy of a page whose inline scripts (Leptos' island loader) carry `nonce`:
/// scripts only from this site or with the nonce, WebAssembly compiled from this site's bundle, nothing
/// framed or framing (docs/ARCHITECTURE.md "HTTP hardening"). Inline `style` attributes stay allowed:
/// they can't run code.
pub fn content_security_policy(nonce: &str) -> String {
    content_security_policy_sending_forms_to(nonce, None)
}

/// [`content_security_policy`] for a page whose form's answer is a redirect to `elsewhere` (the chat consent
/// page sends the person back to the app that asked): browsers apply `form-action` to where a form's
/// redirects lead too, so that one origin is added to it.
pub fn content_security_policy_sending_forms_to(nonce: &str, elsewhere: Option<&str>) -> String {
    let elsewhere = elsewhere.map(|origin| format!(" {origin}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'{elsewhere}; frame-ancestors 'none'"
    )
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
        let policy = content_security_policy_sending_forms_to(&nonce, forms_to);
        if let Ok(policy) = axum::http::HeaderValue::from_str(&policy) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
}
