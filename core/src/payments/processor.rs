//! The card processor as Tollgate sees it. The sandbox (`server/src/sandbox_processor.rs`) implements it
//! from docs/CONTRACT.md "Sandbox card processor"; Stripe (`server/src/stripe/processor.rs`) behind the
//! same trait.
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
    Succeeded {
        charge_id: String,
    },
    Declined {
        charge_id: String,
        decline: Decline,
    },
    /// The bank wants the person to confirm the payment (3-D Secure) before it decides: the browser
    /// completes it with the processor's script and `client_secret`, then the outcome is read with
    /// `payment_state`. Only ever answered to a charge made with [`Presence::Person`].
    NeedsAuthentication {
        charge_id: String,
        client_secret: String,
    },
    /// The processor took the charge and decides it later (Stripe's `processing`): its outcome comes by the
    /// processor's event, or by asking `payment_state`.
    Processing {
        charge_id: String,
    },
}

impl ChargeOutcome {
    /// Whether this is the charge's outcome (succeeded or declined), not a state it waits in.
    pub fn is_final(&self) -> bool {
        matches!(self, ChargeOutcome::Succeeded { .. } | ChargeOutcome::Declined { .. })
    }
}

/// Whether a person is there, in a browser, to answer their bank while a charge is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// The dashboard or a checkout page: 3-D Secure can be completed there.
    Person,
    /// An agent, a chat app, auto top-up, recovery: a bank that wants the person is a decline
    /// (`authentication_required`).
    NoOne,
}

/// What the processor did with a refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundOutcome {
    /// On its way back to the card (the processor's refund id).
    Succeeded { refund_id: String },
    /// The processor or the card's bank refused it; `reason` says why, for staff.
    Failed { reason: String },
}

/// How a new card reaches the processor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardEntry {
    /// Tollgate's own card fields post the card to Tollgate, which hands it to `tokenize` (the sandbox).
    TollgateForm,
    /// The processor's script takes the card in the browser and Tollgate never sees it: the page loads
    /// `script_url` with `publishable_key`, sets the card up (`begin_card_setup`) and names the setup
    /// (`card_from_setup`). The script frames and talks to `origins` (pages allow those and no others).
    ProcessorScript { script_url: String, publishable_key: String, origins: Vec<String> },
}

/// A card setup begun for the browser to finish with the processor's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardSetup {
    /// The account's customer at the processor (made with its first card).
    pub customer: String,
    /// What the browser's script confirms the setup with.
    pub client_secret: String,
}

/// Refusal of a card-entry step a processor doesn't take (its cards come the other way).
fn not_this_way() -> ProcessorError {
    ProcessorError::Refused("this processor takes cards the other way (see `card_entry`)".into())
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
    /// The processor refused the request itself (not a decline): it won't be made by asking again.
    #[error("refused by the processor: {0}")]
    Refused(String),
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
    /// How this processor takes new cards.
    fn card_entry(&self) -> CardEntry {
        CardEntry::TollgateForm
    }

    /// Exchanges card details for a token (a `TollgateForm` processor). Fails only on a number the
    /// processor refuses outright.
    async fn tokenize(&self, card: NewCard) -> Result<CardToken, ProcessorError>;

    /// Begins a card setup for the browser (a `ProcessorScript` processor), making the account's customer
    /// first when it has none (`customer`). `idempotency_key` makes the customer once per account.
    async fn begin_card_setup(
        &self,
        _account_id: &str,
        _customer: Option<&str>,
        _idempotency_key: &str,
    ) -> Result<CardSetup, ProcessorError> {
        Err(not_this_way())
    }

    /// The card a setup finished in the browser made, checked to be `customer`'s.
    async fn card_from_setup(&self, _customer: &str, _setup_id: &str) -> Result<CardToken, ProcessorError> {
        Err(not_this_way())
    }

    /// Lets go of a card that was used once and not saved: it can't be charged again.
    async fn forget_card(&self, _token: &str) -> Result<(), ProcessorError> {
        Ok(())
    }

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
        presence: Presence,
    ) -> Result<ChargeOutcome, ProcessorError>;

    /// The state of the charge `charge_id` now: after the person answered their bank, or to recover a
    /// charge that waits (`NeedsAuthentication` while it waits for the person, `Processing` while the
    /// processor decides).
    async fn payment_state(&self, _charge_id: &str) -> Result<ChargeOutcome, ProcessorError> {
        Err(ProcessorError::UnknownToken)
    }

    /// Gives up waiting for the person on `charge_id` (they left): answers its final outcome — declined
    /// as `authentication_required` once cancelled, or succeeded if they completed it meanwhile.
    async fn stop_waiting(&self, _charge_id: &str) -> Result<ChargeOutcome, ProcessorError> {
        Err(ProcessorError::UnknownToken)
    }

    /// Refunds `amount` of the charge `charge_id` to its card, once per `idempotency_key` (a repeat answers
    /// the first outcome). `Unavailable` leaves it open: asking again with the same key refunds at most once.
    async fn refund(
        &self,
        charge_id: &str,
        amount: Usd,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ProcessorError>;

    /// The outcome of the charge made with `idempotency_key`, if one was made. `None` also where the
    /// processor can't be asked by key but answers a repeated `charge` with the key's first outcome
    /// (Stripe): recovery then charges again with the same key, which charges at most once.
    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, ProcessorError>;
}
