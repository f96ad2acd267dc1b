//! Connecting a chat app (docs/CONTRACT.md "Chat (MCP)", docs/ARCHITECTURE.md "Connecting a chat app"):
//! the rules OAuth 2.1 and MCP's authorization spec set for an app's registration, its authorization
//! request, its redirect addresses and PKCE. The consent page shows them; the money core stores them.

pub mod authorize_request;
pub mod pkce;
pub mod redirect_uri;
pub mod registration;
