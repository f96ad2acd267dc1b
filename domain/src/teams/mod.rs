//! Teams' rules (docs/CONTRACT.md "Teams"): the roles and what each may do, the member a request acts as,
//! and what the team pages show.

pub mod member;
pub mod role;
pub mod view;
