//! Stripe's settings (docs/CONTRACT.md "Card processors", README "Taking real payments"):
//! `STRIPE_SECRET_KEY`, `STRIPE_PUBLISHABLE_KEY` and `STRIPE_WEBHOOK_SECRET`, required with
//! `TOLLGATE_PROCESSOR=stripe`; `STRIPE_API_BASE` and `STRIPE_JS_URL` may point elsewhere (a Stripe double)
//! only with a test key, so a live deployment can't be pointed at anything but Stripe.

/// Where Stripe's API is.
pub const API_BASE: &str = "https://api.stripe.com";
/// Where Stripe.js is.
pub const JS_URL: &str = "https://js.stripe.com/v3/";

#[derive(Clone)]
pub struct StripeSettings {
    pub secret_key: String,
    pub publishable_key: String,
    pub webhook_secret: String,
    pub api_base: String,
    pub js_url: String,
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("secret_key", &"[redacted]")
            .field("publishable_key", &self.publishable_key)
            .field("webhook_secret", &"[redacted]")
            .field("api_base", &self.api_base)
            .field("js_url", &self.js_url)
            .finish()
    }
}

/// A setting refused: the variable it came from, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub name: &'static str,
    pub value: String,
    pub why: &'static str,
}

impl StripeSettings {
    /// Reads and checks the settings through `lookup` (an unset or empty variable reads as missing).
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<StripeSettings, Refused> {
        let set = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let required = |name: &'static str| {
            set(name).ok_or(Refused {
                name,
                value: String::new(),
                why: "required with TOLLGATE_PROCESSOR=stripe",
            })
        };
        let secret_key = required("STRIPE_SECRET_KEY")?;
        let publishable_key = required("STRIPE_PUBLISHABLE_KEY")?;
        let webhook_secret = required("STRIPE_WEBHOOK_SECRET")?;
        let test =
            mode_of(&secret_key, &["sk_test_", "rk_test_"], &["sk_live_", "rk_live_"]).ok_or(Refused {
                name: "STRIPE_SECRET_KEY",
                value: String::new(),
                why: "expected a Stripe secret key (sk_test_… or sk_live_…)",
            })?;
        if mode_of(&publishable_key, &["pk_test_"], &["pk_live_"]) != Some(test) {
            return Err(Refused {
                name: "STRIPE_PUBLISHABLE_KEY",
                value: publishable_key,
                why: "expected a publishable key of the secret key's mode (pk_test_… with sk_test_…, pk_live_… with sk_live_…)",
            });
        }
        if !webhook_secret.starts_with("whsec_") {
            return Err(Refused {
                name: "STRIPE_WEBHOOK_SECRET",
                value: String::new(),
                why: "expected the webhook endpoint's signing secret (whsec_…)",
            });
        }
        let elsewhere = |name: &'static str, default: &str| -> Result<String, Refused> {
            let Some(url) = set(name) else { return Ok(default.to_string()) };
            if url.trim_end_matches('/') == default.trim_end_matches('/') {
                return Ok(default.to_string());
            }
            if !test {
                return Err(Refused {
                    name,
                    value: url,
                    why: "may point away from Stripe only with a test key (sk_test_…)",
                });
            }
            match url::Url::parse(&url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
                    Ok(url)
                }
                _ => Err(Refused { name, value: url, why: "expected an http(s) URL" }),
            }
        };
        let api_base = elsewhere("STRIPE_API_BASE", API_BASE)?.trim_end_matches('/').to_string();
        let js_url = elsewhere("STRIPE_JS_URL", JS_URL)?;
        Ok(StripeSettings { secret_key, publishable_key, webhook_secret, api_base, js_url })
    }

    /// Whether the keys are test-mode keys (no real money moves).
    pub fn is_test_mode(&self) -> bool {
        mode_of(&self.secret_key, &["sk_test_", "rk_test_"], &["sk_live_", "rk_live_"]) == Some(true)
    }

    /// Stripe.js's origin (`https://js.stripe.com`), which pages allow their scripts, frames and
    /// connections from (and from nowhere else).
    pub fn js_origin(&self) -> String {
        url::Url::parse(&self.js_url).map(|url| url.origin().ascii_serialization()).unwrap_or_default()
    }
}

