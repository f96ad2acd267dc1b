//! Teams' rules (docs/CONTRACT.md "Teams"): the roles and what each may do.

pub mod role;
