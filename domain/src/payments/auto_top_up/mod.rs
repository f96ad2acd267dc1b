//! An auto top-up rule (docs/CONTRACT.md "Auto top-up"): threshold, amount to top up to and monthly limit,
//! checked as posted, and how the wallet page shows it. Running it: `tollgate_core::payments::auto_top_up`.

pub mod rule;

pub use rule::{AutoTopUpRule, AutoTopUpView};
