//! Stripe behind the processor trait (docs/ARCHITECTURE.md "Stripe"). A saved card's processor token is
//! `<customer id>/<payment method id>`: Stripe charges a saved card only together with its Customer.
//!
//! What Stripe's answers mean here:
//! - `succeeded` is a success, nothing else is;
//! - a decline (402, or `requires_payment_method` with `last_payment_error`) is a decline with the sandbox's
//!   reason (`decline::refusal_of`); a bank that wants 3-D Secure where no person is there is declined as
//!   `authentication_required`;
//! - `processing`: decided later; the attempt stays pending with its PaymentIntent kept, and Stripe's
//!   webhook or recovery (asking for it) settles it;
//! - a status this doesn't know, no answer, a 5xx: the outcome is unknown, the attempt stays pending, and
//!   Stripe's webhook or recovery (asking again with the same key) settles it.

use super::api::{
    NewPaymentIntent, PaymentIntent, PaymentIntentStatus, RefundStatus, StripeApi, StripeError,
};
use super::decline::{refusal_of, Refusal};
use super::settings::StripeSettings;
use async_trait::async_trait;
use rust_decimal::Decimal;
use tollgate_core::payments::processor::{
    CardEntry, CardSetup, CardToken, ChargeOutcome, PaymentProcessor, Presence, ProcessorError, RefundOutcome,
};
use tollgate_domain::money::Usd;
use tollgate_domain::payments::card::{CardBrand, Expiry, PostalCode};
use tollgate_domain::payments::decline::{Decline, DeclineCode};
use tollgate_domain::payments::new_card::NewCard;

pub struct StripeProcessor {
    api: StripeApi,
    /// Stripe.js's address and the publishable key the browser uses with it.
    script_url: String,
    publishable_key: String,
    /// What Stripe.js frames and talks to (`StripeSettings::browser_origins`).
    origins: Vec<String>,
}

/// A saved card as Stripe knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRef<'a> {
    pub customer: &'a str,
    pub payment_method: &'a str,
}

impl<'a> CardRef<'a> {
    pub fn parse(token: &'a str) -> Result<CardRef<'a>, ProcessorError> {
        match token.split_once('/') {
            Some((customer, payment_method))
                if customer.starts_with("cus_") && payment_method.starts_with("pm_") =>
            {
                Ok(CardRef { customer, payment_method })
            }
            _ => Err(ProcessorError::UnknownToken),
        }
    }

    pub fn token(&self) -> String {
        format!("{}/{}", self.customer, self.payment_method)
    }
}

impl StripeProcessor {
    pub fn new(api: StripeApi, settings: &StripeSettings) -> StripeProcessor {
        StripeProcessor {
            api,
            script_url: settings.js_url.clone(),
            publishable_key: settings.publishable_key.clone(),
            origins: settings.browser_origins(),
        }
    }
}

#[async_trait]
impl PaymentProcessor for StripeProcessor {
    fn card_entry(&self) -> CardEntry {
        CardEntry::ProcessorScript {
            script_url: self.script_url.clone(),
            publishable_key: self.publishable_key.clone(),
            origins: self.origins.clone(),
        }
    }

    /// Card numbers never reach Tollgate in Stripe mode: cards are entered in Stripe.js's card Element.
    async fn tokenize(&self, _card: NewCard) -> Result<CardToken, ProcessorError> {
        Err(ProcessorError::Refused(
            "card details are taken by Stripe.js in the browser, never by Tollgate".into(),
        ))
    }

    #[tracing::instrument(name = "stripe::begin_card_setup", skip_all)]
    async fn begin_card_setup(
        &self,
        account_id: &str,
        customer: Option<&str>,
        idempotency_key: &str,
    ) -> Result<CardSetup, ProcessorError> {
        let customer = match customer {
            Some(customer) => customer.to_string(),
            None => self.api.create_customer(account_id, idempotency_key).await.map_err(processor_error)?.id,
        };
        // Each setup is its own: a person may set up several cards.
        let setup_key = format!("setup-{}", uuid::Uuid::new_v4());
        let setup = self.api.create_setup_intent(&customer, &setup_key).await.map_err(processor_error)?;
        let client_secret = setup
            .client_secret
            .ok_or_else(|| ProcessorError::Unavailable("a setup without its secret".into()))?;
        Ok(CardSetup { customer, client_secret })
    }

    #[tracing::instrument(name = "stripe::card_from_setup", skip_all)]
    async fn card_from_setup(&self, customer: &str, setup_id: &str) -> Result<CardToken, ProcessorError> {
        let setup = self.api.retrieve_setup_intent(setup_id).await.map_err(processor_error)?;
        // Another account's setup, or one the browser didn't finish, is no card of this account's.
        if setup.customer.as_deref() != Some(customer) || setup.status != "succeeded" {
            return Err(ProcessorError::UnknownToken);
        }
        let payment_method = setup.payment_method.ok_or(ProcessorError::UnknownToken)?;
        let method = self.api.retrieve_payment_method(&payment_method).await.map_err(processor_error)?;
        let card = method.card.ok_or(ProcessorError::UnknownToken)?;
        let postal_code = method
            .billing_details
            .address
            .and_then(|address| address.postal_code)
            .and_then(|code| PostalCode::parse(&code).ok())
            .ok_or_else(|| {
                ProcessorError::Refused("the card was set up without a billing postal code".into())
            })?;
        Ok(CardToken {
            token: CardRef { customer, payment_method: &method.id }.token(),
            brand: brand_of(&card.brand),
            last4: card.last4,
            expiry: Expiry { month: card.exp_month, year: card.exp_year },
            postal_code,
        })
    }

