//! Dynamic client registration (RFC 7591): a chat app registers itself before its first connection, naming
//! itself and the addresses the person may be sent back to. Nothing it says is trusted beyond that: it
//! gets no permission until a person allows it on the consent page.

use super::redirect_uri::RedirectUri;
use serde::Deserialize;

/// The metadata as posted. Unknown fields are ignored (RFC 7591 §2).
#[derive(Debug, Default, Deserialize)]
pub struct ClientMetadata {
    #[serde(default)]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
}

/// How the app proves itself at the token endpoint: public apps (on the person's device) can't keep a
/// secret and rely on PKCE alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ClientAuthentication {
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

/// A registration that may be stored.
#[derive(Debug, PartialEq, Eq)]
pub struct ClientRegistration {
    pub client_name: String,
    pub redirect_uris: Vec<RedirectUri>,
    pub authentication: ClientAuthentication,
}

/// RFC 7591 §3.2.2's refusals: the error code and what is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct RegistrationRefusal {
    pub error: &'static str,
    pub description: &'static str,
}

const MAX_REDIRECT_URIS: usize = 5;
const MAX_REDIRECT_URI_CHARS: usize = 512;
const MAX_NAME_CHARS: usize = 100;

impl ClientMetadata {
    pub fn check(self) -> Result<ClientRegistration, RegistrationRefusal> {
        let redirect = |description| RegistrationRefusal { error: "invalid_redirect_uri", description };
        let metadata = |description| RegistrationRefusal { error: "invalid_client_metadata", description };
        let uris = self.redirect_uris.unwrap_or_default();
        if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
            return Err(redirect("redirect_uris must list 1 to 5 addresses"));
        }
        if uris.iter().any(|uri| uri.chars().count() > MAX_REDIRECT_URI_CHARS) {
            return Err(redirect("each redirect URI must be at most 512 characters"));
        }
        let redirect_uris = uris
            .iter()
            .map(|uri| RedirectUri::parse(uri))
            .collect::<Option<Vec<_>>>()
            .ok_or(redirect(
            "each redirect URI must be https, http to localhost, or a private-use scheme, without a fragment",
        ))?;
        let name = self.client_name.unwrap_or_default();
        let name: String = name.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string();
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(metadata("client_name must be at most 100 characters"));
        }
        let client_name = if name.is_empty() { "A chat app".to_string() } else { name };
        // RFC 7591 §2: without a method, the default is client_secret_basic.
        let authentication = self
            .token_endpoint_auth_method
            .as_deref()
            .unwrap_or("client_secret_basic")
            .parse()
            .map_err(|_| {
                metadata("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
            })?;
        let grants_ok = self
            .grant_types
            .unwrap_or_default()
            .iter()
            .all(|g| g == "authorization_code" || g == "refresh_token");
        if !grants_ok {
            return Err(metadata("grant_types may only be authorization_code and refresh_token"));
        }
        if !self.response_types.unwrap_or_default().iter().all(|r| r == "code") {
            return Err(metadata("response_types may only be code"));
        }
        Ok(ClientRegistration { client_name, redirect_uris, authentication })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(json: &str) -> ClientMetadata {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_public_chat_app_registers_with_its_callbacks() {
        let reg = metadata(
            r#"{"client_name": "Claude", "redirect_uris": ["http://127.0.0.1:5555/callback"],
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "scope": "wallet", "logo_uri": "https://x.example/l.png"}"#,
        )
        .check()
        .unwrap();
        assert_eq!(reg.client_name, "Claude");
        assert_eq!(reg.authentication, ClientAuthentication::None);
        let confidential = metadata(r#"{"redirect_uris": ["https://app.example/cb"]}"#).check().unwrap();
        assert_eq!(confidential.authentication, ClientAuthentication::ClientSecretBasic);
        assert_eq!(confidential.client_name, "A chat app");
    }

    #[test]
    fn bad_metadata_is_refused_with_the_rfc_error_code() {
        let error = |json: &str| metadata(json).check().unwrap_err().error;
        assert_eq!(error(r#"{}"#), "invalid_redirect_uri");
        assert_eq!(error(r#"{"redirect_uris": ["javascript:alert(1)"]}"#), "invalid_redirect_uri");
        assert_eq!(error(r#"{"redirect_uris": ["http://evil.example/cb"]}"#), "invalid_redirect_uri");
        let many: Vec<String> = (0..6).map(|i| format!("\"https://a.example/{i}\"")).collect();
        assert_eq!(error(&format!(r#"{{"redirect_uris": [{}]}}"#, many.join(","))), "invalid_redirect_uri");
        assert!(metadata(&format!(r#"{{"redirect_uris": [{}]}}"#, many[..5].join(","))).check().is_ok());
        let long = format!("https://a.example/{}", "p".repeat(512 - 18));
        assert_eq!(long.len(), 512);
        assert!(metadata(&format!(r#"{{"redirect_uris": ["{long}"]}}"#)).check().is_ok());
        assert_eq!(error(&format!(r#"{{"redirect_uris": ["{long}x"]}}"#)), "invalid_redirect_uri");
        let ok = r#""redirect_uris": ["https://a.example/cb""#;
        assert_eq!(error(&format!(r#"{{{ok}], "grant_types": ["implicit"]}}"#)), "invalid_client_metadata");
        assert_eq!(error(&format!(r#"{{{ok}], "response_types": ["token"]}}"#)), "invalid_client_metadata");
        assert_eq!(
            error(&format!(r#"{{{ok}], "token_endpoint_auth_method": "private_key_jwt"}}"#)),
            "invalid_client_metadata"
        );
        assert_eq!(
            error(&format!(r#"{{{ok}], "client_name": "{}"}}"#, "n".repeat(101))),
            "invalid_client_metadata"
        );
    }

    #[test]
    fn control_characters_are_dropped_from_the_name_shown_to_people() {
        let reg = metadata(r#"{"redirect_uris": ["https://a.example/cb"], "client_name": "Cla\u0000ude\n"}"#)
            .check()
            .unwrap();
        assert_eq!(reg.client_name, "Claude");
    }
}
