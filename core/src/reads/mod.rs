//! What the pages, `/v1` and the chat read (docs/ARCHITECTURE.md "The money core"): reads that join several
//! aggregates' tables for one view — a wallet's page, a usage report, the audit log. They write nothing;
//! every change goes through its aggregate's storage. Each is scoped by the account it is asked for.

pub mod audit_log;
pub mod back_office;
pub mod statements;
pub mod usage;
pub mod usage_export;
pub mod wallet;
