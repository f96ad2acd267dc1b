//! People and their accounts (docs/CONTRACT.md "Pages", "Teams"): a user signs up with a personal
//! account, an Owner membership and an empty wallet, all at once; a team is another account
//! (`crate::teams`).

pub mod billing;
pub mod sessions;
pub mod store;
