//! The JSON shapes of `/v1` (docs/CONTRACT.md "JSON API"): what the handlers parse and send, and — from
//! these same types — the OpenAPI components. Money is always a decimal string: balances and deposits
//! with exactly 2 decimals, usage costs with up to 8.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tollgate_domain::catalog::pricing::CostBreakdown;
use tollgate_domain::error::AppError;
use tollgate_domain::metering::call::CallRecord;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::payment_method::PaymentMethodView;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A JSON body type, and which error a body that doesn't fit it gets.
pub trait ApiBody: DeserializeOwned {
    /// The error for a body that failed to deserialize at `field` (serde's path to the value: `amount`,
    /// `usage.input_tokens`; `.` for the body as a whole, e.g. a missing field).
    fn refusal(field: &str) -> AppError {
        let _ = field;
        AppError::InvalidRequestBody
    }
}

/// A usage cost: up to 8 decimals, never rounded.
pub fn cost_string(amount: Usd) -> String {
    amount.amount().normalize().to_string()
}

#[derive(Serialize, ToSchema)]
pub struct Balance {
    #[schema(example = "47.50")]
    pub balance: String,
    pub low_balance: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Wallet {
    pub wallet_id: Uuid,
    #[schema(example = "47.50")]
    pub balance: String,
    #[schema(example = "USD")]
    pub currency: String,
    pub low_balance: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentMethod {
    pub payment_method_id: Uuid,
    #[schema(example = "Visa")]
    pub brand: String,
    #[schema(example = "4242")]
    pub last4: String,
    pub expiry_month: u32,
    #[schema(example = 2030)]
    pub expiry_year: i32,
    pub is_default: bool,
    pub has_error: bool,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_at: Option<DateTime<Utc>>,
}

impl From<PaymentMethodView> for PaymentMethod {
    fn from(card: PaymentMethodView) -> PaymentMethod {
        PaymentMethod {
            payment_method_id: card.id,
            brand: card.brand.as_str().to_string(),
            last4: card.last4,
            expiry_month: card.expiry_month,
            expiry_year: card.expiry_year,
            is_default: card.is_default,
            has_error: card.error_code.is_some(),
            error_code: card.error_code.map(|code| code.as_str().to_string()),
            error_message: card.error_message,
            error_at: card.error_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PaymentMethodList {
    pub data: Vec<PaymentMethod>,
}

/// `POST /v1/wallet/fund` body.
#[derive(Deserialize, ToSchema)]
pub struct FundBody {
    /// Dollars as a string, 10.00–10,000.00 with at most 2 decimals. Omit it to get the balance and cards.
    #[schema(example = "25.00")]
    pub amount: Option<String>,
    /// A saved card; the default card when omitted.
    pub payment_method_id: Option<Uuid>,
}

impl ApiBody for FundBody {
    fn refusal(field: &str) -> AppError {
        match field {
            // Amounts are decimal strings ("25.00"); a JSON number would pass through a float.
            "amount" => AppError::AmountInvalid,
            // Not one of this account's cards.
            "payment_method_id" => AppError::NotFound,
            _ => AppError::InvalidRequestBody,
        }
    }
}

/// What `POST /v1/wallet/fund` answers with 200.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum FundResponse {
    /// An amount was given: charged, or a checkout link.
    Charged(FundOutcome),
    /// No amount was given: what funding is possible.
    Overview(FundOverview),
}

#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FundOutcome {
    /// The saved card was charged.
    Completed {
        payment_id: Uuid,
        #[schema(example = "25.00")]
        amount: String,
        #[schema(example = "72.50")]
        balance: String,
    },
    /// No saved card: a hosted checkout page to send the person to (valid 24 h, single use).
    RequiresCheckout { checkout_url: String },
}

/// The balance and saved cards.
#[derive(Serialize, ToSchema)]
pub struct FundOverview {
    #[schema(example = "47.50")]
    pub balance: String,
    pub payment_methods: Vec<PaymentMethod>,
}

#[derive(Serialize, ToSchema)]
pub struct Cost {
    #[schema(example = "0.00015")]
    pub input: String,
    #[schema(example = "0.0003")]
    pub output: String,
    #[schema(example = "0")]
    pub fee: String,
    #[schema(example = "0.00045")]
    pub total: String,
}

impl From<CostBreakdown> for Cost {
    fn from(c: CostBreakdown) -> Cost {
        Cost {
            input: cost_string(c.input),
            output: cost_string(c.output),
            fee: cost_string(c.fee),
            total: cost_string(c.total),
        }
    }
}

/// `POST /v1/requests` body. (A missing service or model reads as empty: "Unknown service or model".)
#[derive(Deserialize, ToSchema)]
pub struct CreateRequestBody {
    #[serde(default)]
    #[schema(example = "openai", required = true)]
    pub service: String,
    #[serde(default)]
    #[schema(example = "gpt-4o-mini", required = true)]
    pub model: String,
    /// Missing counts are 0.
    #[serde(default, deserialize_with = "object_only")]
    pub usage: Option<UsageBody>,
}

/// A nested object field that must be a JSON object (or null): serde would also build a struct from an
/// array (`[1000, 500]`), which the API doesn't accept.
fn object_only<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let Some(fields) = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(deserializer)?
    else {
        return Ok(None);
    };
    serde_json::from_value(serde_json::Value::Object(fields)).map(Some).map_err(serde::de::Error::custom)
}

impl ApiBody for CreateRequestBody {
    fn refusal(field: &str) -> AppError {
        match field {
            "service" | "model" => AppError::UnknownService,
            usage if usage.starts_with("usage") => AppError::InvalidUsage,
            _ => AppError::InvalidRequestBody,
        }
    }
}

/// Token counts: whole, non-negative, at most 10^12 each.
#[derive(Deserialize, ToSchema)]
pub struct UsageBody {
    #[schema(example = 1000)]
    pub input_tokens: Option<u64>,
    #[schema(example = 500)]
    pub output_tokens: Option<u64>,
}

/// `GET /v1/requests` query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /v1/usage` query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// The first day (YYYY-MM-DD, 2000-01-01 to 2100-12-31); default 6 days before `end`.
    pub start: Option<NaiveDate>,
    /// The last day (YYYY-MM-DD, 2000-01-01 to 2100-12-31), inclusive; default today in `tz`.
    pub end: Option<NaiveDate>,
    /// An IANA timezone, e.g. `Asia/Kathmandu`; default the account's.
    #[param(min_length = 1, max_length = 64)]
    pub tz: Option<String>,
    /// Only the calls of one member's keys and chat connections: their email or user id (a team's
    /// members, and anyone who made a key on the account). Default: everyone's.
    #[param(min_length = 1, max_length = 320)]
    pub member: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedRequest {
    pub request_id: Uuid,
    #[schema(example = "completed")]
    pub status: String,
    pub cost: Cost,
    #[schema(example = "47.49")]
    pub balance: String,
}

impl From<CallRecord> for CreatedRequest {
    fn from(r: CallRecord) -> CreatedRequest {
        CreatedRequest {
            request_id: r.request_id,
            status: r.status.as_str().to_string(),
            cost: r.cost.into(),
            balance: r.balance_after.json_cents(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RequestItem {
    pub request_id: Uuid,
    pub service: String,
    pub model: String,
    /// `completed` or `rejected` (a rejected call cost nothing).
    pub status: String,
    pub cost: Cost,
    pub created_at: DateTime<Utc>,
}

impl From<CallRecord> for RequestItem {
    fn from(r: CallRecord) -> RequestItem {
        RequestItem {
            request_id: r.request_id,
            service: r.service,
            model: r.model,
            status: r.status.as_str().to_string(),
            cost: r.cost.into(),
            created_at: r.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RequestList {
    pub data: Vec<RequestItem>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceUsage {
    pub service: String,
    pub requests: i64,
    pub cost: String,
}

#[derive(Serialize, ToSchema)]
pub struct UsageDay {
    pub date: NaiveDate,
    /// Completed calls.
    pub requests: i64,
    pub cost: String,
    pub services: Vec<ServiceUsage>,
}

#[derive(Serialize, ToSchema)]
pub struct UsageTotals {
    pub requests: i64,
    pub cost: String,
}

#[derive(Serialize, ToSchema)]
pub struct UsageReport {
    #[schema(example = "UTC")]
    pub timezone: String,
    pub items: Vec<UsageDay>,
    pub totals: UsageTotals,
}

impl From<tollgate_domain::metering::report::UsageSummary> for UsageReport {
    fn from(s: tollgate_domain::metering::report::UsageSummary) -> UsageReport {
        UsageReport {
            timezone: s.timezone,
            items: s
                .items
                .into_iter()
                .map(|d| UsageDay {
                    date: d.date,
                    requests: d.requests,
                    cost: cost_string(d.cost),
                    services: d
                        .services
                        .into_iter()
                        .map(|s| ServiceUsage {
                            service: s.service,
                            requests: s.requests,
                            cost: cost_string(s.cost),
                        })
                        .collect(),
                })
                .collect(),
            totals: UsageTotals { requests: s.totals.requests, cost: cost_string(s.totals.cost) },
        }
    }
}
