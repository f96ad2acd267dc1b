//! The back office (`/admin`, docs/CONTRACT.md "Back office"): Tollgate's staff find an account, read its
//! whole file, and act on it with a reason — each action allowed by their role on the server. Anyone who
//! isn't staff gets "Page not found" for every address here (the server's gate, before any of this runs).

pub mod account_page;
pub mod find_page;
pub mod layout;
pub mod log_page;
pub mod money_forms;
pub mod server_fns;
