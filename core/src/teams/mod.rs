//! Teams (docs/CONTRACT.md "Teams"): an account several people share, each with a role; invite links,
//! role changes, budgets, removals and deleting a team, each under the account's wallet and membership
//! locks. The rules of who may do what are `tollgate_domain::teams`.

pub mod membership;
pub mod store;
