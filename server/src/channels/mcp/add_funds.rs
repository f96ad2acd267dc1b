//! The `add_funds` tool: docs/CONTRACT.md's three outcomes — a saved card is charged and the new balance
//! told; without a saved card, a checkout link; without an amount, the balance and saved cards to choose
//! from — on the same exactly-once machinery as `POST /v1/wallet/fund` (`agent_funding`), with the amount
//! rules and messages of the dashboard's Add Funds.

use super::answer;
use super::answers::{AddFunds, Card, PreviousTopUp};
use super::arguments::AddFundsArguments;
use crate::channels::shared::funding::{self, Ask, Funded};
use crate::channels::shared::idempotency_key::is_valid_idempotency_key;
use crate::channels::shared::public_url::public_base;
use crate::state::AppState;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::RoleServer;
use tollgate_core::audit::Channel;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::keys::db::AuthenticatedKey;
use tollgate_core::payments::agent_funding;
use tollgate_core::payments::attempt_store;
use tollgate_core::payments::chat_top_up_guard::{self as duplicate_guard, Confirmation, Guard, TopUp};
use tollgate_domain::error::AppError;
use tollgate_domain::money::{TopUpAmount, Usd};
use uuid::Uuid;

pub async fn run(
    state: &AppState,
    context: &RequestContext<RoleServer>,
    key: &AuthenticatedKey,
    arguments: AddFundsArguments,
) -> CallToolResult {
    // Permission first: a connection that may not fund learns nothing else.
    if let Err(refused) = funding::ensure_may_fund(key, AppError::ConnectionMayNotFund) {
        return answer::error(&refused);
    }
    let parts = context.extensions.get::<http::request::Parts>();
    let base = parts.map(|parts| public_base(state, &parts.headers)).unwrap_or_default();
    let client_ip = parts.and_then(|parts| parts.extensions.get::<ClientIp>().copied());
    let payment_method_id = match arguments.payment_method_id.as_deref().map(str::trim) {
        None => None,
        Some(text) => match Uuid::parse_str(text) {
            Ok(id) => Some(id),
            Err(_) => {
                return answer::bad_arguments(
                    "payment_method_id must be one of the ids list_payment_methods answers.",
                )
            }
        },
    };
    if let Some(idempotency_key) = &arguments.idempotency_key {
        if !is_valid_idempotency_key(idempotency_key) {
            return answer::bad_arguments(
                "idempotency_key must be 1 to 255 visible ASCII characters (letters, digits, punctuation).",
            );
        }
    }
    let Some(amount) = arguments.amount else { return needs_amount(state, key).await };
    let amount = match TopUpAmount::parse(&amount) {
        Ok(amount) => amount,
        Err(err) => return answer::error(&AppError::from(err)),
    };
    let ask = Ask { amount, payment_method_id, client_ip, channel: Channel::Chat };
    if let Some(idempotency_key) = &arguments.idempotency_key {
        return outcome(state, key, funding::place(state, &base, key, idempotency_key, &ask).await).await;
    }
    // No idempotency key: the duplicate guard stands in for one.
    let confirmation =
        match (arguments.confirm_duplicate, arguments.confirmation_id.as_deref().map(str::trim)) {
            (Some(true), Some(id)) => match Uuid::parse_str(id) {
                Ok(id) => Confirmation::Of(id),
                Err(_) => {
                    return answer::bad_arguments(
                        "confirmation_id must be the one needs_confirmation answered.",
                    )
                }
            },
            (Some(true), None) => Confirmation::Confirmed,
            _ => Confirmation::None,
        };
    let top_up = TopUp { account_id: key.account_id, spend_key_id: key.key_id, amount: amount.usd() };
    let idempotency_key = match duplicate_guard::take(&state.pool, &top_up, confirmation).await {
        Ok(Guard::Taken { idempotency_key }) => idempotency_key,
        Ok(Guard::HeldSince { at, confirmation_id }) => {
            let previous = PreviousTopUp { amount: amount.usd().json_cents(), at };
            let sentence = format!(
                "{} was already added from this chat at {} UTC, less than 2 minutes ago. Ask the user \
                 whether to add it again; if so, call add_funds again with confirm_duplicate true and \
                 confirmation_id \"{confirmation_id}\".",
                amount.usd().display(),
                at.format("%H:%M:%S")
            );
            return answer::done(&AddFunds::NeedsConfirmation { previous, confirmation_id }, sentence);
        }
        Err(err) => return answer::error(&err),
    };
    let funded = funding::place(state, &base, key, &idempotency_key, &ask).await;
    let charged = match &funded {
        Ok(funded) => funded.charged(),
        // An error may come after the charge (an answer lost in a crash): the guard stays unless the
        // idempotency claim shows nothing was charged.
        Err(_) => agent_funding::may_have_charged(&state.pool, key.account_id, &idempotency_key)
            .await
            .unwrap_or(true),
    };
    if !charged {
        duplicate_guard::release(&state.pool, &top_up, &idempotency_key).await;
    }
    outcome(state, key, funded).await
}

