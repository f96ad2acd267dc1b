//! The idempotency-key rule (docs/CONTRACT.md "JSON API"): `/v1`'s `Idempotency-Key` header and the chat
//! channel's `idempotency_key` argument take the same keys.

/// An idempotency key as documented: 1–255 visible ASCII characters or spaces.
pub fn is_valid_idempotency_key(key: &str) -> bool {
    let documented = |b: u8| b == b' ' || (b'!'..=b'~').contains(&b);
    !key.is_empty() && key.len() <= 255 && key.bytes().all(documented)
}
