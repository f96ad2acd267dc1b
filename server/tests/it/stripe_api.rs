//! Stripe's API client against recorded answers (wiremock): what Tollgate sends (form fields, the secret
//! key, idempotency keys) and how it reads what Stripe answers — successes, every kind of refusal, and
//! answers that mean "unknown" rather than "declined". The answers are shaped as Stripe documents them.

use serde_json::json;
use server::stripe::api::{NewPaymentIntent, PaymentIntentStatus, StripeApi, StripeError};
use server::stripe::decline::{refusal_of, Refusal};
use std::time::Duration;
use tollgate_domain::payments::decline::DeclineCode;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "sk_test_recorded";

fn api(stripe: &MockServer) -> StripeApi {
    StripeApi::new(reqwest::Client::new(), &stripe.uri(), SECRET).timeout(Duration::from_secs(2))
}

fn payment(off_session: bool) -> NewPaymentIntent<'static> {
    NewPaymentIntent {
        amount_cents: 2500,
        customer: "cus_123",
        payment_method: "pm_456",
        off_session,
        attempt: "attempt-key-1",
    }
}

fn intent(status: &str) -> serde_json::Value {
    json!({"id": "pi_1", "object": "payment_intent", "amount": 2500, "currency": "usd", "status": status,
           "client_secret": "pi_1_secret_abc", "customer": "cus_123", "payment_method": "pm_456",
           "metadata": {"tollgate_attempt": "attempt-key-1"}, "last_payment_error": null})
}

#[tokio::test]
async fn a_payment_intent_is_made_and_confirmed_with_the_attempts_idempotency_key() {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(header("idempotency-key", "attempt-key-1"))
        .and(body_string_contains("amount=2500"))
        .and(body_string_contains("currency=usd"))
        .and(body_string_contains("customer=cus_123"))
        .and(body_string_contains("payment_method=pm_456"))
        .and(body_string_contains("confirm=true"))
        .and(body_string_contains("off_session=true"))
        .and(body_string_contains("metadata%5Btollgate_attempt%5D=attempt-key-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded")))
        .expect(1)
        .mount(&stripe)
        .await;
    let made = api(&stripe).create_payment_intent(&payment(true), "attempt-key-1").await.unwrap();
    assert_eq!((made.id.as_str(), made.status), ("pi_1", PaymentIntentStatus::Succeeded));
    assert_eq!(made.metadata["tollgate_attempt"], "attempt-key-1");
}

#[tokio::test]
async fn a_person_present_payment_is_not_marked_off_session_and_may_ask_for_3d_secure() {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("requires_action")))
        .mount(&stripe)
        .await;
    let made = api(&stripe).create_payment_intent(&payment(false), "k").await.unwrap();
    assert_eq!(made.status, PaymentIntentStatus::RequiresAction);
    assert_eq!(made.client_secret.as_deref(), Some("pi_1_secret_abc"));
    let sent = String::from_utf8(stripe.received_requests().await.unwrap()[0].body.clone()).unwrap();
    assert!(!sent.contains("off_session"), "{sent}");
}

/// Stripe's answer to a declined confirmation: 402 with the error and the PaymentIntent after it.
fn declined(code: &str, decline_code: Option<&str>) -> ResponseTemplate {
    let mut after = intent("requires_payment_method");
    after["last_payment_error"] = json!({"type": "card_error", "code": code, "decline_code": decline_code});
    ResponseTemplate::new(402).set_body_json(json!({"error": {
        "type": "card_error", "code": code, "decline_code": decline_code,
        "message": "Your card was declined.", "payment_intent": after}}))
}

