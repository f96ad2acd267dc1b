//! `/gateway/anthropic/v1/messages`: Anthropic's Messages API, so `Anthropic(base_url=<tollgate>/gateway/
//! anthropic, api_key=<spend key>)` works unchanged, the key in `x-api-key` or as a bearer token
//! (docs/CONTRACT.md "Gateway").

use crate::channels::shared::error::ApiError;
use crate::channels::shared::model_call::call::{model_named, Call, Dialect};
use crate::channels::shared::model_call::relay::{relay, Target};
use crate::channels::shared::spend_key::ProviderSdkKey;
use crate::state::AppState;
use axum::{body::Bytes, extract::State, http::HeaderMap, response::Response};
use serde_json::Value;
use tollgate_core::catalog::db::{self as catalog, RunnableModel};
use tollgate_domain::error::AppError;

/// The service these calls are charged as (the catalog's id).
const SERVICE: &str = "anthropic";
/// The API version sent when the client names none.
const DEFAULT_VERSION: &str = "2023-06-01";

/// `POST /gateway/anthropic/v1/messages`.
pub async fn messages(
    State(state): State<AppState>,
    ProviderSdkKey(key): ProviderSdkKey,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let json: Value = serde_json::from_slice(&body).map_err(|_| AppError::InvalidRequestBody)?;
    let runnable = match model_named(&json) {
        Some(model) => catalog::runnable_model(&state.pool, SERVICE, model).await?,
        None => None,
    };
    let version = headers
        .get("anthropic-version")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or(DEFAULT_VERSION)
        .to_string();
    let call = read(&body, json, runnable, version)?;
    relay(&state, &key, call, Target { upstream: state.anthropic_upstream.as_ref(), path: "/v1/messages" })
        .await
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
