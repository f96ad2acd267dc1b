//! `/dashboard/keys`: spend keys (filled in by the spend-keys issue).

pub mod page;
