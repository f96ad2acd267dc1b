//! Where a chat app wants the person sent back after the consent page. OAuth's worst failure is a code
//! delivered to the wrong place, so a redirect URI is checked when the app registers it and then matched
//! exactly, character for character, on every authorization (OAuth 2.1: no prefix or pattern matching) —
//! except the port of a loopback `http` URI, which RFC 8252 lets an app on the person's computer choose.

use serde::{Deserialize, Serialize};

/// A registered redirect URI: `https://…`, `http://` only to this machine (`localhost`, `127.0.0.1`,
/// `[::1]`, for apps on the person's computer, RFC 8252), or a native app's private scheme with a dot in it
/// (`com.example.app:/callback`). Never `javascript:`, `data:` or `file:`; no fragment; at most 2,000
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Option<RedirectUri> {
        if raw.is_empty() || raw.len() > Self::MAX_CHARS || raw.contains('#') {
            return None;
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace() || !c.is_ascii()) {
            return None;
        }
        let (scheme, rest) = raw.split_once(':')?;
        let scheme = scheme.to_ascii_lowercase();
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid_scheme {
            return None;
        }
        let accepted = match scheme.as_str() {
            "https" => !host_of(rest)?.is_empty(),
            "http" => matches!(host_of(rest)?, "localhost" | "127.0.0.1" | "[::1]"),
            // Private-use schemes are reverse domain names (RFC 8252 §7.1), which rules out the dangerous ones.
            other => other.contains('.') && rest.starts_with('/'),
        };
        accepted.then(|| RedirectUri(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this (requested) URI is the `registered` one: exactly, except that a loopback `http` URI may
    /// name any port (RFC 8252 §7.3: an app on the person's computer listens on whatever port is free).
    pub fn is_registered_as(&self, registered: &str) -> bool {
        if self.0 == registered {
            return true;
        }
        let loopback_parts = |uri: &str| {
            let rest = uri.strip_prefix("http:")?;
            let (host, _) = host_and_port(rest)?;
            matches!(host, "localhost" | "127.0.0.1" | "[::1]").then_some(())?;
            let authority_len = rest.strip_prefix("//")?.find(['/', '?']).unwrap_or(rest.len() - 2);
            Some((host.to_string(), rest[2 + authority_len..].to_string()))
        };
        matches!((loopback_parts(&self.0), loopback_parts(registered)), (Some(a), Some(b)) if a == b)
    }

    /// The URI with `params` added to its query (`?` or `&`), each value percent-encoded.
    pub fn with_query(&self, params: &[(&str, &str)]) -> String {
        let mut url = self.0.clone();
        let mut separator = if url.contains('?') { '&' } else { '?' };
        for (name, value) in params {
            url.push(separator);
            url.push_str(name);
            url.push('=');
            url.push_str(&crate::url_query::encode_value(value));
            separator = '&';
        }
        url
    }

    /// The way back to the app with its answer: `name=value` (`code=…` or `error=…`), then the `state` the
    /// app sent, if it sent one (RFC 6749 §4.1.2), then `iss`, the issuer that answers (RFC 9207).
    pub fn answer(&self, (name, value): (&str, &str), state: Option<&str>, issuer: &str) -> String {
        let mut params = vec![(name, value)];
        if let Some(state) = state {
            params.push(("state", state));
        }
        params.push(("iss", issuer));
        self.with_query(&params)
    }

    /// What the consent page names as the destination: the host for web addresses, else the scheme.
    pub fn destination(&self) -> String {
        let (scheme, rest) = self.0.split_once(':').unwrap_or(("", ""));
        match scheme.to_ascii_lowercase().as_str() {
            "https" | "http" => host_of(rest).unwrap_or_default().to_string(),
            other => format!("the {other} app"),
        }
    }

    /// The origin a form on the consent page may be sent on to (for its `form-action`): `https://host:port`
    /// or the private scheme (`com.example.app:`).
    pub fn form_action_source(&self) -> String {
        let (scheme, rest) = self.0.split_once(':').unwrap_or(("", ""));
        match scheme.to_ascii_lowercase().as_str() {
            "https" | "http" => {
                let authority = rest.trim_start_matches("//").split(['/', '?']).next().unwrap_or_default();
                format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase())
            }
            other => format!("{other}:"),
        }
    }
}

/// `host` of `//host:port/path` (IPv6 in brackets), if the URI has an authority made only of what a host
/// and port can be: the origin is written into the consent page's policy, where `;` or a space would add
/// rules. Credentials (`user@`, even after a bracketed host) are refused: they only serve to disguise where
/// a URI goes.
fn host_of(rest: &str) -> Option<&str> {
    let (host, _) = host_and_port(rest)?;
    Some(host)
}

/// `host` and `port` of `//host:port/path`, under the rules of [`host_of`].
fn host_and_port(rest: &str) -> Option<(&str, Option<&str>)> {
    let authority = rest.strip_prefix("//")?.split(['/', '?']).next()?;
    if authority.contains('@') {
        return None;
    }
    let (host, after_host) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let inside = &authority[1..end];
        if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return None;
        }
        (&authority[..=end], &authority[end + 1..])
    } else {
        let end = authority.find(':').unwrap_or(authority.len());
        let host = &authority[..end];
        if !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
            return None;
        }
        (host, &authority[end..])
    };
    let port = match after_host {
        "" => None,
        rest => Some(rest.strip_prefix(':')?),
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn web_callbacks_loopback_and_native_schemes_are_accepted() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "https://example.com:8443/cb?tenant=1",
            "http://127.0.0.1:33418/callback",
            "http://localhost/cb",
            "http://[::1]:9000/cb",
            "com.example.chat:/oauth/callback",
        ] {
            assert!(RedirectUri::parse(ok).is_some(), "{ok}");
        }
    }

    #[test]
    fn dangerous_or_ambiguous_callbacks_are_refused() {
        for bad in [
            "",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "http://evil.example/cb",
            "http://127.0.0.1.evil.example/cb",
            "https://good.example@evil.example/cb",
            "https://example.com/cb#fragment",
            "https:///no-host",
            "https://exa mple.com/cb",
            "https://exämple.com/cb",
            "chat:/callback",
            "/relative/path",
            "https://a.example;script-src*/cb",
            "https://a.example:80;x/cb",
            "https://a.example:port/cb",
            "http://[::1;x]/cb",
            "http://[::1]@evil.example/cb",
            "https://[::1]@evil.example/cb",
            "http://[::1];sandbox/cb",
            "http://[::1]x/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_none(), "{bad}");
        }
        assert!(RedirectUri::parse(&format!("https://example.com/{}", "a".repeat(2000))).is_none());
    }

    #[test]
    fn the_answer_is_added_to_the_query_encoded() {
        let uri = RedirectUri::parse("https://app.example/cb?x=1").unwrap();
        assert_eq!(
            uri.with_query(&[("code", "a b"), ("state", "s&t")]),
            "https://app.example/cb?x=1&code=a%20b&state=s%26t"
        );
        let uri = RedirectUri::parse("http://127.0.0.1:5000/cb").unwrap();
        assert_eq!(
            uri.with_query(&[("error", "access_denied")]),
            "http://127.0.0.1:5000/cb?error=access_denied"
        );
        assert_eq!(uri.destination(), "127.0.0.1");
        assert_eq!(uri.form_action_source(), "http://127.0.0.1:5000");
        let native = RedirectUri::parse("com.example.chat:/cb").unwrap();
        assert_eq!(
            (native.destination().as_str(), native.form_action_source().as_str()),
            ("the com.example.chat app", "com.example.chat:")
        );
    }

    #[test]
    fn a_loopback_callback_may_use_any_port_and_nothing_else_may_differ() {
        let requested = |uri: &str| RedirectUri::parse(uri).unwrap();
        assert!(
            requested("http://127.0.0.1:51234/callback").is_registered_as("http://127.0.0.1:33418/callback")
        );
        assert!(requested("http://127.0.0.1/callback").is_registered_as("http://127.0.0.1:33418/callback"));
        assert!(requested("http://localhost:8080/cb?x=1").is_registered_as("http://localhost:9/cb?x=1"));
        assert!(
            !requested("http://127.0.0.1:51234/other").is_registered_as("http://127.0.0.1:33418/callback")
        );
        assert!(
            !requested("http://localhost:51234/callback").is_registered_as("http://127.0.0.1:33418/callback")
        );
        assert!(!requested("https://app.example:444/cb").is_registered_as("https://app.example/cb"));
        assert!(requested("https://app.example/cb").is_registered_as("https://app.example/cb"));
    }

    proptest! {
        #[test]
        fn whatever_is_accepted_is_kept_exactly_and_is_never_a_script(raw in "(https?://|[a-z.]{1,8}:/)?\\PC{0,60}") {
            if let Some(uri) = RedirectUri::parse(&raw) {
                prop_assert_eq!(uri.as_str(), raw.as_str());
                let scheme = raw.split(':').next().unwrap().to_ascii_lowercase();
                prop_assert!(!["javascript", "data", "file", "vbscript"].contains(&scheme.as_str()));
                prop_assert!(!raw.contains('#'));
                let origin = uri.form_action_source();
                prop_assert!(!origin.contains([';', ',', ' ', '\'', '"']), "{origin}");
            }
        }
    }
}
