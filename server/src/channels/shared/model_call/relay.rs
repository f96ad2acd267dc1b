//! One call through the gateway, whichever provider's: held for the most it can cost, forwarded, then
//! captured at the usage the provider reports — or voided when the provider refuses or can't be reached
//! (docs/ARCHITECTURE.md "The gateway").

use super::call::{Call, Dialect};
use super::sandbox;
use super::sse::StreamReading;
use crate::channels::shared::error::ApiError;
use crate::state::AppState;
use axum::{
    body::{Body, Bytes},
    http::{header, HeaderValue, StatusCode},
    response::Response,
};
use futures::StreamExt;
use serde_json::Value;
use std::time::Duration;
use tollgate_core::keys::db::AuthenticatedKey;
use tollgate_core::metering::holds::{self, Capture, NewHold};
use tollgate_domain::catalog::pricing::Usage;
use tollgate_domain::error::AppError;
use tollgate_domain::metering::call::{CallRecord, Via};
use tollgate_domain::metering::hold::HoldLifetime;
use uuid::Uuid;

/// How long a call's hold lasts: longer than any call runs, short enough that a server that died mid-call
/// frees the money soon (its hold expires; nothing is charged).
const HOLD_SECONDS: i64 = 900;
/// How long the provider has to answer a call, streamed or not.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(600);

/// A whole (not streamed) call's end: the provider's answer, and the paid call it was charged as (`None`
/// when the provider refused and nothing was charged, or the capture failed and the hold will expire).
pub struct Whole {
    pub status: reqwest::StatusCode,
    pub answer: Bytes,
    pub charged: Option<CallRecord>,
}

/// Runs `call` for `key` (see the module docs), answered as the provider answered: a stream streamed, a
/// whole answer whole.
pub async fn relay(state: &AppState, key: &AuthenticatedKey, call: Call) -> Result<Response, ApiError> {
    let (state, key) = (state.clone(), key.clone());
    to_the_end(async move {
        if !call.stream {
            let whole = whole(&state, &key, call).await?;
            return Ok(json_answer(whole.status, whole.answer));
        }
        let settle = hold(&state, &key, &call).await?;
        let answer = match forward(&state, &call).await {
            Ok(answer) if answer.status().is_success() => answer,
            Ok(refused) => {
                // The provider refused before any output: nothing is charged, and its answer is passed on.
                settle.void().await;
                let status = refused.status();
                return Ok(json_answer(status, refused.bytes().await.unwrap_or_default()));
            }
            Err(err) => {
                settle.void().await;
                return Err(err.into());
            }
        };
        Ok(stream(settle, call, answer))
    })
    .await
}

/// Runs a whole (not streamed) `call` for `key`: held, forwarded, then captured at the usage the answer
/// reports — or voided when the provider refuses (its answer is still given back) or can't be reached.
pub async fn run_whole(state: &AppState, key: &AuthenticatedKey, call: Call) -> Result<Whole, ApiError> {
    let (state, key) = (state.clone(), key.clone());
    to_the_end(async move { whole(&state, &key, call).await }).await
}

/// Runs `call` on its own task, so a client hanging up can't stop it half-way: a request's future is
/// dropped when its client goes, and a call dropped between its hold and its capture would have run at the
/// provider (who bills Tollgate for it) with nothing charged, its money held until the hold expired.
async fn to_the_end<T: Send + 'static>(
    call: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(call).await.unwrap_or_else(|err| Err(AppError::internal("a model call's task", err).into()))
}

async fn whole(state: &AppState, key: &AuthenticatedKey, call: Call) -> Result<Whole, ApiError> {
    let settle = hold(state, key, &call).await?;
    let answer = match forward(state, &call).await {
        Ok(answer) => answer,
        Err(err) => {
            settle.void().await;
            return Err(err.into());
        }
    };
    let status = answer.status();
    if !status.is_success() {
        settle.void().await;
        return Ok(Whole { status, answer: answer.bytes().await.unwrap_or_default(), charged: None });
    }
    let bytes = match answer.bytes().await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(error = %err, "the provider's answer broke off");
            settle.void().await;
            return Err(AppError::ProviderUnreachable.into());
        }
    };
    let (reported, text_bytes) = serde_json::from_slice::<Value>(&bytes)
        .map(|answer| call.usage_of_answer(&answer))
        .unwrap_or((None, 0));
    let charged = settle.capture(call.usage_after(reported, text_bytes)).await;
    Ok(Whole { status, answer: bytes, charged })
}

