//! Usage as the API and the usage page report it: days in a timezone, and pages of calls.

use crate::charts::spend::SpendChart;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tollgate_domain::metering::call::CallRecord;
use tollgate_domain::money::Usd;

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

    /// The spend chart of these days, stacked by service, with `deposits` per day (aligned with the
    /// days). Its ECharts option is filled in on the server (`charts::option::spend_option`).
    pub fn spend_chart(&self, deposits: Vec<Usd>) -> SpendChart {
        let days: Vec<NaiveDate> = self.items.iter().map(|d| d.date).collect();
        let services = self
            .services()
            .into_iter()
            .map(|name| {
                let spend = self
                    .items
                    .iter()
                    .map(|d| d.services.iter().find(|s| s.service == name).map_or(Usd::ZERO, |s| s.cost))
                    .collect();
                (name, spend)
            })
            .collect();
        SpendChart { timezone: self.timezone.clone(), days, services, deposits, option: String::new() }
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

/// The usage page's URL query, as `get_usage` takes it: every field optional, empty meaning "not chosen".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageQuery {
    /// The first and last day (YYYY-MM-DD, the account's timezone); default the last 7 days.
    pub since: Option<String>,
    pub until: Option<String>,
    /// Filters of the request list.
    pub service: Option<String>,
    pub model: Option<String>,
    pub status: Option<String>,
    /// Where the request list's page starts ("Next page").
    pub cursor: Option<String>,
    /// The call whose detail is open.
    pub request: Option<uuid::Uuid>,
    /// A member's user id: only their keys' and chat connections' calls (teams).
    pub member: Option<String>,
}

/// Everything `/dashboard/usage` shows for one query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    pub timezone: String,
    pub since: NaiveDate,
    pub until: NaiveDate,
    pub summary: UsageSummary,
    pub requests: RequestPage,
    /// Each call's time as the list shows it, in the account's timezone ("Nov 27 14:05"), by request id.
    pub times: Vec<String>,
    pub services: Vec<(String, String)>,
    pub models: Vec<(String, String)>,
    /// On a team: (user id, email) of everyone whose usage can be shown by member. Empty otherwise.
    pub members: Vec<(String, String)>,
    pub detail: Option<RequestDetail>,
    pub chart: SpendChart,
}
