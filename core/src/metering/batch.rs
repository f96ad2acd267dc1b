//! What a batch of metered calls holds: each call as it passed the checks that need no lock, grouped by
//! wallet, and the answer each call gets.

use tollgate_domain::catalog::pricing::{Price, Usage};
use tollgate_domain::error::AppError;
use tollgate_domain::metering::call::CallRecord;
use uuid::Uuid;

/// A call that passed every check that needs no lock: the key is known and may call this service, the
/// service and model exist, the usage is valid.
#[derive(Clone, Debug)]
pub struct MeteredCall {
    pub account_id: Uuid,
    pub key_id: Uuid,
    pub service: String,
    pub model: String,
    pub usage: Usage,
    pub price: Price,
    pub idempotency_key: Option<String>,
    /// A hold's capture: what the hold reserved for this call, which it may not exceed (`holds`). `None`
    /// for every call decided against the wallet's available money.
    pub reserved: Option<rust_decimal::Decimal>,
    /// Which way the call came (recorded on its row).
    pub via: tollgate_domain::metering::call::Via,
}

/// What a call gets back: its record (201), or why it was refused (402 and others).
pub type CallAnswer = Result<CallRecord, AppError>;

/// One wallet's calls in a batch, in arrival order (each call's `account_id` is `account_id`).
#[derive(Clone, Debug)]
pub struct WalletCalls {
    pub account_id: Uuid,
    pub calls: Vec<MeteredCall>,
}
