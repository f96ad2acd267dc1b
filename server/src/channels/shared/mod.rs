//! What every channel needs, in one place: who is calling (`spend_key`; the hottest route's remembered
//! keys are `crate::state::call_cache`), the JSON error answer (`error`), the JSON shapes agents read
//! (`schema`, documented by `/v1`'s OpenAPI document and answered alike by the chat tools) and the reads
//! behind them (`reads`), the idempotency-key rule, where clients reach this site (`public_url`), the
//! funding order agents and chat apps place (`funding`), and running a paid model call (`model_call`).

pub mod error;
pub mod funding;
pub mod idempotency_key;
pub mod model_call;
pub mod public_url;
pub mod reads;
pub mod schema;
pub mod spend_key;
