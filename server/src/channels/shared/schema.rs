//! The JSON shapes of `/v1` (docs/CONTRACT.md "JSON API"): what the handlers parse and send, and — from
//! these same types — the OpenAPI components. Money is always a decimal string: balances and deposits
//! with exactly 2 decimals, usage costs with up to 8.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tollgate_domain::catalog::pricing::CostBreakdown;
use tollgate_domain::error::AppError;
use tollgate_domain::ledger::wallet::WalletSummary;
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
/// Whether `name` could be a catalog's service or model id: 1–128 bytes, no control characters (PostgreSQL
/// text can't even hold NUL). Anything else is answered "Unknown service or model" without a lookup.
pub fn could_be_catalog_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 128 && !name.chars().any(char::is_control)
}

pub fn cost_string(amount: Usd) -> String {
    amount.amount().normalize().to_string()
}

#[derive(Serialize, ToSchema)]
pub struct Balance {
    /// The money in the wallet: `paid` + `promotional`, cut to the cent.
    #[schema(example = "47.50")]
    pub balance: String,
    /// Reserved by open holds (docs: "Holds"), exact.
    #[schema(example = "2.00")]
    pub held: String,
    /// What a new call may spend: `balance` − `held`.
    #[schema(example = "45.50")]
    pub available: String,
    pub low_balance: bool,
    /// The paid credit in the balance (exact): it never expires.
    #[schema(example = "42.50")]
    pub paid: String,
    /// The promotional credit in the balance (exact): spent before paid credit.
    #[schema(example = "5.00")]
    pub promotional: String,
    /// What is left of each promotional grant and when it expires, soonest first.
    pub promotional_expiring: Vec<PromotionalExpiring>,
}

/// What is left of one promotional grant.
#[derive(Serialize, ToSchema)]
pub struct PromotionalExpiring {
    /// Exact, above 0.
    #[schema(example = "5.00")]
    pub amount: String,
    pub expires_at: DateTime<Utc>,
}

/// The promotional part of a wallet, as `/v1/balance` and `/v1/wallet` answer it.
fn promotional_parts(wallet: &WalletSummary) -> (String, String, Vec<PromotionalExpiring>) {
    let expiring = wallet
        .promotional_expiring
        .iter()
        .map(|p| PromotionalExpiring { amount: p.amount.json_exact(), expires_at: p.expires_at })
        .collect();
    (wallet.paid().json_exact(), wallet.promotional.json_exact(), expiring)
}

