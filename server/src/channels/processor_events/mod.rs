//! `POST /webhooks/stripe`: the events Stripe sends about payments (docs/CONTRACT.md "Card processors").
//! Each is verified (`Stripe-Signature`, HMAC-SHA256 with `STRIPE_WEBHOOK_SECRET`, 5 minutes' tolerance),
//! stored once by its event id, and acted on until one handling committed — so a replay is a no-op and an
//! event arriving before or after the browser's return, recovery or another event settles the payment once
//! (`add_funds::record_reported`); a dispute's news is applied to its deposit once per stage
//! (`payments::disputes`). Nothing is written for a body that fails verification.

use crate::state::AppState;
use crate::stripe::api::{PaymentIntent, ATTEMPT_METADATA};
use crate::stripe::processor::outcome_of;
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tollgate_core::payments::add_funds::{self, Reported};
use tollgate_core::payments::disputes::{self, DisputeNews, Received, Stage};
use tollgate_core::payments::processor::Presence;
use tollgate_core::payments::processor_records;
use tollgate_core::webhooks::signature;

/// How old (or new) a signed event may be: Stripe's own libraries' default.
const TOLERANCE_SECS: i64 = 300;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/stripe", post(stripe_event))
}

/// An event as Stripe sends it: only what is read here.
#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: Value,
}

async fn stripe_event(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // Without Stripe there is no such endpoint.
    let Some(secret) = state.stripe_webhook_secret.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = chrono::Utc::now().timestamp();
    if let Err(refused) = signature::verify(header, secret, &body, now, TOLERANCE_SECS) {
        tracing::warn!(why = %refused, "a Stripe event was refused");
        return refuse(&format!("The signature was not accepted: {refused}."));
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else { return refuse("The body is not JSON.") };
    let Ok(event) = serde_json::from_value::<Event>(payload.clone()) else {
        return refuse("The body is not a Stripe event.");
    };
    match processor_records::receive_event(&state.pool, &event.id, &event.kind, &payload).await {
        Ok(true) => {}
        Ok(false) => return received(),
        Err(err) => return failed(err),
    }
    if let Err(err) = handle(&state, &event).await {
        return failed(err);
    }
    let handled = async {
        let mut conn = state.pool.acquire().await?;
        processor_records::mark_handled(&mut conn, &event.id).await
    };
    match handled.await {
        Ok(()) => received(),
        Err(err) => failed(err),
    }
}

/// Acts on what the event says. A payment's outcome settles its attempt (named in the PaymentIntent's
/// metadata); a dispute's news is applied to its deposit (`disputes`); anything else is recorded only.
async fn handle(state: &AppState, event: &Event) -> Result<(), tollgate_domain::error::AppError> {
    if event.kind.starts_with("charge.dispute.") {
        return dispute(state, event).await;
    }
    if !matches!(event.kind.as_str(), "payment_intent.succeeded" | "payment_intent.payment_failed") {
        return Ok(());
    }
    let Ok(intent) = serde_json::from_value::<PaymentIntent>(event.data.object.clone()) else {
        tracing::warn!(event_id = %event.id, "a payment event without a readable PaymentIntent");
        return Ok(());
    };
    let Some(key) = intent.metadata.get(ATTEMPT_METADATA) else { return Ok(()) };
    // Only an outcome is recorded; a payment still waiting or processing is left to the next event.
    let outcome = match outcome_of(&intent, Presence::Person) {
        Ok(outcome) if outcome.is_final() => outcome,
        _ => return Ok(()),
    };
    let reported = add_funds::record_reported(&state.pool, &*state.processor, key, &outcome).await?;
    if reported == Reported::Settled {
        tracing::info!(event_id = %event.id, "a payment was settled by Stripe's event");
    }
    Ok(())
}

/// Stripe's dispute object: only what is read here.
#[derive(Deserialize)]
struct Dispute {
    id: String,
    /// In cents.
    amount: i64,
    payment_intent: Option<String>,
    status: String,
    reason: Option<String>,
}

/// `charge.dispute.created` opens a dispute (its amount withdrawn), `charge.dispute.funds_reinstated` and a
/// `charge.dispute.closed` that was won return it, one closed lost keeps it withdrawn; other dispute events
/// (evidence, updates) are recorded only. News about a deposit not recorded yet fails, so Stripe sends it
/// again later.
async fn dispute(state: &AppState, event: &Event) -> Result<(), tollgate_domain::error::AppError> {
    let Ok(dispute) = serde_json::from_value::<Dispute>(event.data.object.clone()) else {
        tracing::warn!(event_id = %event.id, "a dispute event without a readable dispute");
        return Ok(());
    };
    let stage = match (event.kind.as_str(), dispute.status.as_str()) {
        ("charge.dispute.created", _) => Stage::Opened,
        ("charge.dispute.funds_reinstated", _) | ("charge.dispute.closed", "won") => Stage::Won,
        ("charge.dispute.closed", "lost") => Stage::Lost,
        _ => return Ok(()),
    };
    let (Some(charge), true) = (dispute.payment_intent.as_deref(), dispute.amount > 0) else {
        tracing::warn!(event_id = %event.id, "a dispute without its PaymentIntent or amount");
        return Ok(());
    };
    let news = DisputeNews {
        processor_dispute_id: &dispute.id,
        processor_charge_id: charge,
        amount: rust_decimal::Decimal::new(dispute.amount, 2),
        stage,
        reason: dispute.reason.as_deref(),
    };
    match disputes::receive(&state.pool, &news).await? {
        Received::UnknownCharge => Err(tollgate_domain::error::AppError::Busy),
        Received::Applied | Received::Unchanged => Ok(()),
    }
}

fn received() -> Response {
    (StatusCode::OK, Json(json!({"received": true}))).into_response()
}

fn refuse(why: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": why}))).into_response()
}

/// A failure Stripe should retry (it resends an event for days while it isn't answered 2xx).
fn failed(err: impl Into<tollgate_domain::error::AppError>) -> Response {
    let err = err.into();
    tracing::warn!(code = err.code(), "a Stripe event could not be handled now; Stripe will send it again");
    (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "try again"}))).into_response()
}
