//! `GET /v1/auto_top_up` and `PUT /v1/auto_top_up` (docs/CONTRACT.md "Auto top-up"): the wallet page's
//! rule, through the same service functions. Changing it needs a key with "Allow adding funds" whose
//! maker may change team settings; the page's rules and messages apply (400).

use super::extract::ApiJson;
use crate::channels::shared::error::{ApiResult, ErrorBody};
use crate::channels::shared::schema::ApiBody;
use crate::channels::shared::spend_key::SpendKey;
use crate::state::AppState;
use axum::extract::{Extension, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use tollgate_core::audit::{Actor, Channel};
use tollgate_core::client_ip::ClientIp;
use tollgate_core::payments::auto_top_up::settings::{self, Change};
use tollgate_domain::error::AppError;
use tollgate_domain::payments::auto_top_up::{AutoTopUpRule, AutoTopUpView};
use tollgate_domain::teams::role::Action;
use utoipa::ToSchema;
use uuid::Uuid;

/// The rule as `/v1` shows it. Amounts are strings with 2 decimals; `null` where no rule was ever set.
#[derive(Serialize, ToSchema)]
pub struct AutoTopUp {
    pub enabled: bool,
    #[schema(example = "5.00")]
    pub threshold: Option<String>,
    #[schema(example = "25.00")]
    pub top_up_to: Option<String>,
    #[schema(example = "100.00")]
    pub monthly_limit: Option<String>,
    pub payment_method_id: Option<Uuid>,
    /// Charged by the rule this calendar month (UTC).
    #[schema(example = "0.00")]
    pub spent_this_month: String,
    /// Why Tollgate turned it off (2 declines in a row, its card removed); `null` otherwise.
    pub disabled_reason: Option<String>,
}

impl From<AutoTopUpView> for AutoTopUp {
    fn from(view: AutoTopUpView) -> AutoTopUp {
        AutoTopUp {
            enabled: view.enabled,
            threshold: view.rule.map(|r| r.threshold().json_cents()),
            top_up_to: view.rule.map(|r| r.top_up_to().json_cents()),
            monthly_limit: view.rule.map(|r| r.monthly_limit().json_cents()),
            payment_method_id: view.payment_method_id,
            spent_this_month: view.spent_this_month.json_cents(),
            disabled_reason: view.disabled_reason,
        }
    }
}

/// `PUT /v1/auto_top_up` body. `enabled: false` turns the rule off (the other fields are then ignored);
/// `enabled: true` needs the three amounts.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoTopUpBody {
    pub enabled: bool,
    /// "When balance falls below": at least 1.00.
    #[schema(example = "5.00")]
    pub threshold: Option<String>,
    /// At least 10.00 above the threshold, at most 10000.00.
    #[schema(example = "25.00")]
    pub top_up_to: Option<String>,
    /// 10.00 to 1000000.00.
    #[schema(example = "100.00")]
    pub monthly_limit: Option<String>,
    /// A saved card; the default card when omitted.
    pub payment_method_id: Option<Uuid>,
}

impl ApiBody for AutoTopUpBody {
    fn refusal(field: &str) -> AppError {
        match field {
            "threshold" => AppError::AutoTopUpThresholdInvalid,
            "top_up_to" => AppError::AutoTopUpTargetInvalid,
            "monthly_limit" => AppError::AutoTopUpLimitInvalid,
            "payment_method_id" => AppError::CardNotSaved,
            _ => AppError::InvalidRequestBody,
        }
    }
}

/// The account's auto top-up rule.
#[utoipa::path(get, path = "/v1/auto_top_up", tag = "wallet", security(("spend_key" = [])),
    responses((status = 200, body = AutoTopUp), (status = 401, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, SpendKey(key): SpendKey) -> ApiResult<Json<AutoTopUp>> {
    Ok(Json(settings::view(&state.pool, key.account_id).await?.into()))
}

/// Turns the rule on or off, or changes it. Turning it on while the balance is already below the
/// threshold tops up at once.
#[utoipa::path(put, path = "/v1/auto_top_up", tag = "wallet", security(("spend_key" = [])),
    request_body = AutoTopUpBody,
    responses(
        (status = 200, body = AutoTopUp),
        (status = 400, description = "a field breaks the rule's bounds, or no saved card", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the key may not add funds, or its maker may not change team settings", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    Extension(client_ip): Extension<ClientIp>,
    body: Result<ApiJson<AutoTopUpBody>, crate::channels::shared::error::ApiError>,
) -> ApiResult<Json<AutoTopUp>> {
    if !key.allow_funding {
        return Err(AppError::FundingNotAllowed.into());
    }
    match key.maker_role {
        Some(role) => role.require(Action::ManageMembers, key.members_can_fund)?,
        None => return Err(AppError::NotPermitted.into()),
    }
    let ApiJson(body) = body?;
    let change = if body.enabled {
        let text = |field: &Option<String>| field.clone().unwrap_or_default();
        let rule =
            AutoTopUpRule::parse(&text(&body.threshold), &text(&body.top_up_to), &text(&body.monthly_limit))?;
        Change::TurnOn { rule, card: body.payment_method_id }
    } else {
        Change::TurnOff
    };
    let actor = Actor {
        account_id: key.account_id,
        user_id: None,
        key_id: Some(key.key_id),
        channel: Channel::Api,
        ip: Some(client_ip.ip()),
    };
    Ok(Json(settings::change(&state.pool, &actor, change).await?.into()))
}
