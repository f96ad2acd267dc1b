//! The JSON shapes of `/v1` (CONTRACT.md "JSON API"), also the OpenAPI components. Money is always a
//! decimal string: balances and deposits with exactly 2 decimals, usage costs with up to 8.

use app::metering::call::CallRecord;
use app::metering::pricing::CostBreakdown;
use app::money::Usd;
use app::wallet::api::PaymentMethodView;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A usage cost: up to 8 decimals, never rounded.
pub fn cost_string(amount: Usd) -> String {
    amount.amount().normalize().to_string()
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "Insufficient wallet balance")]
    pub error: String,
    #[schema(example = 402)]
    pub code: u16,
}

#[derive(Serialize, ToSchema)]
pub struct CardErrorBody {
    pub error: String,
    pub code: u16,
    #[serde(rename = "type")]
    #[schema(example = "card_error")]
    pub kind: String,
    #[schema(example = "insufficient_funds")]
    pub decline_code: String,
    pub payment_id: Uuid,
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
            brand: card.brand,
            last4: card.last4,
            expiry_month: card.expiry_month,
            expiry_year: card.expiry_year,
            is_default: card.is_default,
            has_error: card.error_code.is_some(),
            error_code: card.error_code,
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
#[allow(dead_code)]
pub struct FundBody {
    /// Dollars as a string, 10.00–10,000.00 with at most 2 decimals. Omit it to get the balance and cards.
    #[schema(example = "25.00")]
    pub amount: Option<String>,
    /// A saved card; the default card when omitted.
    pub payment_method_id: Option<Uuid>,
}

/// A deposit charged to a saved card.
#[derive(Serialize, ToSchema)]
pub struct FundCompleted {
    #[schema(example = "completed")]
    pub status: String,
    pub payment_id: Uuid,
    #[schema(example = "25.00")]
    pub amount: String,
    #[schema(example = "72.50")]
    pub balance: String,
}

/// No saved card: a hosted checkout page to send the person to (valid 24 h, single use).
#[derive(Serialize, ToSchema)]
pub struct FundRequiresCheckout {
    #[schema(example = "requires_checkout")]
    pub status: String,
    pub checkout_url: String,
}

/// No amount given: what funding is possible.
#[derive(Serialize, ToSchema)]
pub struct FundOverview {
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

/// `POST /v1/requests` body.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CreateRequestBody {
    #[schema(example = "openai")]
    pub service: String,
    #[schema(example = "gpt-4o-mini")]
    pub model: String,
    pub usage: Option<UsageBody>,
}

#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct UsageBody {
    #[schema(example = 1000)]
    pub input_tokens: Option<u64>,
    #[schema(example = 500)]
    pub output_tokens: Option<u64>,
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

impl From<app::usage::report::UsageSummary> for UsageReport {
    fn from(s: app::usage::report::UsageSummary) -> UsageReport {
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