    #[tracing::instrument(name = "stripe::forget_card", skip_all)]
    async fn forget_card(&self, token: &str) -> Result<(), ProcessorError> {
        let card = CardRef::parse(token)?;
        self.api.detach_payment_method(card.payment_method).await.map(|_| ()).map_err(processor_error)
    }

    #[tracing::instrument(name = "stripe::update_card", skip_all)]
    async fn update_card(
        &self,
        token: &str,
        expiry: Expiry,
        postal_code: &PostalCode,
    ) -> Result<(), ProcessorError> {
        let card = CardRef::parse(token)?;
        self.api
            .update_card(card.payment_method, expiry.month, expiry.year, postal_code.as_str())
            .await
            .map(|_| ())
            .map_err(processor_error)
    }

    #[tracing::instrument(name = "stripe::charge", skip_all)]
    async fn charge(
        &self,
        token: &str,
        amount: Usd,
        idempotency_key: &str,
        presence: Presence,
    ) -> Result<ChargeOutcome, ProcessorError> {
        let card = CardRef::parse(token)?;
        let payment = NewPaymentIntent {
            amount_cents: cents(amount)?,
            customer: card.customer,
            payment_method: card.payment_method,
            off_session: presence == Presence::NoOne,
            attempt: idempotency_key,
        };
        match self.api.create_payment_intent(&payment, idempotency_key).await {
            Ok(intent) => outcome_of(&intent, presence),
            Err(StripeError::Refused { status: 402, error }) => {
                let charge_id =
                    error.payment_intent.as_ref().map_or_else(|| "none".to_string(), |pi| pi.id.clone());
                Ok(ChargeOutcome::Declined { charge_id, decline: decline_of(refusal_of(&error)) })
            }
            Err(err) => Err(processor_error(err)),
        }
    }

    /// Stripe can't be asked by idempotency key; `charge` with the same key is answered the first outcome
    /// (for 24 hours, far longer than an attempt stays pending), so recovery's repeated charge is the ask.
    async fn find_charge(&self, _idempotency_key: &str) -> Result<Option<ChargeOutcome>, ProcessorError> {
        Ok(None)
    }

    #[tracing::instrument(name = "stripe::payment_state", skip_all)]
    async fn payment_state(&self, charge_id: &str) -> Result<ChargeOutcome, ProcessorError> {
        let intent = self.api.retrieve_payment_intent(charge_id).await.map_err(processor_error)?;
        outcome_of(&intent, Presence::Person)
    }

