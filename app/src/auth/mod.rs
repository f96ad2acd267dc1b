//! Sign-up, log-in and log-out (docs/CONTRACT.md "Pages"; the password rule and messages are the
//! contract's), and who is signed in: every page and server function below the header asks `session`.

pub mod log_out_form;
pub mod page;
pub mod return_to;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod limits;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
