//! `/gateway/anthropic/v1/messages`: Anthropic's Messages API, so `Anthropic(base_url=<tollgate>/gateway/
//! anthropic, api_key=<spend key>)` works unchanged, the key in `x-api-key` or as a bearer token
//! (docs/CONTRACT.md "Gateway").

use crate::channels::shared::error::ApiError;
use crate::channels::shared::model_call::call::{read_request, Call, Dialect};
use crate::channels::shared::model_call::relay::relay;
use crate::channels::shared::spend_key::ProviderSdkKey;
use crate::state::AppState;
use axum::{body::Bytes, extract::State, http::HeaderMap, response::Response};
use serde_json::Value;
use tollgate_core::catalog::db::RunnableModel;
use tollgate_domain::error::AppError;

/// The service these calls are charged as (the catalog's id).
const SERVICE: &str = "anthropic";

/// `POST /gateway/anthropic/v1/messages`.
pub async fn messages(
    State(state): State<AppState>,
    ProviderSdkKey(key): ProviderSdkKey,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (json, runnable) = read_request(&state.pool, SERVICE, &body).await?;
    let version = headers
        .get("anthropic-version")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or(Dialect::DEFAULT_ANTHROPIC_VERSION)
        .to_string();
    relay(&state, &key, read(&body, json, runnable, version)?).await
}

/// The call in `body` (its bytes, and `json` read from them), for the catalog's `runnable` model.
/// Anthropic requires `max_tokens`, so the bound is always the caller's (at most the model's).
fn read(
    body: &[u8],
    json: Value,
    runnable: Option<RunnableModel>,
    version: String,
) -> Result<Call, AppError> {
    let object = json.as_object().ok_or(AppError::InvalidRequestBody)?;
    let model = object.get("model").and_then(Value::as_str).ok_or(AppError::InvalidRequestBody)?.to_string();
    if !object.get("messages").is_some_and(Value::is_array) {
        return Err(AppError::InvalidRequestBody);
    }
    let runnable = runnable.ok_or(AppError::UnknownService)?;
    let asked = Call::asked_limit(object, &["max_tokens"])?.ok_or(AppError::InvalidRequestBody)?;
    let stream = object.get("stream").and_then(Value::as_bool).unwrap_or(false);
    Ok(Call {
        service: SERVICE,
        model,
        output_bound: Call::output_bound(&runnable, Some(asked), 1)?,
        price: runnable.price,
        input_bound: body.len() as u64,
        stream,
        body: json,
        dialect: Dialect::Anthropic { version },
    })
}
