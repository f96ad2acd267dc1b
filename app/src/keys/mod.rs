//! `/dashboard/keys`: spend keys — bearer secrets an agent uses to spend from the wallet, each with its
//! own limit, allowed services and counters; created, paused, resumed and revoked here.

pub mod page;
pub mod server_fns;
pub mod spec;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod secret;