impl From<&WalletSummary> for Balance {
    fn from(wallet: &WalletSummary) -> Balance {
        let (paid, promotional, promotional_expiring) = promotional_parts(wallet);
        Balance {
            balance: wallet.balance.json_cents(),
            held: held_string(wallet.held.amount()),
            available: wallet.available().json_cents(),
            low_balance: wallet.low_balance,
            paid,
            promotional,
            promotional_expiring,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Wallet {
    pub wallet_id: Uuid,
    #[schema(example = "47.50")]
    pub balance: String,
    #[schema(example = "2.00")]
    pub held: String,
    #[schema(example = "45.50")]
    pub available: String,
    #[schema(example = "USD")]
    pub currency: String,
    pub low_balance: bool,
    #[schema(example = "42.50")]
    pub paid: String,
    #[schema(example = "5.00")]
    pub promotional: String,
    pub promotional_expiring: Vec<PromotionalExpiring>,
}

impl From<&WalletSummary> for Wallet {
    fn from(wallet: &WalletSummary) -> Wallet {
        let (paid, promotional, promotional_expiring) = promotional_parts(wallet);
        Wallet {
            wallet_id: wallet.wallet_id,
            balance: wallet.balance.json_cents(),
            held: held_string(wallet.held.amount()),
            available: wallet.available().json_cents(),
            currency: wallet.currency.clone(),
            low_balance: wallet.low_balance,
            paid,
            promotional,
            promotional_expiring,
        }
    }
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
    /// The card's bank wants the person to confirm the payment (3-D Secure): nothing was charged. Send the
    /// person to `authentication_url`, where they retry it and their bank asks them.
    RequiresAuthentication {
        payment_id: Uuid,
        #[schema(
            example = "Your bank wants to confirm this payment. Retry it on your wallet page to confirm it with your bank."
        )]
        message: String,
        authentication_url: String,
    },
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
    /// `api` (charged by its caller: `POST /v1/requests` or a hold's capture) or `gateway` (run by Tollgate).
    #[schema(example = "api")]
    pub via: String,
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
            via: r.via.as_str().to_string(),
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

/// `POST /v1/holds` body.
#[derive(Deserialize, ToSchema)]
pub struct CreateHoldBody {
    /// The most the call can cost: a decimal string above 0 and at most 10000, up to 8 decimals.
    #[serde(default)]
    #[schema(example = "2.00", required = true)]
    pub amount: String,
    #[serde(default)]
    #[schema(example = "openai", required = true)]
    pub service: String,
    /// Optional; a capture by usage prices the call at this model's catalog price.
    #[schema(example = "gpt-4o-mini")]
    pub model: Option<String>,
    /// Seconds until the hold expires, 1–86400; 300 when omitted.
    #[schema(example = 300, minimum = 1, maximum = 86400)]
    pub expires_in: Option<i64>,
}

impl ApiBody for CreateHoldBody {
    fn refusal(field: &str) -> AppError {
        match field {
            "amount" => AppError::HoldAmountInvalid,
            "service" | "model" => AppError::UnknownService,
            "expires_in" => AppError::HoldLifetimeInvalid,
            _ => AppError::InvalidRequestBody,
        }
    }
}

/// `POST /v1/holds/{id}/capture` body: exactly one of the two.
#[derive(Deserialize, ToSchema)]
pub struct CaptureHoldBody {
    /// What the call cost: a decimal string from 0 to the hold's amount, up to 8 decimals.
    #[schema(example = "0.37")]
    pub amount: Option<String>,
    /// The call's usage, priced at the hold's model's catalog price (the hold must name its model).
    #[serde(default, deserialize_with = "object_only")]
    pub usage: Option<UsageBody>,
}

impl ApiBody for CaptureHoldBody {
    fn refusal(field: &str) -> AppError {
        match field {
            "amount" => AppError::CaptureInvalid,
            usage if usage.starts_with("usage") => AppError::InvalidUsage,
            _ => AppError::InvalidRequestBody,
        }
    }
}

/// The wallet beside a hold's answer: the money in it, what open holds reserve of it, and what a call may
/// spend now (`balance` − `held`). `held` is exact (up to 8 decimals); the other two are cut to the cent.
#[derive(Serialize, ToSchema)]
pub struct WalletReserve {
    #[schema(example = "47.50")]
    pub balance: String,
    #[schema(example = "2.00")]
    pub held: String,
    #[schema(example = "45.50")]
    pub available: String,
}

impl From<tollgate_core::metering::holds::Reserved> for WalletReserve {
    fn from(r: tollgate_core::metering::holds::Reserved) -> WalletReserve {
        WalletReserve {
            balance: Usd::new(r.balance).json_cents(),
            held: held_string(r.held),
            available: Usd::new(r.available()).json_cents(),
        }
    }
}

/// What open holds reserve, as JSON: exact like a usage cost, with at least 2 decimals (`"2.00"`, `"0.0042"`).
pub fn held_string(held: rust_decimal::Decimal) -> String {
    Usd::new(held).json_exact()
}

/// A hold as `GET /v1/holds/{id}` answers it (and `POST /v1/holds`, with the wallet beside it).
#[derive(Serialize, ToSchema)]
pub struct HoldState {
    pub hold_id: Uuid,
    /// `held`, `captured`, `voided` or `expired` (an open hold past `expires_at` is `expired` at once).
    #[schema(example = "held")]
    pub status: String,
    #[schema(example = "2.00")]
    pub amount: String,
    #[schema(example = "openai")]
    pub service: String,
    #[schema(example = "gpt-4o-mini")]
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What a capture charged.
    #[schema(example = "0.37")]
    pub captured: Option<String>,
    /// What went back to the wallet: the rest of a capture, or all of a voided or expired hold.
    #[schema(example = "1.63")]
    pub released: Option<String>,
    /// The paid call a capture was recorded as (`GET /v1/requests`).
    pub request_id: Option<Uuid>,
}

impl From<tollgate_core::metering::holds::Hold> for HoldState {
    fn from(h: tollgate_core::metering::holds::Hold) -> HoldState {
        HoldState {
            hold_id: h.id,
            status: <&'static str>::from(h.status).to_string(),
            amount: held_string(h.amount),
            service: h.service.clone(),
            model: h.model.clone(),
            created_at: h.created_at,
            expires_at: h.expires_at,
            captured: h.captured.map(held_string),
            released: h.released().map(held_string),
            request_id: h.request_id,
        }
    }
}

/// `POST /v1/holds` answers 201 with the hold and the wallet after it.
#[derive(Serialize, ToSchema)]
pub struct PlacedHold {
    #[serde(flatten)]
    pub hold: HoldState,
    #[serde(flatten)]
    pub wallet: WalletReserve,
}

/// `POST /v1/holds/{id}/capture` and `/void` answer the hold as resolved and the wallet after it; a capture
/// also names the paid call it was recorded as (`request_id`) and its cost.
#[derive(Serialize, ToSchema)]
pub struct ResolvedHold {
    #[serde(flatten)]
    pub hold: HoldState,
    #[serde(flatten)]
    pub wallet: WalletReserve,
    /// A capture's call cost, itemised.
    pub cost: Option<Cost>,
}