impl StripeSettings {
    /// The origins Stripe.js frames and talks to from a page: its own and the API's, and Stripe's 3-D
    /// Secure pages (`hooks.stripe.com`) when it is Stripe's own Stripe.js. Pages allow these and no others.
    pub fn browser_origins(&self) -> Vec<String> {
        let origin =
            |url: &str| url::Url::parse(url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        let mut origins = vec![self.js_origin(), origin(&self.api_base)];
        if self.js_url == JS_URL {
            origins.push("https://hooks.stripe.com".to_string());
        }
        origins.dedup();
        origins
    }
}

/// `Some(true)` for a test key, `Some(false)` for a live one, `None` for neither.
fn mode_of(key: &str, test: &[&str], live: &[&str]) -> Option<bool> {
    if test.iter().any(|p| key.starts_with(p)) {
        Some(true)
    } else if live.iter().any(|p| key.starts_with(p)) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<StripeSettings, Refused> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        StripeSettings::from_lookup(&|k: &str| map.get(k).cloned())
    }

    const TEST_KEYS: [(&str, &str); 3] = [
        ("STRIPE_SECRET_KEY", "sk_test_abc"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_abc"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
    ];
    const LIVE_KEYS: [(&str, &str); 3] = [
        ("STRIPE_SECRET_KEY", "sk_live_abc"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_abc"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
    ];

    #[test]
    fn every_key_is_required_and_named_when_missing() {
        for missing in ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"] {
            let pairs: Vec<_> = TEST_KEYS.iter().copied().filter(|(k, _)| *k != missing).collect();
            assert_eq!(read(&pairs).unwrap_err().name, missing);
            let mut empty = TEST_KEYS.to_vec();
            empty.retain(|(k, _)| *k != missing);
            empty.push((missing, "  "));
            assert_eq!(read(&empty).unwrap_err().name, missing, "empty is missing");
        }
    }

    #[test]
    fn defaults_are_stripes_own_addresses() {
        let settings = read(&LIVE_KEYS).unwrap();
        assert_eq!((settings.api_base.as_str(), settings.js_url.as_str()), (API_BASE, JS_URL));
        assert!(!settings.is_test_mode());
        assert_eq!(settings.js_origin(), "https://js.stripe.com");
        assert_eq!(
            settings.browser_origins(),
            ["https://js.stripe.com", "https://api.stripe.com", "https://hooks.stripe.com"]
        );
    }

    #[test]
    fn a_double_is_allowed_with_a_test_key_and_never_with_a_live_one() {
        let mut pairs = TEST_KEYS.to_vec();
        pairs.push(("STRIPE_API_BASE", "http://127.0.0.1:8420/"));
        pairs.push(("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/"));
        let settings = read(&pairs).unwrap();
        assert_eq!(settings.api_base, "http://127.0.0.1:8420");
        assert_eq!(settings.js_origin(), "http://127.0.0.1:8420");
        assert_eq!(
            settings.browser_origins(),
            ["http://127.0.0.1:8420"],
            "a double serving both is one origin"
        );
        assert!(settings.is_test_mode());
        for (name, url) in
            [("STRIPE_API_BASE", "http://127.0.0.1:8420"), ("STRIPE_JS_URL", "https://evil.test/v3/")]
        {
            let mut pairs = LIVE_KEYS.to_vec();
            pairs.push((name, url));
            let refused = read(&pairs).unwrap_err();
            assert_eq!(
                (refused.name, refused.why),
                (name, "may point away from Stripe only with a test key (sk_test_…)")
            );
        }
        let mut pairs = LIVE_KEYS.to_vec();
        pairs.push(("STRIPE_API_BASE", "https://api.stripe.com/"));
        assert!(read(&pairs).is_ok(), "Stripe's own address, spelled with a slash, is Stripe");
    }

    #[test]
    fn keys_of_mixed_modes_or_wrong_kinds_are_refused() {
        let mut mixed = TEST_KEYS.to_vec();
        mixed[1] = ("STRIPE_PUBLISHABLE_KEY", "pk_live_abc");
        assert_eq!(read(&mixed).unwrap_err().name, "STRIPE_PUBLISHABLE_KEY");
        let mut wrong = TEST_KEYS.to_vec();
        wrong[0] = ("STRIPE_SECRET_KEY", "pk_test_abc");
        assert_eq!(read(&wrong).unwrap_err().name, "STRIPE_SECRET_KEY");
        let mut wrong = TEST_KEYS.to_vec();
        wrong[2] = ("STRIPE_WEBHOOK_SECRET", "sk_test_abc");
        assert_eq!(read(&wrong).unwrap_err().name, "STRIPE_WEBHOOK_SECRET");
        let mut bad_url = TEST_KEYS.to_vec();
        bad_url.push(("STRIPE_API_BASE", "ftp://x"));
        assert_eq!(read(&bad_url).unwrap_err().why, "expected an http(s) URL");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let shown = format!("{:?}", read(&TEST_KEYS).unwrap());
        assert!(!shown.contains("sk_test_abc") && !shown.contains("whsec_abc"), "{shown}");
    }
}
