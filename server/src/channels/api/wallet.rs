//! `/v1/balance`, `/v1/wallet`, `/v1/payment_methods` and `/v1/wallet/fund`: the same service functions as
//! the wallet page, answered as JSON.

use super::extract::{ApiJson, IdempotencyKey};
use crate::channels::shared::error::{ApiError, ApiResult, CardErrorBody, ErrorBody};
use crate::channels::shared::funding::{self, Ask, Funded};
use crate::channels::shared::public_url::public_base;
use crate::channels::shared::schema::{
    Balance, FundBody, FundOutcome, FundOverview, FundResponse, PaymentMethodList, Wallet,
};
use crate::channels::shared::spend_key::SpendKey;
use crate::state::AppState;
use axum::{
    extract::{Extension, State},
    http::HeaderMap,
    Json,
};
use tollgate_core::audit::Channel;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::payments::agent_funding;
use tollgate_core::reads::wallet as db;
use tollgate_domain::error::AppError;
use tollgate_domain::money::TopUpAmount;

/// The balance, and whether it is below the account's alert threshold.
#[utoipa::path(get, path = "/v1/balance", tag = "wallet", security(("spend_key" = [])),
    responses((status = 200, body = Balance), (status = 401, body = ErrorBody)))]
pub async fn balance(State(state): State<AppState>, SpendKey(key): SpendKey) -> ApiResult<Json<Balance>> {
    let wallet = db::summary(&state.pool, key.account_id).await?;
    Ok(Json(Balance::from(&wallet)))
}

#[utoipa::path(get, path = "/v1/wallet", tag = "wallet", security(("spend_key" = [])),
    responses((status = 200, body = Wallet), (status = 401, body = ErrorBody)))]
pub async fn wallet(State(state): State<AppState>, SpendKey(key): SpendKey) -> ApiResult<Json<Wallet>> {
    let wallet = db::summary(&state.pool, key.account_id).await?;
    Ok(Json(Wallet::from(&wallet)))
}

/// Saved cards, default first, each with its last failure until a later success clears it.
#[utoipa::path(get, path = "/v1/payment_methods", tag = "wallet", security(("spend_key" = [])),
    responses((status = 200, body = PaymentMethodList), (status = 401, body = ErrorBody)))]
pub async fn payment_methods(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
) -> ApiResult<Json<PaymentMethodList>> {
    let cards = tollgate_core::payments::card_store::saved_cards(&state.pool, key.account_id).await?;
    Ok(Json(PaymentMethodList { data: cards.into_iter().map(Into::into).collect() }))
}

/// Adds funds: charges the default (or named) saved card once per `Idempotency-Key`; without a saved card
/// answers a checkout link; without an amount answers the balance and saved cards. The key needs "Allow
/// adding funds".
#[utoipa::path(post, path = "/v1/wallet/fund", tag = "wallet", security(("spend_key" = [])),
    request_body(content = Option<FundBody>, description = "Optional: without an amount, the answer is the balance and saved cards"),
    params(("Idempotency-Key" = String, Header, description = "Required. 1–255 visible ASCII characters. Same key, same answer (24 h); other parameters → 409.", min_length = 1, max_length = 255, pattern = r"^[!-~]+( +[!-~]+)*$")),
    responses(
        (status = 200, description = "charged (`completed`), a checkout link (`requires_checkout`), or — without an amount — the balance and saved cards", body = FundResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, description = "card declined", body = CardErrorBody),
        (status = 403, description = "the key may not add funds, or its daily funding limit is reached", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 429, description = "the account is locked after too many declines", body = ErrorBody)))]
pub async fn fund(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    Extension(client_ip): Extension<ClientIp>,
    headers: HeaderMap,
    idempotency_key: Result<IdempotencyKey, ApiError>,
    body: Result<ApiJson<FundBody>, ApiError>,
) -> ApiResult<Json<FundResponse>> {
    // Permission first, then the header, then the body: a key that may not fund learns only that.
    funding::ensure_may_fund(&key, AppError::FundingNotAllowed)?;
    let IdempotencyKey(idempotency_key) = idempotency_key?;
    let idempotency_key = idempotency_key.ok_or(AppError::IdempotencyKeyRequired)?;
    let ApiJson(FundBody { amount, payment_method_id }) = body?;
    let Some(amount) = amount else {
        let overview = agent_funding::overview(&state.pool, key.account_id).await?;
        return Ok(Json(FundResponse::Overview(FundOverview {
            balance: overview.balance.json_cents(),
            payment_methods: overview.payment_methods.into_iter().map(Into::into).collect(),
        })));
    };
    let amount = TopUpAmount::parse(&amount).map_err(AppError::from)?;
    let ask = Ask { amount, payment_method_id, client_ip: Some(client_ip), channel: Channel::Api };
    let base = public_base(&state, &headers);
    let outcome = match funding::place(&state, &base, &key, &idempotency_key, &ask).await? {
        Funded::Completed { payment_id, amount, balance } => {
            FundOutcome::Completed { payment_id, amount: amount.json_cents(), balance: balance.json_cents() }
        }
        Funded::RequiresCheckout { checkout_url } => FundOutcome::RequiresCheckout { checkout_url },
        Funded::RequiresAuthentication { payment_id, message, authentication_url } => {
            FundOutcome::RequiresAuthentication { payment_id, message, authentication_url }
        }
        Funded::Declined { payment_id, decline_code, message, .. } => {
            return Err(ApiError::CardDeclined(CardErrorBody {
                error: message,
                code: 402,
                kind: "card_error".into(),
                decline_code: decline_code.as_str().to_string(),
                payment_id,
            }))
        }
    };
    Ok(Json(FundResponse::Charged(outcome)))
}
