//! `/dashboard/keys`: spend keys — bearer secrets an agent uses to spend from the wallet, each with its
//! own limit, allowed services and counters; created, paused, resumed and revoked here. Their settings:
//! `tollgate_domain::keys::settings`; their storage: `tollgate_core::keys`.

pub mod page;
pub mod server_fns;
