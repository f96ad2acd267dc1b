//! `/gateway/openai/v1`: OpenAI's chat completions and model list, so `OpenAI(base_url=<tollgate>/gateway/
//! openai/v1, api_key=<spend key>)` works unchanged. Every call is held before it is forwarded, and
//! captured from the usage the provider reports once it has answered (docs/CONTRACT.md "Gateway").

use super::sandbox;
use super::sse::{Reported, StreamReading};
use crate::channels::shared::error::{ApiError, ApiResult};
use crate::channels::shared::spend_key::SpendKey;
use crate::config::Upstream;
use crate::state::AppState;
use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use futures::StreamExt;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::Duration;
use tollgate_core::catalog::db as catalog;
use tollgate_core::metering::holds::{self, Capture, NewHold};
use tollgate_domain::catalog::pricing::{Price, Usage};
use tollgate_domain::error::AppError;
use tollgate_domain::metering::hold::{HoldLifetime, MAX_HOLD};
use uuid::Uuid;

/// The service these calls are charged as (the catalog's id).
const SERVICE: &str = "openai";
/// How long a call's hold lasts: longer than any call runs, short enough that a server that died mid-call
/// frees the money soon (its hold expires; nothing is charged).
const HOLD_SECONDS: i64 = 900;
/// How long the provider has to answer a call, streamed or not.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(600);

/// `GET /gateway/openai/v1/models`: the catalog's OpenAI models, as OpenAI lists them.
pub async fn models(State(state): State<AppState>, SpendKey(_key): SpendKey) -> ApiResult<Json<Value>> {
    let data: Vec<Value> = catalog::models_of(&state.pool, SERVICE)
        .await?
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": SERVICE}))
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}

/// The call as the gateway reads it before forwarding it.
struct Call {
    model: String,
    price: Price,
    /// At most this many input tokens: the request's bytes (a token is never less than a byte of it).
    input_bound: u64,
    /// At most this many output tokens: the caller's limit, else the model's, times the choices asked for.
    output_bound: u64,
    stream: bool,
    /// The body to forward (with `stream_options.include_usage` set on a stream).
    body: Value,
    client_wants_usage: bool,
}

impl Call {
    /// The call in `body` (its bytes, and `json` read from them), for the catalog's `runnable` model.
    fn read(
        body: &[u8],
        mut json: Value,
        runnable: Option<catalog::RunnableModel>,
    ) -> Result<Call, AppError> {
        let object = json.as_object_mut().ok_or(AppError::InvalidRequestBody)?;
        let model =
            object.get("model").and_then(Value::as_str).ok_or(AppError::InvalidRequestBody)?.to_string();
        if !object.get("messages").is_some_and(Value::is_array) {
            return Err(AppError::InvalidRequestBody);
        }
        let runnable = runnable.ok_or(AppError::UnknownService)?;
        let most = u64::try_from(runnable.max_output_tokens.ok_or(AppError::UnknownService)?).unwrap_or(0);
        let asked = ["max_completion_tokens", "max_tokens"]
            .iter()
            .find_map(|field| object.get(*field).filter(|v| !v.is_null()))
            .map(|v| v.as_u64().filter(|n| *n > 0).ok_or(AppError::InvalidRequestBody))
            .transpose()?;
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
            model,
            price: runnable.price,
            input_bound: body.len() as u64,
            output_bound: asked.unwrap_or(most).min(most).saturating_mul(choices),
            stream,
            body: json,
            client_wants_usage,
        })
    }

    /// The most this call can cost (what is held for it).
    fn most_it_can_cost(&self) -> Result<Decimal, AppError> {
        let usage = Usage::new(self.input_bound, self.output_bound).ok_or(AppError::InvalidRequestBody)?;
        let most = self.price.cost(usage).total.amount();
        // A call whose bound is past what one hold may reserve is refused as the balance would refuse it.
        if most > MAX_HOLD {
            return Err(AppError::InsufficientBalance);
        }
        Ok(most)
    }

    /// What a call cut short is charged: the usage the provider reported, else what was streamed (a token is
    /// never less than a byte of text) — never more than the hold (the capture refuses more).
    fn usage_after(&self, reported: Option<Reported>, streamed_text_bytes: u64) -> Usage {
        let reported = reported.unwrap_or(Reported {
            input_tokens: self.input_bound,
            output_tokens: streamed_text_bytes.min(self.output_bound),
        });
        Usage::new(reported.input_tokens, reported.output_tokens).unwrap_or_default()
    }
}

