//! The authorization request a chat app sends the person's browser with (`GET /oauth/authorize?…`), and
//! that the consent form posts back. Checked twice — when the page is shown and when it is answered — and
//! never trusted from the form: the hidden fields are a copy anyone can edit.

use super::pkce::CodeChallenge;
use super::redirect_uri::RedirectUri;
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The request's parameters as sent (RFC 6749 §4.1.1, RFC 7636, RFC 8707).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeQuery {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub resource: Option<String>,
}

/// A registered client as the consent page needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatApp {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
}

/// A request that may be answered: the app, where the answer goes, and what must come back with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub app: ChatApp,
    pub redirect_uri: RedirectUri,
    pub code_challenge: CodeChallenge,
    pub state: Option<String>,
}

/// Why a request can't be answered, and whether the app can be told (RFC 6749 §4.1.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeRefusal {
    /// The client or its redirect URI isn't trustworthy: explained on the page, never redirected.
    Shown(AppError),
    /// Sent back to the app as `error=<code>` (the page also offers the way back).
    ToApp { redirect_uri: RedirectUri, error: &'static str, state: Option<String> },
}

/// The longest `state` carried back (apps send a few dozen characters).
const MAX_STATE_CHARS: usize = 1024;

impl AuthorizeQuery {
    /// The parameters by name, the optional ones only when sent: what the consent form carries back, and
    /// what the consent page's address is made of.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = vec![
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("response_type", self.response_type.as_str()),
            ("code_challenge", self.code_challenge.as_str()),
            ("code_challenge_method", self.code_challenge_method.as_str()),
        ];
        for (name, value) in [("state", &self.state), ("scope", &self.scope), ("resource", &self.resource)] {
            if let Some(value) = value {
                pairs.push((name, value.as_str()));
            }
        }
        pairs
    }

    /// The request for `app` (the client `client_id` names, if registered).
    pub fn check(&self, app: Option<ChatApp>) -> Result<AuthorizeRequest, AuthorizeRefusal> {
        let app = app.ok_or(AuthorizeRefusal::Shown(AppError::ChatAppUnknown))?;
        let redirect_uri = RedirectUri::parse(&self.redirect_uri)
            .filter(|uri| app.redirect_uris.iter().any(|registered| uri.is_registered_as(registered)))
            .ok_or(AuthorizeRefusal::Shown(AppError::ChatAppRedirectInvalid))?;
        let state = self.state.clone().filter(|s| !s.is_empty());
        if state
            .as_deref()
            .is_some_and(|s| s.chars().count() > MAX_STATE_CHARS || s.chars().any(char::is_control))
        {
            return Err(AuthorizeRefusal::Shown(AppError::ChatAppRequestInvalid));
        }
        let to_app = |error| AuthorizeRefusal::ToApp {
            redirect_uri: redirect_uri.clone(),
            error,
            state: state.clone(),
        };
        if self.response_type != "code" {
            return Err(to_app("unsupported_response_type"));
        }
        if self.code_challenge_method != "S256" {
            return Err(to_app("invalid_request"));
        }
        let code_challenge =
            CodeChallenge::parse(&self.code_challenge).ok_or_else(|| to_app("invalid_request"))?;
        Ok(AuthorizeRequest { app, redirect_uri, code_challenge, state })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> ChatApp {
        ChatApp {
            client_id: "tgc_1".into(),
            client_name: "Claude".into(),
            redirect_uris: vec!["https://claude.ai/api/mcp/auth_callback".into()],
        }
    }

    fn query() -> AuthorizeQuery {
        AuthorizeQuery {
            client_id: "tgc_1".into(),
            redirect_uri: "https://claude.ai/api/mcp/auth_callback".into(),
            response_type: "code".into(),
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            code_challenge_method: "S256".into(),
            state: Some("xyz".into()),
            ..AuthorizeQuery::default()
        }
    }

    #[test]
    fn a_complete_request_for_a_registered_uri_is_accepted() {
        let request = query().check(Some(app())).unwrap();
        assert_eq!(request.state.as_deref(), Some("xyz"));
        assert_eq!(request.redirect_uri.as_str(), "https://claude.ai/api/mcp/auth_callback");
    }

    #[test]
    fn an_unknown_app_or_unregistered_redirect_is_never_redirected_to() {
        assert_eq!(query().check(None), Err(AuthorizeRefusal::Shown(AppError::ChatAppUnknown)));
        for uri in [
            "https://claude.ai/api/mcp/auth_callback/",
            "https://claude.ai/api/mcp/auth_callback?x=1",
            "https://CLAUDE.ai/api/mcp/auth_callback",
            "https://evil.example/cb",
            "",
        ] {
            let q = AuthorizeQuery { redirect_uri: uri.into(), ..query() };
            assert_eq!(
                q.check(Some(app())),
                Err(AuthorizeRefusal::Shown(AppError::ChatAppRedirectInvalid)),
                "{uri}"
            );
        }
    }

    #[test]
    fn without_pkce_s256_the_app_is_told_invalid_request() {
        for q in [
            AuthorizeQuery { code_challenge_method: "plain".into(), ..query() },
            AuthorizeQuery { code_challenge_method: String::new(), ..query() },
            AuthorizeQuery { code_challenge: String::new(), ..query() },
            AuthorizeQuery { code_challenge: "short".into(), ..query() },
        ] {
            match q.check(Some(app())) {
                Err(AuthorizeRefusal::ToApp { error, state, .. }) => {
                    assert_eq!((error, state.as_deref()), ("invalid_request", Some("xyz")))
                }
                other => panic!("{other:?}"),
            }
        }
        let token_flow = AuthorizeQuery { response_type: "token".into(), ..query() };
        assert!(matches!(
            token_flow.check(Some(app())),
            Err(AuthorizeRefusal::ToApp { error: "unsupported_response_type", .. })
        ));
    }
}
