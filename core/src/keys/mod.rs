//! Spend keys' storage (docs/CONTRACT.md "Spend keys"): creating, editing, pausing, resuming and revoking
//! keys, their secrets, and the free-call counter. A key's settings and their rules:
//! `tollgate_domain::keys::settings`; the page: `app/src/keys/`.

pub mod db;
pub mod secret;