    /// A refund of the deposit's PaymentIntent (`charge_id`). A card refund Stripe accepts is `succeeded`, or
    /// `pending` while the bank takes it: both are on their way. A refusal (the charge was disputed, the
    /// amount exceeds what is left) or a refund Stripe reports failed is `Failed` with Stripe's words.
    #[tracing::instrument(name = "stripe::refund", skip_all)]
    async fn refund(
        &self,
        charge_id: &str,
        amount: Usd,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ProcessorError> {
        match self.api.create_refund(charge_id, cents(amount)?, idempotency_key).await {
            Ok(refund) => Ok(match refund.status {
                RefundStatus::Succeeded | RefundStatus::Pending => {
                    RefundOutcome::Succeeded { refund_id: refund.id }
                }
                RefundStatus::Failed | RefundStatus::Canceled => RefundOutcome::Failed {
                    reason: format!(
                        "Stripe: {}",
                        refund.failure_reason.as_deref().unwrap_or("the refund failed")
                    ),
                },
                // Neither done nor refused: asked again later with the same key.
                RefundStatus::RequiresAction | RefundStatus::Unknown => {
                    return Err(ProcessorError::Unavailable(format!(
                        "refund {} is {:?}",
                        refund.id, refund.status
                    )))
                }
            }),
            Err(StripeError::Refused { status, error }) if (400..500).contains(&status) && status != 429 => {
                Ok(RefundOutcome::Failed {
                    reason: format!(
                        "Stripe: {}",
                        error.message.as_deref().unwrap_or("the refund was refused")
                    ),
                })
            }
            Err(err) => Err(processor_error(err)),
        }
    }

    #[tracing::instrument(name = "stripe::stop_waiting", skip_all)]
    async fn stop_waiting(&self, charge_id: &str) -> Result<ChargeOutcome, ProcessorError> {
        match self.api.cancel_payment_intent(charge_id).await {
            Ok(_) => Ok(ChargeOutcome::Declined {
                charge_id: charge_id.to_string(),
                decline: decline_of(Refusal::AuthenticationRequired),
            }),
            // Not cancellable: it has an outcome already (the person finished meanwhile), which is read.
            Err(StripeError::Refused { status: 400, .. }) => {
                let intent = self.api.retrieve_payment_intent(charge_id).await.map_err(processor_error)?;
                outcome_of(&intent, Presence::NoOne)
            }
            Err(err) => Err(processor_error(err)),
        }
    }
}

/// What a PaymentIntent's state means for its attempt: `Err(Unavailable)` while the outcome isn't known.
/// Waiting for 3-D Secure is `NeedsAuthentication` where a person is there, a decline where no one is.
pub fn outcome_of(intent: &PaymentIntent, presence: Presence) -> Result<ChargeOutcome, ProcessorError> {
    let charge_id = intent.id.clone();
    match intent.status {
        PaymentIntentStatus::Succeeded => Ok(ChargeOutcome::Succeeded { charge_id }),
        PaymentIntentStatus::RequiresPaymentMethod => {
            let error = intent.last_payment_error.clone().unwrap_or_default();
            Ok(ChargeOutcome::Declined { charge_id, decline: decline_of(refusal_of(&error)) })
        }
        PaymentIntentStatus::RequiresAction => match (presence, &intent.client_secret) {
            (Presence::Person, Some(secret)) => {
                Ok(ChargeOutcome::NeedsAuthentication { charge_id, client_secret: secret.clone() })
            }
            _ => Ok(ChargeOutcome::Declined {
                charge_id,
                decline: decline_of(Refusal::AuthenticationRequired),
            }),
        },
        PaymentIntentStatus::Canceled => Ok(ChargeOutcome::Declined {
            charge_id,
            decline: Decline { code: DeclineCode::GenericDecline, reason: "canceled".into() },
        }),
        PaymentIntentStatus::Processing => Ok(ChargeOutcome::Processing { charge_id }),
        PaymentIntentStatus::RequiresConfirmation
        | PaymentIntentStatus::RequiresCapture
        | PaymentIntentStatus::Unknown => Err(ProcessorError::Unavailable(format!(
            "payment {} is not settled yet ({:?})",
            intent.id, intent.status
        ))),
    }
}

/// Stripe's card brand names (`visa`, `mastercard`, `amex`, `discover`, …) as Tollgate's brands.
fn brand_of(brand: &str) -> CardBrand {
    match brand {
        "visa" => CardBrand::Visa,
        "mastercard" => CardBrand::Mastercard,
        "amex" => CardBrand::Amex,
        "discover" => CardBrand::Discover,
        _ => CardBrand::Other,
    }
}

fn decline_of(refusal: Refusal) -> Decline {
    match refusal {
        Refusal::Declined(decline) => decline,
        Refusal::AuthenticationRequired => {
            Decline { code: DeclineCode::AuthenticationRequired, reason: "authentication_required".into() }
        }
    }
}

/// A deposit in whole cents, as Stripe takes amounts (deposits are whole cents: `TopUpAmount`).
fn cents(amount: Usd) -> Result<i64, ProcessorError> {
    let cents = amount.amount() * Decimal::ONE_HUNDRED;
    if cents.fract().is_zero() && cents > Decimal::ZERO {
        i64::try_from(cents)
            .map_err(|_| ProcessorError::Refused(format!("an amount Stripe can't take: {cents} cents")))
    } else {
        Err(ProcessorError::Refused(format!("an amount Stripe can't take: {}", amount.amount())))
    }
}

fn processor_error(err: StripeError) -> ProcessorError {
    match err {
        StripeError::Unavailable(why) => ProcessorError::Unavailable(why),
        StripeError::Refused { error, .. } if error.code.as_deref() == Some("resource_missing") => {
            ProcessorError::UnknownToken
        }
        StripeError::Refused { error, .. } if error.kind.as_deref() == Some("idempotency_error") => {
            ProcessorError::KeyReuse
        }
        StripeError::Refused { status, error } => ProcessorError::Refused(format!(
            "{status} {}: {}",
            error.code.as_deref().unwrap_or("no code"),
            error.message.as_deref().unwrap_or("no message")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn a_token_is_a_customer_and_a_card_and_nothing_else() {
        let card = CardRef::parse("cus_1/pm_2").unwrap();
        assert_eq!((card.customer, card.payment_method), ("cus_1", "pm_2"));
        assert_eq!(card.token(), "cus_1/pm_2");
        for bad in ["", "pm_2", "cus_1", "pm_2/cus_1", "tok_sandbox_1", "cus_1/"] {
            assert!(matches!(CardRef::parse(bad), Err(ProcessorError::UnknownToken)), "{bad}");
        }
    }

    #[test]
    fn amounts_go_to_stripe_in_whole_cents() {
        let usd = |s: &str| Usd::new(Decimal::from_str(s).unwrap());
        assert_eq!(cents(usd("25.00")).unwrap(), 2500);
        assert_eq!(cents(usd("10000")).unwrap(), 1_000_000);
        assert!(cents(usd("0.001")).is_err());
        assert!(cents(usd("0")).is_err());
        assert!(cents(usd("-5")).is_err());
    }
}
