//! The card processor as Tollgate sees it. The sandbox (`server/src/sandbox_processor.rs`) implements it
//! from docs/CONTRACT.md "Sandbox card processor"; a real processor plugs in behind the same trait.
//!
//! Every charge carries an idempotency key: charging twice with one key charges once and answers the first
//! outcome again, and `find_charge` tells whether a key was ever charged — which is what recovery asks
//! after a crash between "charged" and "credited" (`payments::recovery`).

use async_trait::async_trait;
use tollgate_domain::money::Usd;
use tollgate_domain::payments::card::{CardBrand, Expiry, PostalCode};
use tollgate_domain::payments::decline::Decline;
use tollgate_domain::payments::new_card::NewCard;

/// What Tollgate may keep of a card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardToken {
    pub token: String,
    pub brand: CardBrand,
    pub last4: String,
    pub expiry: Expiry,
    pub postal_code: PostalCode,
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

impl ProcessorError {
    /// Whether the processor said no for good (it doesn't know the card, or the key was used otherwise):
    /// no charge happened and asking again won't change that. Only `Unavailable` leaves it open.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, ProcessorError::Unavailable(_))
    }
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