/// `POST /gateway/openai/v1/chat/completions` (see the module docs).
pub async fn chat_completions(
    State(state): State<AppState>,
    SpendKey(key): SpendKey,
    body: Bytes,
) -> Response {
    match run(&state, &key, &body).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn run(
    state: &AppState,
    key: &tollgate_core::keys::db::AuthenticatedKey,
    body: &[u8],
) -> Result<Response, ApiError> {
    let json: Value = serde_json::from_slice(body).map_err(|_| AppError::InvalidRequestBody)?;
    let runnable = match json.get("model").and_then(Value::as_str) {
        Some(model) if model.len() <= 128 && !model.chars().any(char::is_control) => {
            catalog::runnable_model(&state.pool, SERVICE, model).await?
        }
        _ => None,
    };
    let call = Call::read(body, json, runnable)?;
    if !key.may_call(SERVICE) {
        return Err(AppError::ServiceNotAllowed.into());
    }
    let new = NewHold {
        account_id: key.account_id,
        key_id: key.key_id,
        service: SERVICE.to_string(),
        model: Some(call.model.clone()),
        amount: call.most_it_can_cost()?,
        lifetime: HoldLifetime::parse(Some(HOLD_SECONDS))?,
        idempotency_key: None,
    };
    let (hold, _) = holds::place(&state.pool, &new).await?;
    let answer = match forward(state.openai_upstream.as_ref(), &state.http, &call).await {
        Ok(answer) => answer,
        Err(err) => {
            void(state, key.account_id, hold.id).await;
            return Err(err.into());
        }
    };
    if !answer.status().is_success() {
        // The provider refused before any output: nothing is charged, and its answer is passed on.
        void(state, key.account_id, hold.id).await;
        return Ok(pass_on(answer).await);
    }
    if call.stream {
        return Ok(stream(state.clone(), key.account_id, hold.id, call, answer));
    }
    let status = answer.status();
    let bytes = match answer.bytes().await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(error = %err, "the provider's answer broke off");
            void(state, key.account_id, hold.id).await;
            return Err(AppError::ProviderUnreachable.into());
        }
    };
    let reported = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("usage").and_then(Reported::of_openai));
    let text_bytes = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("choices").and_then(Value::as_array).cloned())
        .map_or(0, |choices| {
            choices
                .iter()
                .filter_map(|c| c.pointer("/message/content").and_then(Value::as_str))
                .map(|t| t.len() as u64)
                .sum()
        });
    capture(state, key.account_id, hold.id, call.usage_after(reported, text_bytes)).await;
    Ok(json_answer(status, bytes))
}

/// Sends the call to the provider (or the sandbox upstream, when none is set).
async fn forward(
    upstream: Option<&Upstream>,
    http: &reqwest::Client,
    call: &Call,
) -> Result<reqwest::Response, AppError> {
    let Some(upstream) = upstream else {
        return Ok(sandbox::chat_completions(&call.body));
    };
    http.post(format!("{}/chat/completions", upstream.base_url))
        .bearer_auth(&upstream.api_key)
        .json(&call.body)
        .timeout(PROVIDER_TIMEOUT)
        .send()
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "the provider could not be reached");
            AppError::ProviderUnreachable
        })
}

/// The call is streamed to the client as the provider streams it, and captured when the provider's stream
/// ends — also when the client hung up meanwhile: the provider's stream is read to its end for the usage it
/// reports.
fn stream(
    state: AppState,
    account_id: Uuid,
    hold_id: Uuid,
    call: Call,
    answer: reqwest::Response,
) -> Response {
    let status = answer.status();
    let (to_client, from_provider) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(32);
    tokio::spawn(async move {
        let mut reading = StreamReading::new(call.client_wants_usage);
        let mut chunks = answer.bytes_stream();
        let mut client_gone = false;
        while let Some(chunk) = chunks.next().await {
            let Ok(chunk) = chunk else { break };
            let out = reading.feed(&chunk);
            if !out.is_empty() && !client_gone && to_client.send(Ok(Bytes::from(out))).await.is_err() {
                client_gone = true;
            }
        }
        let rest = reading.finish();
        if !rest.is_empty() && !client_gone {
            let _ = to_client.send(Ok(Bytes::from(rest))).await;
        }
        drop(to_client);
        if reading.reported.is_none() && reading.streamed_text_bytes == 0 && !reading.done {
            // Nothing came: the provider failed before any output.
            void(&state, account_id, hold_id).await;
        } else {
            capture(
                &state,
                account_id,
                hold_id,
                call.usage_after(reading.reported, reading.streamed_text_bytes),
            )
            .await;
        }
    });
    let chunks = futures::stream::unfold(from_provider, |mut from_provider| async move {
        from_provider.recv().await.map(|chunk| (chunk, from_provider))
    });
    let body = Body::from_stream(chunks);
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A provider's answer passed on as it came (its status, its JSON or text).
async fn pass_on(answer: reqwest::Response) -> Response {
    let status = answer.status();
    let bytes = answer.bytes().await.unwrap_or_default();
    json_answer(status, bytes)
}

fn json_answer(status: reqwest::StatusCode, bytes: Bytes) -> Response {
    let status = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Charges what the call used (at most its hold). Logged when it can't be: the hold then expires and
/// nothing is charged, never twice.
async fn capture(state: &AppState, account_id: Uuid, hold_id: Uuid, usage: Usage) {
    let captured = match holds::capture(&state.pool, account_id, hold_id, Capture::Usage(usage)).await {
        // Over the hold (a provider reporting more than it was asked to give): the hold's amount is charged.
        Err(AppError::CaptureExceedsHold) => {
            let hold = holds::find(&state.pool, account_id, hold_id).await.map(|h| h.amount);
            match hold {
                Ok(amount) => holds::capture(&state.pool, account_id, hold_id, Capture::Amount(amount))
                    .await
                    .map(|_| ()),
                Err(err) => Err(err),
            }
        }
        other => other.map(|_| ()),
    };
    if let Err(err) = captured {
        tracing::warn!(code = err.code(), %hold_id, "a gateway call's capture failed; its hold will expire");
    }
}

async fn void(state: &AppState, account_id: Uuid, hold_id: Uuid) {
    if let Err(err) = holds::void(&state.pool, account_id, hold_id).await {
        tracing::warn!(code = err.code(), %hold_id, "a gateway call's hold could not be voided; it will expire");
    }
}
