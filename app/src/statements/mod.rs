//! `/dashboard/statements` (docs/CONTRACT.md "Statements"): one row per month since the account opened,
//! with each month's PDF and CSV (served by the server's `statement_files`).

pub mod page;
pub mod server_fns;