#[tokio::test]
async fn every_decline_code_reads_as_the_sandboxs_reason_and_none_as_a_success() {
    let cases = [
        ("card_declined", Some("generic_decline"), Some(DeclineCode::GenericDecline)),
        ("card_declined", Some("insufficient_funds"), Some(DeclineCode::InsufficientFunds)),
        ("expired_card", None, Some(DeclineCode::ExpiredCard)),
        ("incorrect_cvc", None, Some(DeclineCode::IncorrectCvc)),
        ("incorrect_zip", None, Some(DeclineCode::IncorrectAddress)),
        ("processing_error", None, Some(DeclineCode::ProcessingError)),
        ("card_declined", Some("lost_card"), Some(DeclineCode::GenericDecline)),
        ("card_declined", Some("stolen_card"), Some(DeclineCode::GenericDecline)),
        ("card_declined", Some("a_code_from_the_future"), Some(DeclineCode::GenericDecline)),
        ("authentication_required", Some("authentication_required"), None),
    ];
    for (code, decline_code, public) in cases {
        let stripe = MockServer::start().await;
        Mock::given(method("POST")).respond_with(declined(code, decline_code)).mount(&stripe).await;
        let err = api(&stripe).create_payment_intent(&payment(true), "k").await.unwrap_err();
        let StripeError::Refused { status: 402, error } = err else { panic!("{code}: {err:?}") };
        let after = error.payment_intent.as_deref().expect("the PaymentIntent after the decline");
        assert_eq!(after.status, PaymentIntentStatus::RequiresPaymentMethod);
        match (refusal_of(&error), public) {
            (Refusal::Declined(decline), Some(public)) => {
                assert_eq!(decline.code, public, "{code}/{decline_code:?}")
            }
            (Refusal::AuthenticationRequired, None) => {}
            (other, _) => panic!("{code}/{decline_code:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_failure_to_answer_is_unknown_never_a_decline_or_a_success() {
    for answer in [
        ResponseTemplate::new(500).set_body_string("oops"),
        ResponseTemplate::new(503),
        ResponseTemplate::new(429).set_body_json(json!({"error": {"type": "rate_limit_error"}})),
        ResponseTemplate::new(200).set_body_string("<html>a proxy's page</html>"),
        ResponseTemplate::new(200).set_body_json(intent("succeeded")).set_delay(Duration::from_secs(4)),
    ] {
        let stripe = MockServer::start().await;
        Mock::given(method("POST")).respond_with(answer).mount(&stripe).await;
        let err = api(&stripe).create_payment_intent(&payment(true), "k").await.unwrap_err();
        assert!(matches!(err, StripeError::Unavailable(_)), "{err:?}");
    }
    let unreachable = StripeApi::new(reqwest::Client::new(), "http://127.0.0.1:9", SECRET);
    let err = unreachable.retrieve_payment_intent("pi_1").await.unwrap_err();
    assert!(matches!(err, StripeError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_status_stripe_adds_later_is_unknown_not_a_success() {
    let stripe = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("requires_something_new")))
        .mount(&stripe)
        .await;
    let read = api(&stripe).retrieve_payment_intent("pi_1").await.unwrap();
    assert_eq!(read.status, PaymentIntentStatus::Unknown);
}

#[tokio::test]
async fn an_id_that_is_not_stripes_never_reaches_a_path() {
    let stripe = MockServer::start().await;
    for id in ["", "pi_1/../../v1/customers", "pi 1", "pi_1?expand=x", "ü"] {
        let err = api(&stripe).retrieve_payment_intent(id).await.unwrap_err();
        assert!(matches!(err, StripeError::Refused { status: 400, .. }), "{id}: {err:?}");
    }
    assert!(stripe.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_card_set_up_in_the_browser_is_read_back_without_its_number() {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/setup_intents"))
        .and(body_string_contains("customer=cus_123"))
        .and(body_string_contains("usage=off_session"))
        .and(header("idempotency-key", "setup-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "seti_1", "object": "setup_intent", "status": "requires_payment_method",
            "client_secret": "seti_1_secret_x", "customer": "cus_123", "payment_method": null})))
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_methods/pm_456"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "pm_456", "object": "payment_method", "type": "card", "customer": "cus_123",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034, "funding": "credit"},
            "billing_details": {"address": {"postal_code": "94107", "country": null}, "email": null}})))
        .mount(&stripe)
        .await;
    let api = api(&stripe);
    let setup = api.create_setup_intent("cus_123", "setup-1").await.unwrap();
    assert_eq!(setup.client_secret.as_deref(), Some("seti_1_secret_x"));
    let card = api.retrieve_payment_method("pm_456").await.unwrap();
    let details = card.card.unwrap();
    assert_eq!(
        (details.brand.as_str(), details.last4.as_str(), details.exp_month, details.exp_year),
        ("visa", "4242", 12, 2034)
    );
    assert_eq!(card.billing_details.address.unwrap().postal_code.as_deref(), Some("94107"));
}

#[test]
fn the_secret_key_never_shows_in_debug_output() {
    let api = StripeApi::new(reqwest::Client::new(), "https://api.stripe.com", SECRET);
    let shown = format!("{api:?}");
    assert!(!shown.contains(SECRET) && shown.contains("[redacted]"), "{shown}");
}
