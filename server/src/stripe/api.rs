//! Stripe's API as Tollgate uses it: the few endpoints below as typed requests over `reqwest` (form-encoded,
//! as Stripe takes them) and typed answers with only the fields Tollgate reads. Every request that makes
//! something carries an `Idempotency-Key`, so a retry after a lost answer makes it once (Stripe answers the
//! first outcome again for 24 hours).

use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

/// How long Stripe has to answer one request, unless told otherwise ([`StripeApi::timeout`]).
const TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one Stripe account (its secret key) at `base` (`https://api.stripe.com`, or a double's
/// address in tests).
#[derive(Clone)]
pub struct StripeApi {
    http: reqwest::Client,
    base: String,
    secret_key: String,
    timeout: Duration,
}

impl std::fmt::Debug for StripeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeApi").field("base", &self.base).field("secret_key", &"[redacted]").finish()
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Customer {
    pub id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    pub client_secret: Option<String>,
    pub status: String,
    /// The card it set up, once the browser confirmed it.
    pub payment_method: Option<String>,
    pub customer: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub customer: Option<String>,
    pub card: Option<Card>,
    #[serde(default)]
    pub billing_details: BillingDetails,
}

/// What Stripe tells of a card: never its number.
#[derive(Clone, Debug, Deserialize)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct BillingDetails {
    pub address: Option<Address>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Address {
    pub postal_code: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    /// In cents.
    pub amount: i64,
    pub status: PaymentIntentStatus,
    pub client_secret: Option<String>,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    /// Why the last try failed (a decline, or authentication that failed or is needed).
    pub last_payment_error: Option<ErrorBody>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    /// A status Stripe added after this was written: never taken for a success.
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Refund {
    pub id: String,
    pub status: RefundStatus,
    /// Why a refund failed (`expired_or_canceled_card`, `lost_or_stolen_card`, `unknown`).
    pub failure_reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
    /// A status Stripe added after this was written.
    #[serde(other)]
    Unknown,
}

/// Stripe's `error` object.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
    /// On a card error of a PaymentIntent: the PaymentIntent as it stands after it.
    pub payment_intent: Option<Box<PaymentIntent>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe couldn't be reached or failed (a timeout, a 5xx, an answer that doesn't parse): whatever was
    /// asked may or may not have happened; asking again with the same idempotency key is safe.
    #[error("Stripe unavailable: {0}")]
    Unavailable(String),
    /// Stripe answered with an error (4xx): a card declined (402), an unknown object (404), a bad request.
    #[error("Stripe refused the request ({status}): {}", .error.message.as_deref().unwrap_or("no message"))]
    Refused { status: u16, error: ErrorBody },
}

/// A PaymentIntent to make and confirm at once, charging a saved card.
#[derive(Clone, Debug)]
pub struct NewPaymentIntent<'a> {
    pub amount_cents: i64,
    pub customer: &'a str,
    pub payment_method: &'a str,
    /// No person is there to complete 3-D Secure (an agent, the chat, auto top-up): Stripe then declines
    /// with `authentication_required` instead of asking for it.
    pub off_session: bool,
    /// Tollgate's payment attempt (its idempotency key), in the PaymentIntent's metadata, so an event about
    /// it names the attempt.
    pub attempt: &'a str,
}

/// The metadata key naming the Tollgate payment attempt of a PaymentIntent.
pub const ATTEMPT_METADATA: &str = "tollgate_attempt";
/// The metadata key naming the Tollgate account of a Customer.
pub const ACCOUNT_METADATA: &str = "tollgate_account";

impl StripeApi {
    pub fn new(http: reqwest::Client, base: &str, secret_key: &str) -> StripeApi {
        StripeApi {
            http,
            base: base.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
            timeout: TIMEOUT,
        }
    }

    /// How long Stripe has to answer each request.
    pub fn timeout(self, timeout: Duration) -> StripeApi {
        StripeApi { timeout, ..self }
    }

    /// The Customer of a Tollgate account (one per account, made with its first card).
    pub async fn create_customer(
        &self,
        account_id: &str,
        idempotency_key: &str,
    ) -> Result<Customer, StripeError> {
        let form = [(format!("metadata[{ACCOUNT_METADATA}]"), account_id.to_string())];
        self.post("/v1/customers", &form, Some(idempotency_key)).await
    }