/// Holds the most `call` can cost, decided like a paid call (402 and nothing held when it can't be).
async fn hold(state: &AppState, key: &AuthenticatedKey, call: &Call) -> Result<Settle, ApiError> {
    if !key.may_call(call.service) {
        return Err(AppError::ServiceNotAllowed.into());
    }
    let new = NewHold {
        account_id: key.account_id,
        key_id: key.key_id,
        service: call.service.to_string(),
        model: Some(call.model.clone()),
        amount: call.most_it_can_cost()?,
        lifetime: HoldLifetime::parse(Some(HOLD_SECONDS))?,
        idempotency_key: None,
    };
    let (hold, _) = holds::place(&state.pool, &new).await?;
    Ok(Settle { state: state.clone(), account_id: key.account_id, hold_id: hold.id })
}

/// Sends the call to its provider (or the sandbox upstream, when none is set), with the provider's key.
async fn forward(state: &AppState, call: &Call) -> Result<reqwest::Response, AppError> {
    let (upstream, path) = match &call.dialect {
        Dialect::OpenAi { .. } => (state.openai_upstream.as_ref(), "/chat/completions"),
        Dialect::Anthropic { .. } => (state.anthropic_upstream.as_ref(), "/v1/messages"),
    };
    let Some(upstream) = upstream else {
        return Ok(sandbox::answer(&call.dialect, &call.body));
    };
    let request =
        state.http.post(format!("{}{path}", upstream.base_url)).json(&call.body).timeout(PROVIDER_TIMEOUT);
    let request = match &call.dialect {
        Dialect::OpenAi { .. } => request.bearer_auth(&upstream.api_key),
        Dialect::Anthropic { version } => {
            request.header("x-api-key", &upstream.api_key).header("anthropic-version", version)
        }
    };
    request.send().await.map_err(|err| {
        tracing::warn!(error = %err, "the provider could not be reached");
        AppError::ProviderUnreachable
    })
}

/// The call is streamed to the client as the provider streams it, and captured when the provider's stream
/// ends — also when the client hung up meanwhile: the provider's stream is read to its end for the usage it
/// reports.
fn stream(settle: Settle, call: Call, answer: reqwest::Response) -> Response {
    let status = answer.status();
    let (to_client, from_provider) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(32);
    tokio::spawn(async move {
        let mut reading = StreamReading::new(call.dialect.clone());
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
            settle.void().await;
        } else {
            settle.capture(call.usage_after(reading.reported, reading.streamed_text_bytes)).await;
        }
    });
    let chunks = futures::stream::unfold(from_provider, |mut from_provider| async move {
        from_provider.recv().await.map(|chunk| (chunk, from_provider))
    });
    let mut response = Response::new(Body::from_stream(chunks));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A provider's whole answer passed on as it came (its status, its JSON).
fn json_answer(status: reqwest::StatusCode, bytes: Bytes) -> Response {
    let status = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// How a call's hold ends. Either failure is logged: the hold then expires and nothing is charged, never
/// twice.
struct Settle {
    state: AppState,
    account_id: Uuid,
    hold_id: Uuid,
}

impl Settle {
    /// Charges what the call used, at most its hold: a provider reporting more than it was asked to give is
    /// charged the hold. Answers the paid call it was charged as.
    async fn capture(&self, usage: Usage) -> Option<CallRecord> {
        let pool = &self.state.pool;
        let (account_id, hold_id) = (self.account_id, self.hold_id);
        let first = holds::capture(pool, account_id, hold_id, Capture::Usage(usage), Via::Gateway).await;
        let captured = match first {
            Err(AppError::CaptureExceedsHold) => match holds::find(pool, account_id, hold_id).await {
                Ok(hold) => {
                    holds::capture(pool, account_id, hold_id, Capture::Amount(hold.amount), Via::Gateway)
                        .await
                }
                Err(err) => Err(err),
            },
            other => other,
        };
        match captured {
            Ok((_, record, _)) => Some(record),
            Err(err) => {
                tracing::warn!(code = err.code(), %hold_id, "a gateway call's capture failed; its hold will expire");
                None
            }
        }
    }

    async fn void(&self) {
        if let Err(err) = holds::void(&self.state.pool, self.account_id, self.hold_id).await {
            tracing::warn!(code = err.code(), hold_id = %self.hold_id, "a gateway call's hold could not be voided; it will expire");
        }
    }
}
