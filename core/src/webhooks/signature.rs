//! Webhook signatures, one scheme both ways: the header `t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<body>")>`. Tollgate signs its own deliveries with it (docs/CONTRACT.md "Webhooks"), and Stripe signs
//! the events it sends Tollgate with it (`Stripe-Signature`, docs/CONTRACT.md "Card processors").

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header of `body` sent at `timestamp` with `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let hex: String =
        mac(secret, timestamp, body).finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Why a signed body was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("no signature matches the body")]
    NoMatch,
    #[error("the signature is older or newer than the tolerance allows")]
    OutOfTolerance,
}

/// Checks `header` against `body` and `secret`: one of its `v1` signatures must match (a sender rolling its
/// secret sends several), compared in constant time, and its `t` must be within `tolerance_secs` of `now`
/// either way, so a captured event can't be replayed later.
pub fn verify(
    header: &str,
    secret: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), Unverified> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t.parse::<i64>().map_err(|_| Unverified::Malformed)?),
            Some(("v1", hex)) => signatures.push(decode_hex(hex).ok_or(Unverified::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Unverified::Malformed)?;
    if signatures.is_empty() {
        return Err(Unverified::Malformed);
    }
    if !signatures.iter().any(|signature| mac(secret, timestamp, body).verify_slice(signature).is_ok()) {
        return Err(Unverified::NoMatch);
    }
    if now.abs_diff(timestamp) > tolerance_secs.unsigned_abs() {
        return Err(Unverified::OutOfTolerance);
    }
    Ok(())
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn the_signature_is_stripes_scheme() {
        // HMAC-SHA256("whsec_test", "1700000000.{}"), computed independently with Python's hmac module.
        assert_eq!(
            sign("whsec_test", NOW, b"{}"),
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn a_signed_body_verifies_within_five_minutes_and_not_after() {
        let header = sign("whsec_test", NOW, b"{}");
        assert_eq!(verify(&header, "whsec_test", b"{}", NOW + 300, 300), Ok(()));
        assert_eq!(verify(&header, "whsec_test", b"{}", NOW - 300, 300), Ok(()));
        assert_eq!(verify(&header, "whsec_test", b"{}", NOW + 301, 300), Err(Unverified::OutOfTolerance));
    }

    #[test]
    fn any_of_several_signatures_may_match_and_other_schemes_are_ignored() {
        let good = sign("whsec_new", NOW, b"{}");
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t={NOW},v0=abcd,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify(&header, "whsec_new", b"{}", NOW, 300), Ok(()));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=0g", "t=1,v1=abc", "garbage"] {
            assert_eq!(verify(header, "s", b"{}", 1, 300), Err(Unverified::Malformed), "{header}");
        }
    }

    proptest! {
        /// Changing any byte of the body, or the secret, or the timestamp, breaks the signature.
        #[test]
        fn a_tampered_body_secret_or_time_never_verifies(body in proptest::collection::vec(any::<u8>(), 1..200), at in 0..200usize, flip in 1..=255u8) {
            let header = sign("whsec_test", NOW, &body);
            prop_assert_eq!(verify(&header, "whsec_test", &body, NOW, 300), Ok(()));
            let mut tampered = body.clone();
            let at = at % tampered.len();
            tampered[at] ^= flip;
            prop_assert_eq!(verify(&header, "whsec_test", &tampered, NOW, 300), Err(Unverified::NoMatch));
            prop_assert_eq!(verify(&header, "whsec_other", &body, NOW, 300), Err(Unverified::NoMatch));
            let moved = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
            prop_assert_eq!(verify(&moved, "whsec_test", &body, NOW, 300), Err(Unverified::NoMatch));
        }
    }
}