    /// A SetupIntent the browser confirms with Stripe.js's card Element (`confirmCardSetup`): the card goes
    /// from the browser to Stripe, which answers the PaymentMethod it made, saved to `customer` for charges
    /// made later without the person.
    pub async fn create_setup_intent(
        &self,
        customer: &str,
        idempotency_key: &str,
    ) -> Result<SetupIntent, StripeError> {
        let form = [
            ("customer".to_string(), customer.to_string()),
            ("usage".to_string(), "off_session".to_string()),
            ("payment_method_types[]".to_string(), "card".to_string()),
        ];
        self.post("/v1/setup_intents", &form, Some(idempotency_key)).await
    }

    pub async fn retrieve_setup_intent(&self, id: &str) -> Result<SetupIntent, StripeError> {
        self.get(&format!("/v1/setup_intents/{}", path_segment(id)?)).await
    }

    pub async fn retrieve_payment_method(&self, id: &str) -> Result<PaymentMethod, StripeError> {
        self.get(&format!("/v1/payment_methods/{}", path_segment(id)?)).await
    }

    /// Takes a card off its Customer: it can't be charged again.
    pub async fn detach_payment_method(&self, id: &str) -> Result<PaymentMethod, StripeError> {
        self.post(&format!("/v1/payment_methods/{}/detach", path_segment(id)?), &[], None).await
    }

    /// Makes and confirms a PaymentIntent on a saved card. A decline answers `Refused` with status 402 and
    /// the PaymentIntent in `error.payment_intent`.
    pub async fn create_payment_intent(
        &self,
        new: &NewPaymentIntent<'_>,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let mut form = vec![
            ("amount".to_string(), new.amount_cents.to_string()),
            ("currency".to_string(), "usd".to_string()),
            ("customer".to_string(), new.customer.to_string()),
            ("payment_method".to_string(), new.payment_method.to_string()),
            ("confirm".to_string(), "true".to_string()),
            (format!("metadata[{ATTEMPT_METADATA}]"), new.attempt.to_string()),
        ];
        if new.off_session {
            form.push(("off_session".to_string(), "true".to_string()));
        }
        self.post("/v1/payment_intents", &form, Some(idempotency_key)).await
    }

    /// A saved card's new expiry and billing postal code (its number can't change).
    pub async fn update_card(
        &self,
        payment_method: &str,
        exp_month: u32,
        exp_year: i32,
        postal_code: &str,
    ) -> Result<PaymentMethod, StripeError> {
        let form = [
            ("card[exp_month]".to_string(), exp_month.to_string()),
            ("card[exp_year]".to_string(), exp_year.to_string()),
            ("billing_details[address][postal_code]".to_string(), postal_code.to_string()),
        ];
        self.post(&format!("/v1/payment_methods/{}", path_segment(payment_method)?), &form, None).await
    }

    /// Stops a PaymentIntent that waits for the person: it can't succeed afterwards. Refused (400) when it
    /// has succeeded meanwhile.
    pub async fn cancel_payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        self.post(&format!("/v1/payment_intents/{}/cancel", path_segment(id)?), &[], None).await
    }

    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        self.get(&format!("/v1/payment_intents/{}", path_segment(id)?)).await
    }

    /// Refunds `amount_cents` of a PaymentIntent's charge to its card, once per `idempotency_key`.
    pub async fn create_refund(
        &self,
        payment_intent: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        let form = [
            ("payment_intent".to_string(), path_segment(payment_intent)?.to_string()),
            ("amount".to_string(), amount_cents.to_string()),
        ];
        self.post("/v1/refunds", &form, Some(idempotency_key)).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        let mut request = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, StripeError> {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let answer = request
            .bearer_auth(&self.secret_key)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|err| StripeError::Unavailable(without_url(err).to_string()))?;
        let status = answer.status();
        let body =
            answer.bytes().await.map_err(|err| StripeError::Unavailable(without_url(err).to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|err| StripeError::Unavailable(format!("an answer that doesn't parse: {err}")));
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(StripeError::Unavailable(format!("Stripe answered {status}")));
        }
        #[derive(Deserialize)]
        struct Wrapped {
            error: ErrorBody,
        }
        let error = serde_json::from_slice::<Wrapped>(&body).map(|w| w.error).unwrap_or_default();
        Err(StripeError::Refused { status: status.as_u16(), error })
    }
}

/// An id as one path segment: Stripe's ids are letters, digits and `_`; anything else is refused before
/// it could change the path.
fn path_segment(id: &str) -> Result<&str, StripeError> {
    if !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(StripeError::Refused {
            status: 400,
            error: ErrorBody { message: Some("not a Stripe id".into()), ..ErrorBody::default() },
        })
    }
}

/// A reqwest error without its URL (which names the object, never a secret, but keeps logs short).
fn without_url(err: reqwest::Error) -> reqwest::Error {
    err.without_url()
}
