//! Spend keys' settings and their rules (docs/CONTRACT.md "Spend keys"): name, limit, services, rate
//! limit, funding, as posted and as stored.

pub mod settings;
