//! PKCE (RFC 7636), S256 only — OAuth 2.1 and MCP's authorization spec require it of every client: the
//! app sends the SHA-256 of a secret it keeps (the challenge) when it asks for consent, and the secret
//! itself (the verifier) when it trades the code for tokens. A code intercepted on its way back is
//! worthless without the verifier.

use serde::{Deserialize, Serialize};

/// `BASE64URL(SHA256(verifier))` without padding: exactly 43 characters of the base64url alphabet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    pub fn parse(raw: &str) -> Option<CodeChallenge> {
        let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        (raw.len() == 43 && raw.chars().all(base64url)).then(|| CodeChallenge(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` (43–128 unreserved characters, RFC 7636 §4.1) is the secret behind this challenge.
    pub fn is_answered_by(&self, verifier: &str) -> bool {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
        if !(43..=128).contains(&verifier.len()) || !verifier.chars().all(unreserved) {
            return false;
        }
        let digest = Sha256::digest(verifier.as_bytes());
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        // Not secret-dependent timing that matters: the challenge was sent in the clear by the app itself.
        expected == self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifies_and_nothing_else_does() {
        // RFC 7636 Appendix B.
        let challenge = CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").unwrap();
        assert!(challenge.is_answered_by("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!challenge.is_answered_by("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"));
        assert!(
            !challenge.is_answered_by("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            "the challenge itself"
        );
        assert!(!challenge.is_answered_by("short"));
    }

    #[test]
    fn a_challenge_is_43_base64url_characters() {
        assert!(CodeChallenge::parse(&"a".repeat(43)).is_some());
        assert!(CodeChallenge::parse(&"a".repeat(42)).is_none());
        assert!(CodeChallenge::parse(&format!("{}=", "a".repeat(42))).is_none());
        assert!(CodeChallenge::parse(&format!("{}+", "a".repeat(42))).is_none());
    }
}
