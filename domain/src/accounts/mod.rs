//! People and their accounts (docs/CONTRACT.md "Pages"): the sign-up and log-in inputs as parsed types.

pub mod credentials;
