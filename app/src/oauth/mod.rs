//! Connecting a chat app (docs/CONTRACT.md "Chat (MCP)", docs/ARCHITECTURE.md "Connecting a chat app"):
//! OAuth 2.1 as MCP's authorization spec asks — apps register themselves, the person allows one on the
//! consent page, which creates a spend key for the connection, and the app trades a single-use code (with
//! PKCE) for short-lived access tokens and rotating refresh tokens. The HTTP endpoints are in the server
//! crate (`server/src/channels/oauth/`); this folder holds the rules, the page and the store.

pub mod authorize_request;
pub mod issuer;
pub mod page;
pub mod pkce;
pub mod redirect_uri;
pub mod registration;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod db;
