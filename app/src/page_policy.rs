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
