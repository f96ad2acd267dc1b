//! A metered call as it is recorded and answered.

use crate::catalog::pricing::CostBreakdown;
use crate::money::Usd;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a call ended (`requests.status`; `status` in the API, the CSV and the usage page's filter).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum CallStatus {
    Completed,
    /// Refused before it ran (balance or key limit); it cost nothing.
    Rejected,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Which way a call came (`requests.via`; `via` in the API).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum Via {
    /// Charged by its caller: `POST /v1/requests`, or a hold's capture.
    #[default]
    Api,
    /// Run by Tollgate's gateway, which held it, forwarded it and captured its reported usage.
    Gateway,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One recorded call. A rejected call cost nothing: its breakdown is all zeros.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub request_id: Uuid,
    pub status: CallStatus,
    pub service: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: CostBreakdown,
    /// The wallet balance right after this call was decided.
    pub balance_after: Usd,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub via: Via,
}

/// A `requests` row as stored; the one place that turns it back into a [`CallRecord`] (the request list
/// and idempotent replays both read calls this way).
#[cfg(feature = "sqlx")]
#[derive(sqlx::FromRow)]
pub struct RequestRow {
    pub id: Uuid,
    pub seq: i64,
    pub spend_key_id: Uuid,
    pub service_id: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub status: CallStatus,
    /// The error code a rejected call was refused with (`insufficient_balance`, `key_limit_reached`).
    pub reject_reason: Option<String>,
    pub cost_input: rust_decimal::Decimal,
    pub cost_output: rust_decimal::Decimal,
    pub cost_fee: rust_decimal::Decimal,
    pub cost_total: rust_decimal::Decimal,
    pub balance_after: rust_decimal::Decimal,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub via: Via,
}

#[cfg(feature = "sqlx")]
impl RequestRow {
    /// The column list to select for this row.
    pub const COLUMNS: &'static str = "id, seq, spend_key_id, service_id, model, input_tokens, output_tokens, status, \
        reject_reason, cost_input, cost_output, cost_fee, cost_total, balance_after, idempotency_key, created_at, via";

    pub fn record(&self) -> Result<CallRecord, crate::error::AppError> {
        use crate::error::AppError;
        Ok(CallRecord {
            request_id: self.id,
            status: self.status,
            service: self.service_id.clone(),
            model: self.model.clone(),
            input_tokens: u64::try_from(self.input_tokens)
                .map_err(|err| AppError::internal("a stored token count", err))?,
            output_tokens: u64::try_from(self.output_tokens)
                .map_err(|err| AppError::internal("a stored token count", err))?,
            cost: CostBreakdown {
                input: Usd::new(self.cost_input),
                output: Usd::new(self.cost_output),
                fee: Usd::new(self.cost_fee),
                total: Usd::new(self.cost_total),
            },
            balance_after: Usd::new(self.balance_after),
            created_at: self.created_at,
            via: self.via,
        })
    }
}
