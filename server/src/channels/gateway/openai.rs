//! `/gateway/openai/v1`: OpenAI's chat completions and model list, so `OpenAI(base_url=<tollgate>/gateway/
//! openai/v1, api_key=<spend key>)` works unchanged (docs/CONTRACT.md "Gateway").

use crate::channels::shared::error::{ApiError, ApiResult};
use crate::channels::shared::model_call::call::{read_request, Call, Dialect};
use crate::channels::shared::model_call::relay::relay;
use crate::channels::shared::spend_key::ProviderSdkKey;
use crate::state::AppState;
use axum::{body::Bytes, extract::State, response::Response, Json};
use serde_json::{json, Value};
use tollgate_core::catalog::db::{self as catalog, RunnableModel};
use tollgate_domain::error::AppError;

/// The service these calls are charged as (the catalog's id).
const SERVICE: &str = "openai";

/// `GET /gateway/openai/v1/models`: the catalog's OpenAI models, as OpenAI lists them.
pub async fn models(
    State(state): State<AppState>,
    ProviderSdkKey(_key): ProviderSdkKey,
) -> ApiResult<Json<Value>> {
    let data: Vec<Value> = catalog::models_of(&state.pool, SERVICE)
        .await?
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": SERVICE}))
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}

/// `POST /gateway/openai/v1/chat/completions`.
pub async fn chat_completions(
    State(state): State<AppState>,
    ProviderSdkKey(key): ProviderSdkKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (json, runnable) = read_request(&state.pool, SERVICE, &body).await?;
    relay(&state, &key, read(&body, json, runnable)?).await
}

/// The call in `body` (its bytes, and `json` read from them), for the catalog's `runnable` model.
fn read(body: &[u8], mut json: Value, runnable: Option<RunnableModel>) -> Result<Call, AppError> {
    let object = json.as_object_mut().ok_or(AppError::InvalidRequestBody)?;
    let model = object.get("model").and_then(Value::as_str).ok_or(AppError::InvalidRequestBody)?.to_string();
    if !object.get("messages").is_some_and(Value::is_array) {
        return Err(AppError::InvalidRequestBody);
    }
    let runnable = runnable.ok_or(AppError::UnknownService)?;
    let asked = Call::asked_limit(object, &["max_completion_tokens", "max_tokens"])?;
    let choices = match object.get("n").filter(|v| !v.is_null()) {
        None => 1,
        Some(n) => n.as_u64().filter(|n| (1..=128).contains(n)).ok_or(AppError::InvalidRequestBody)?,
    };
    let stream = object.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let mut client_wants_usage = false;
    if stream {
        let options = object.entry("stream_options").or_insert_with(|| json!({}));
        let options = options.as_object_mut().ok_or(AppError::InvalidRequestBody)?;
        client_wants_usage = options.get("include_usage").and_then(Value::as_bool).unwrap_or(false);
        options.insert("include_usage".into(), Value::Bool(true));
    }
    Ok(Call {
        service: SERVICE,
        model,
        output_bound: Call::output_bound(&runnable, asked, choices)?,
        price: runnable.price,
        input_bound: body.len() as u64,
        stream,
        body: json,
        dialect: Dialect::OpenAi { client_wants_usage },
    })
}
