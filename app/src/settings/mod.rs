//! `/dashboard/settings` (docs/CONTRACT.md "Limits and account security"): change the password and sign
//! out other sessions. Both end every other session of the user at once, on every server.

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
mod db;
