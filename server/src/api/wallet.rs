//! `/v1/balance`, `/v1/wallet`, `/v1/payment_methods` and `/v1/wallet/fund`: the same service functions as
//! the wallet page, answered as JSON.

use super::answer::{idempotency_key, parse_body, ApiError, ApiResult};
use super::schema::{
    Balance, CardErrorBody, ErrorBody, FundBody, FundCompleted, FundOverview, FundRequiresCheckout,
    PaymentMethodList, Wallet,
};
use super::spend_key::SpendKey;
use crate::startup::AppState;
use app::error::AppError;
use app::money::TopUpAmount;
use app::wallet::agent_funding::{self, FundAnswer, FundOrder};
use app::wallet::db;
use axum::{
    body::Bytes,
    extract::State,
    http::{header::HOST, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::Value;

/// The balance, and whether it is below the account's alert threshold.
#[utoipa::path(get, path = "/v1/balance", tag = "wallet", security(("spend_key" = [])),
    responses((status = 200, body = Balance), (status = 401, body = ErrorBody)))]
pub async fn balance(State(state): State<AppState>, SpendKey(key): SpendKey) -> ApiResult<Json<Balance>> {
    let wallet = db::summary(&state.pool, key.account_id).await?;
    Ok(Json(Balance { balance: wallet.balance.json_cents(), low_balance: wallet.low_balance }))
}

#[utoipa::path(get, path = "/v1/wallet", tag = "wallet", security(("spend_key" = [])),
    responses((status = 200, body = Wallet), (status = 401, body = ErrorBody)))]
pub async fn wallet(State(state): State<AppState>, SpendKey(key): SpendKey) -> ApiResult<Json<Wallet>> {
    let wallet = db::summary(&state.pool, key.account_id).await?;
    Ok(Json(Wallet {
        wallet_id: wallet.wallet_id,
        balance: wallet.balance.json_cents(),
        currency: wallet.currency,
        low_balance: wallet.low_balance,
    }))
}

/// Saved cards, default first, each with its last failure until a later success clears it.
#[utoipa::path(get, path = "/v1/payment_methods", tag = "wallet", security(("spend_key" = [])),
    responses((status = 200, body = PaymentMethodList), (status = 401, body = ErrorBody)))]
pub async fn payment_methods(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
) -> ApiResult<Json<PaymentMethodList>> {
    let cards = db::payment_methods(&state.pool, key.account_id).await?;
    Ok(Json(PaymentMethodList { data: cards.into_iter().map(Into::into).collect() }))
}

/// Adds funds: charges the default (or named) saved card once per `Idempotency-Key`; without a saved card
/// answers a checkout link; without an amount answers the balance and saved cards. The key needs "Allow
/// adding funds".
#[utoipa::path(post, path = "/v1/wallet/fund", tag = "wallet", security(("spend_key" = [])),
    request_body = FundBody,
    params(("Idempotency-Key" = String, Header, description = "Required. Same key, same answer (24 h); other parameters → 409.")),
    responses(
        (status = 200, description = "completed", body = FundCompleted),
        (status = 201, description = "never sent; documents the `requires_checkout` shape (answered with 200)", body = FundRequiresCheckout),
        (status = 202, description = "never sent; documents the no-amount shape (answered with 200)", body = FundOverview),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, description = "card declined", body = CardErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn fund(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    if !key.allow_funding {
        return Err(AppError::FundingNotAllowed.into());
    }
    let idempotency_key = idempotency_key(&headers)?.ok_or(AppError::IdempotencyKeyRequired)?;
    let body = parse_body(&body)?;
    let amount = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(TopUpAmount::parse(s).map_err(AppError::from)?),
        // Amounts are decimal strings ("25.00"); a JSON number would pass through a float.
        Some(_) => return Err(AppError::AmountInvalid.into()),
    };
    let payment_method_id = match body.get("payment_method_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.parse().map_err(|_| AppError::NotFound)?),
        Some(_) => return Err(AppError::InvalidRequestBody.into()),
    };
    let Some(amount) = amount else {
        let overview = agent_funding::overview(&state.pool, key.account_id).await?;
        return Ok(Json(FundOverview {
            balance: overview.balance.json_cents(),
            payment_methods: overview.payment_methods.into_iter().map(Into::into).collect(),
        })
        .into_response());
    };
    let order = FundOrder {
        account_id: key.account_id,
        idempotency_key: &idempotency_key,
        amount,
        payment_method_id,
    };
    let answer = agent_funding::fund(&state.pool, &*state.processor, &order).await?;
    Ok(match answer {
        FundAnswer::Completed { payment_id, amount, balance } => Json(FundCompleted {
            status: "completed".into(),
            payment_id,
            amount: amount.json_cents(),
            balance: balance.json_cents(),
        })
        .into_response(),
        FundAnswer::RequiresCheckout { checkout_id } => Json(FundRequiresCheckout {
            status: "requires_checkout".into(),
            checkout_url: format!("{}/checkout/{checkout_id}", public_base(&state, &headers)),
        })
        .into_response(),
        FundAnswer::Declined { payment_id, decline_code, message } => {
            ApiError::card_declined(&message, &decline_code, payment_id).into_response()
        }
    })
}

/// Where clients reach this site: `TOLLGATE_PUBLIC_URL`, else `http://` + the request's Host.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:3000");
    format!("http://{host}")
}
