//! Connecting a chat app (docs/CONTRACT.md "Chat (MCP)", docs/ARCHITECTURE.md "Connecting a chat app"):
//! OAuth 2.1 as MCP's authorization spec asks — apps register themselves, the person allows one on the
//! consent page, which creates a spend key for the connection, and the app trades a single-use code (with
//! PKCE) for short-lived access tokens and rotating refresh tokens. The HTTP endpoints are in the server
//! crate (`server/src/channels/oauth/`); this folder holds the consent page and its server functions; the rules are
//! `tollgate_domain::oauth`, the store `tollgate_core::oauth`.

pub mod issuer;
pub mod page;
pub mod server_fns;