/// No amount: the balance, the saved cards and the range, so the model can ask the person how much.
async fn needs_amount(state: &AppState, key: &AuthenticatedKey) -> CallToolResult {
    let overview = match agent_funding::overview(&state.pool, key.account_id).await {
        Ok(overview) => overview,
        Err(err) => return answer::error(&err),
    };
    let (minimum, maximum) = (Usd::new(TopUpAmount::MIN), Usd::new(TopUpAmount::MAX));
    let charged_to = match agent_funding::card_charged_by_default(&overview.payment_methods) {
        Some(card) => {
            format!("It will be charged to {} unless the user picks another saved card.", card.label)
        }
        None => {
            "There is no saved card, so the answer will be a checkout link to pay and save one.".to_string()
        }
    };
    let sentence = format!(
        "The balance is {}. Ask the user how much to add, between {} and {}. {charged_to}",
        overview.balance.display(),
        minimum.display(),
        maximum.display()
    );
    let structured = AddFunds::NeedsAmount {
        balance: overview.balance.json_cents(),
        payment_methods: overview.payment_methods.iter().map(Card::from).collect(),
        minimum: minimum.json_cents(),
        maximum: maximum.json_cents(),
    };
    answer::done(&structured, sentence)
}

/// A funding answer in the chat's words.
async fn outcome(
    state: &AppState,
    key: &AuthenticatedKey,
    funded: Result<Funded, AppError>,
) -> CallToolResult {
    match funded {
        Ok(Funded::Completed { payment_id, amount, balance }) => {
            let card = attempt_store::attempt(&state.pool, key.account_id, payment_id)
                .await
                .map(|attempt| attempt.card_label)
                .unwrap_or_default();
            let sentence =
                format!("Added {} with {card}. The balance is now {}.", amount.display(), balance.display());
            let structured = AddFunds::Completed {
                amount: amount.json_cents(),
                balance: balance.json_cents(),
                payment_method: card,
                payment_id,
            };
            answer::done(&structured, sentence)
        }
        Ok(Funded::RequiresCheckout { checkout_url }) => {
            let sentence = format!(
                "There is no saved card. Give the user this link to pay and save a card: {checkout_url}"
            );
            answer::done(&AddFunds::RequiresCheckout { checkout_url }, sentence)
        }
        Ok(Funded::RequiresAuthentication { payment_id, authentication_url, .. }) => {
            let sentence = format!(
                "Your bank wants to confirm this payment: open {authentication_url} Nothing was charged."
            );
            answer::refused(&AddFunds::RequiresAuthentication { authentication_url, payment_id }, sentence)
        }
        Ok(Funded::Declined { payment_id, decline_code, message, fix_url }) => {
            let sentence = format!(
                "The card was declined: {message} Nothing was charged. The user can update the card or add \
                 another at {fix_url}, then try again."
            );
            let structured =
                AddFunds::Failed { decline_code: decline_code.as_str(), message, fix_url, payment_id };
            answer::refused(&structured, sentence)
        }
        Err(err) => answer::error(&err),
    }
}
