//! Spend-key secrets: `tg_sk_` + 192 random bits (48 hex digits). Only the SHA-256 of a secret is stored:
//! a secret this random can't be guessed from its hash, and a fast hash lets the metered path look a key
//! up on every call (argon2 would cost ~50 ms per call for no gain).

use crate::random::random_hex;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "tg_sk_";
const RANDOM_BYTES: usize = 24;

/// A freshly made secret. It exists only in this value and in the one response that shows it.
pub struct NewSecret {
    pub secret: String,
    pub sha256: [u8; 32],
    /// "tg_sk_3f9a" — shown in the key list so a person can tell keys apart.
    pub display_prefix: String,
}

pub fn generate() -> NewSecret {
    let secret = format!("{PREFIX}{}", random_hex(RANDOM_BYTES));
    NewSecret { sha256: sha256(&secret), display_prefix: secret[..PREFIX.len() + 4].to_string(), secret }
}

/// The lookup hash of a presented secret.
pub fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let a = generate();
        let b = generate();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), PREFIX.len() + 48);
        assert!(a.secret.starts_with("tg_sk_"));
        assert_eq!(a.sha256, sha256(&a.secret));
        assert!(a.secret.starts_with(&a.display_prefix) && a.display_prefix.len() == 10);
    }
}
