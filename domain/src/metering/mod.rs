//! A metered call as it is recorded and answered (docs/CONTRACT.md "JSON API"); charging one is
//! `tollgate_core::metering`.

pub mod call;
pub mod hold;
pub mod report;
