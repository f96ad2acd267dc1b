//! The usage page's query and everything it shows for one (the report's parts are
//! `tollgate_domain::metering::report`).

use crate::charts::spend::SpendChart;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tollgate_domain::metering::report::{RequestDetail, RequestPage, UsageSummary};

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
