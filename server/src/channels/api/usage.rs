//! `/v1/usage`: spend per day, the same summary as the usage page.

use super::extract::ApiQuery;
use crate::channels::shared::error::{ApiResult, ErrorBody};
use crate::channels::shared::reads::report;
use crate::channels::shared::schema::{UsageQuery, UsageReport};
use crate::channels::shared::spend_key::SpendKey;
use crate::state::AppState;
use axum::{extract::State, Json};

/// Spend and completed calls per day (every day listed, empty ones with zeros), by service, with totals —
/// of the account, or with `member` of one member's keys and chat connections. Defaults: the last 7 days
/// including today, in the account's timezone; `end` is inclusive.
#[utoipa::path(get, path = "/v1/usage", tag = "usage", security(("spend_key" = [])),
    params(UsageQuery),
    responses((status = 200, body = UsageReport), (status = 400, description = "a bad date, timezone or member", body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> ApiResult<Json<UsageReport>> {
    Ok(Json(report(&state.pool, key.account_id, query).await?))
}
