//! What each tool answers, as types (docs/CONTRACT.md "Chat (MCP)"): the structured content a chat app
//! reads. Answers with outcomes carry them in `status`, as `/v1`'s do; `get_balance`, `get_usage` and
//! `list_requests` answer `/v1`'s own shapes (`crate::channels::shared::schema`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tollgate_domain::error::AppError;
use tollgate_domain::payments::payment_method::PaymentMethodView;
use uuid::Uuid;

/// A saved card as the chat tools show it.
#[derive(Serialize)]
pub struct Card {
    pub payment_method_id: Uuid,
    pub label: String,
    pub is_default: bool,
    pub has_error: bool,
    pub error_message: Option<String>,
}

impl From<&PaymentMethodView> for Card {
    fn from(card: &PaymentMethodView) -> Card {
        Card {
            payment_method_id: card.id,
            label: card.label.clone(),
            is_default: card.is_default,
            has_error: card.error_code.is_some(),
            error_message: card.error_message.clone(),
        }
    }
}

/// `list_payment_methods`.
#[derive(Serialize)]
pub struct PaymentMethods {
    pub payment_methods: Vec<Card>,
}

/// `add_funds`: each outcome, named in `status`. Money is a string with 2 decimals.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AddFunds {
    Completed {
        amount: String,
        balance: String,
        payment_method: String,
        payment_id: Uuid,
    },
    /// No saved card: a link for the person to pay (and save a card) on.
    RequiresCheckout {
        checkout_url: String,
    },
    /// The bank wants the person to confirm the payment: nothing was charged; a link for them to do it.
    RequiresAuthentication {
        authentication_url: String,
        payment_id: Uuid,
    },
    /// Declined: nothing was charged.
    Failed {
        decline_code: &'static str,
        message: String,
        fix_url: String,
        payment_id: Uuid,
    },
    /// Called without an amount: what the model needs to ask the person how much.
    NeedsAmount {
        balance: String,
        payment_methods: Vec<Card>,
        minimum: String,
        maximum: String,
    },
    /// The same top-up was made from this chat less than 2 minutes ago: ask before charging again.
    NeedsConfirmation {
        previous: PreviousTopUp,
        confirmation_id: Uuid,
    },
}

/// The top-up a `needs_confirmation` answer is about.
#[derive(Serialize)]
pub struct PreviousTopUp {
    pub amount: String,
    pub at: DateTime<Utc>,
}

/// A tool error: the message a person reads and its stable code (docs/CONTRACT.md "Errors and their
/// codes").
#[derive(Serialize)]
pub struct ToolError {
    pub error: String,
    pub code: &'static str,
}

impl From<&AppError> for ToolError {
    fn from(err: &AppError) -> ToolError {
        ToolError { error: err.message(), code: err.code() }
    }
}

/// `ask_model`'s answer: the model's reply, what the call cost (exact) and the balance after it.
#[derive(Serialize)]
pub struct ModelAnswer {
    pub model: String,
    pub reply: String,
    pub cost: String,
    pub balance: String,
    /// The paid call it was recorded as (`list_requests`).
    pub request_id: uuid::Uuid,
}
