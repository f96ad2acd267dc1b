//! Sign-up, log-in and log-out (CONTRACT.md "Pages"; the password rule and messages are the contract's).

pub mod api;
pub mod credentials;
pub mod page;
pub mod return_to;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
