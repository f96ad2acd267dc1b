//! `/dashboard/audit`: every account's audit log (written by `crate::audit`), paged, newest first, with a
//! CSV download (`server/src/channels/pages/audit_export.rs`). Every member of the account may read it.

pub mod page;
pub mod server_fns;
