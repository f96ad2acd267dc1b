//! A metered call as it is recorded and answered.

use super::pricing::CostBreakdown;
use crate::money::Usd;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Completed,
    Rejected,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Completed => "completed",
            CallStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<CallStatus> {
        [CallStatus::Completed, CallStatus::Rejected].into_iter().find(|c| c.as_str() == s)
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
}
