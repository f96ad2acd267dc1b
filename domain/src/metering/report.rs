//! Usage as the API, the chat and the usage page report it: days in a timezone, and pages of calls.

use crate::metering::call::CallRecord;
use crate::money::Usd;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One service's share of a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceUsage {
    pub service: String,
    /// Completed calls.
    pub requests: i64,
    pub cost: Usd,
}

/// One local day (every day of the range is listed, empty ones with zeros).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyUsage {
    pub date: NaiveDate,
    pub requests: i64,
    pub cost: Usd,
    pub services: Vec<ServiceUsage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub requests: i64,
    pub cost: Usd,
}

/// Days `start..=end` in `timezone`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSummary {
    pub timezone: String,
    pub items: Vec<DailyUsage>,
    pub totals: UsageTotals,
}

impl UsageSummary {
    /// The services that appear anywhere in the summary, in a stable order.
    pub fn services(&self) -> Vec<String> {
        let mut services: Vec<String> =
            self.items.iter().flat_map(|d| d.services.iter().map(|s| s.service.clone())).collect();
        services.sort();
        services.dedup();
        services
    }
}

/// A page of calls, newest first, and where the next page starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPage {
    pub data: Vec<CallRecord>,
    pub next_cursor: Option<String>,
}

/// The longest range a summary covers.
pub const MAX_RANGE_DAYS: i64 = 366;

/// One call in full, as its detail view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub call: CallRecord,
    pub key_name: String,
    /// Why a rejected call was refused ("Insufficient wallet balance", "Spend key limit reached").
    pub refused_because: Option<String>,
    pub created: String,
}
