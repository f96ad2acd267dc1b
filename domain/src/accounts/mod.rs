//! People and their accounts (docs/CONTRACT.md "Pages"): the sign-up and log-in inputs as parsed types, and
//! the billing details receipts and statements are made out to.

pub mod billing;
pub mod countries;
pub mod credentials;
