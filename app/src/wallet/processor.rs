//! The card processor as Tollgate sees it. The sandbox (server crate) implements it from CONTRACT.md's card
//! table; a real processor plugs in behind the same trait.
//!
//! Every charge carries an idempotency key: charging twice with one key charges once and answers the first
//! outcome again, and `find_charge` tells whether a key was ever charged — which is what start-up
//! recovery asks after a crash between "charged" and "credited".

use super::card::{CardBrand, CardNumber, Cvc, Expiry, PostalCode};
use crate::money::Usd;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What the processor needs to tokenize a new card. Dropped right after tokenizing.
#[derive(Debug)]
pub struct NewCard {
    pub number: CardNumber,
    pub expiry: Expiry,
    pub cvc: Cvc,
    pub postal_code: PostalCode,
}

impl NewCard {
    /// The new-card form's fields (missing ones are empty), each checked by its own newtype.
    pub fn from_fields(
        number: Option<&str>,
        expiry: Option<&str>,
        cvc: Option<&str>,
        postal_code: Option<&str>,
    ) -> Result<NewCard, crate::error::AppError> {
        Ok(NewCard {
            number: CardNumber::parse(number.unwrap_or_default())?,
            expiry: Expiry::parse(expiry.unwrap_or_default())?,
            cvc: Cvc::parse(cvc.unwrap_or_default())?,
            postal_code: PostalCode::parse(postal_code.unwrap_or_default())?,
        })
    }
}

/// What Tollgate may keep of a card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardToken {
    pub token: String,
    pub brand: CardBrand,
    pub last4: String,
    pub expiry: Expiry,
    pub postal_code: PostalCode,
}

/// Public decline codes (CONTRACT.md). Lost and stolen cards are reported as `GenericDecline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    GenericDecline,
    InsufficientFunds,
    ExpiredCard,
    IncorrectCvc,
    ProcessingError,
    IncorrectAddress,
}

impl DeclineCode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineCode::GenericDecline => "generic_decline",
            DeclineCode::InsufficientFunds => "insufficient_funds",
            DeclineCode::ExpiredCard => "expired_card",
            DeclineCode::IncorrectCvc => "incorrect_cvc",
            DeclineCode::ProcessingError => "processing_error",
            DeclineCode::IncorrectAddress => "incorrect_address",
        }
    }

    pub fn parse(code: &str) -> Option<DeclineCode> {
        [
            DeclineCode::GenericDecline,
            DeclineCode::InsufficientFunds,
            DeclineCode::ExpiredCard,
            DeclineCode::IncorrectCvc,
            DeclineCode::ProcessingError,
            DeclineCode::IncorrectAddress,
        ]
        .into_iter()
        .find(|d| d.as_str() == code)
    }

    /// The message a person sees (CONTRACT.md "Sandbox card processor").
    pub fn message(self) -> &'static str {
        match self {
            DeclineCode::GenericDecline => "Your card was declined. Contact your card issuer or use another card.",
            DeclineCode::InsufficientFunds => "Your card has insufficient funds. Use another card.",
            DeclineCode::ExpiredCard => "Your card has expired. Update the expiry date or use another card.",
            DeclineCode::IncorrectCvc => "The security code (CVC) is incorrect. Try again or use another card.",
            DeclineCode::ProcessingError => "A processing error occurred. Try again in a moment.",
            DeclineCode::IncorrectAddress => {
                "The billing address doesn't match your card. Update the billing postal code or use another card."
            }
        }
    }
}

/// A processor's refusal: the public code, and the real reason for our records only (e.g. `stolen_card`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decline {
    pub code: DeclineCode,
    pub reason: String,
}

impl Decline {
    /// Lost and stolen cards are never saved (CONTRACT.md).
    pub fn is_lost_or_stolen(&self) -> bool {
        matches!(self.reason.as_str(), "lost_card" | "stolen_card")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded { charge_id: String },
    Declined { charge_id: String, decline: Decline },
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The processor couldn't be reached or didn't answer: the charge may or may not have happened.
    #[error("payment processor unavailable: {0}")]
    Unavailable(String),
    /// The processor doesn't know this card token.
    #[error("unknown card token")]
    UnknownToken,
    /// The same idempotency key was used with other parameters.
    #[error("idempotency key reused with different parameters")]
    KeyReuse,
}

#[async_trait]
pub trait PaymentProcessor: Send + Sync {
    /// Exchanges card details for a token. Fails only on a number the processor refuses outright.
    async fn tokenize(&self, card: NewCard) -> Result<CardToken, ProcessorError>;

    /// Updates a saved card's expiry and billing postal code (the number can't change).
    async fn update_card(
        &self,
        token: &str,
        expiry: Expiry,
        postal_code: &PostalCode,
    ) -> Result<(), ProcessorError>;

    /// Charges `amount` to the card once per `idempotency_key`; a repeat answers the first outcome.
    async fn charge(
        &self,
        token: &str,
        amount: Usd,
        idempotency_key: &str,
    ) -> Result<ChargeOutcome, ProcessorError>;

    /// The outcome of the charge made with `idempotency_key`, if one was made.
    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, ProcessorError>;
}
