//! Writing the audit log (docs/CONTRACT.md "Teams", docs/ARCHITECTURE.md "Audit log"): who did what to an
//! account, when, through which channel and from which address. A row is written by [`record`] inside the
//! transaction of the action it describes, so a refused or rolled-back action leaves none. The log's page
//! and download are the `audit_log` feature.

mod event;

pub use event::{record, record_top_up, Actor, Channel, Event, TopUpEvents};
