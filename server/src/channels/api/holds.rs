//! `/v1/holds` (docs/CONTRACT.md "Holds"): reserve the most a call can cost before it runs, then capture
//! what it cost, or void it. The decisions and the money are the core's (`tollgate_core::metering::holds`).

use super::extract::{ApiJson, IdempotencyKey};
use crate::channels::shared::error::{ApiResult, ErrorBody};
use crate::channels::shared::schema::{
    could_be_catalog_name, CaptureHoldBody, CreateHoldBody, HoldState, PlacedHold, ResolvedHold,
};
use crate::channels::shared::spend_key::SpendKey;
use crate::state::AppState;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use tollgate_core::metering::holds::{self, Capture, NewHold};
use tollgate_domain::catalog::pricing::Usage;
use tollgate_domain::error::AppError;
use tollgate_domain::metering::call::Via;
use tollgate_domain::metering::hold::{parse_capture_amount, parse_hold_amount, HoldLifetime};
use uuid::Uuid;

/// Reserves `amount` for a call about to run, decided like a paid call: 402 when the wallet's available
/// money, the key's spend limit or its maker's budget can't cover it (nothing is held then).
#[utoipa::path(post, path = "/v1/holds", tag = "holds", security(("spend_key" = [])),
    request_body = CreateHoldBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; 1–255 visible ASCII characters. Same key, same hold (as it stands now); other parameters → 409.", min_length = 1, max_length = 255, pattern = r"^[!-~]+( +[!-~]+)*$")),
    responses((status = 201, body = PlacedHold), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, description = "Insufficient wallet balance, Spend key limit reached, or the member's budget", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    IdempotencyKey(idempotency_key): IdempotencyKey,
    ApiJson(body): ApiJson<CreateHoldBody>,
) -> ApiResult<(StatusCode, Json<PlacedHold>)> {
    let amount = parse_hold_amount(&body.amount)?;
    let lifetime = HoldLifetime::parse(body.expires_in)?;
    if !could_be_catalog_name(&body.service)
        || body.model.as_deref().is_some_and(|m| !could_be_catalog_name(m))
    {
        return Err(AppError::UnknownService.into());
    }
    let known = match &body.model {
        Some(model) => state.call_cache.price(&state.pool, &body.service, model).await?.is_some(),
        None => tollgate_core::catalog::db::service_exists(&state.pool, &body.service).await?,
    };
    if !known {
        return Err(AppError::UnknownService.into());
    }
    if !key.may_call(&body.service) {
        return Err(AppError::ServiceNotAllowed.into());
    }
    let new = NewHold {
        account_id: key.account_id,
        key_id: key.key_id,
        service: body.service,
        model: body.model,
        amount,
        lifetime,
        idempotency_key,
    };
    let (hold, reserved) = holds::place(&state.pool, &new).await?;
    Ok((StatusCode::CREATED, Json(PlacedHold { hold: hold.into(), wallet: reserved.into() })))
}

/// The hold as it stands now; another account's hold is not found.
#[utoipa::path(get, path = "/v1/holds/{id}", tag = "holds", security(("spend_key" = [])),
    params(("id" = String, Path, description = "The hold's id")),
    responses((status = 200, body = HoldState), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    Path(id): Path<String>,
) -> ApiResult<Json<HoldState>> {
    let hold = holds::find(&state.pool, key.account_id, hold_id(&id)?).await?;
    Ok(Json(hold.into()))
}

/// Charges what the call cost — an `amount`, or its `usage` at the hold's model's price — as a paid call,
/// and releases the rest of the hold, at once. More than the hold: 409, and the hold stays open.
#[utoipa::path(post, path = "/v1/holds/{id}/capture", tag = "holds", security(("spend_key" = [])),
    params(("id" = String, Path, description = "The hold's id")),
    request_body = CaptureHoldBody,
    responses((status = 200, body = ResolvedHold), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "more than the hold, or the hold was already captured or voided", body = ErrorBody),
        (status = 410, description = "the hold expired; nothing was charged", body = ErrorBody)))]
pub async fn capture(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CaptureHoldBody>,
) -> ApiResult<Json<ResolvedHold>> {
    let id = hold_id(&id)?;
    let capture = match (&body.amount, &body.usage) {
        (Some(amount), None) => Capture::Amount(parse_capture_amount(amount)?),
        (None, Some(usage)) => Capture::Usage(
            Usage::new(usage.input_tokens.unwrap_or(0), usage.output_tokens.unwrap_or(0))
                .ok_or(AppError::InvalidUsage)?,
        ),
        _ => return Err(AppError::CaptureInvalid.into()),
    };
    let (hold, call, reserved) = holds::capture(&state.pool, key.account_id, id, capture, Via::Api).await?;
    Ok(Json(ResolvedHold { hold: hold.into(), wallet: reserved.into(), cost: Some(call.cost.into()) }))
}

/// Releases the whole hold; nothing is charged.
#[utoipa::path(post, path = "/v1/holds/{id}/void", tag = "holds", security(("spend_key" = [])),
    params(("id" = String, Path, description = "The hold's id")),
    responses((status = 200, body = ResolvedHold), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the hold was already captured or voided", body = ErrorBody),
        (status = 410, description = "the hold expired; nothing was charged", body = ErrorBody)))]
pub async fn void(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    Path(id): Path<String>,
) -> ApiResult<Json<ResolvedHold>> {
    let (hold, reserved) = holds::void(&state.pool, key.account_id, hold_id(&id)?).await?;
    Ok(Json(ResolvedHold { hold: hold.into(), wallet: reserved.into(), cost: None }))
}

/// A hold's id from the path; anything that isn't one names no hold.
fn hold_id(raw: &str) -> Result<Uuid, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}
