//! The tools' arguments as the model sends them, and their JSON schemas (generated from these same types, so
//! the schema a chat app shows the model is the parser's). Unknown fields are refused: a misspelt
//! `ammount` must not silently become "no amount".

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;

/// `get_balance` and `list_payment_methods` take nothing.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFundsArguments {
    /// Dollars as a string, e.g. "25.00": between 10.00 and 10000.00, at most 2 decimals. Leave it out to
    /// learn the balance and the saved cards first.
    pub amount: Option<String>,
    /// A saved card's `payment_method_id` (from `list_payment_methods`); the default card when left out.
    pub payment_method_id: Option<String>,
    /// Any unique string (1–255 visible ASCII characters) for this one top-up: retrying with the same key
    /// never charges twice and returns the first answer.
    pub idempotency_key: Option<String>,
    /// Set to true only after the user confirmed a second top-up of the same amount within 2 minutes (the
    /// tool answered `needs_confirmation`).
    pub confirm_duplicate: Option<bool>,
    /// With `confirm_duplicate`: the `confirmation_id` of that `needs_confirmation` answer, so that
    /// retrying the confirmed call can never charge a third time.
    pub confirmation_id: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageArguments {
    /// The first day, YYYY-MM-DD; default 6 days before `until`.
    pub since: Option<String>,
    /// The last day (inclusive), YYYY-MM-DD; default today.
    pub until: Option<String>,
    /// An IANA timezone such as "Europe/Berlin" for the days; default the account's.
    pub timezone: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestListArguments {
    /// How many calls, 1–100; default 20.
    pub limit: Option<i64>,
    /// `next_cursor` from the previous answer, for the next (older) page.
    pub cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskModelArguments {
    /// A model of the catalog, e.g. "gpt-4o-mini" or "claude-haiku".
    pub model: String,
    /// What to ask it (1–100,000 characters).
    pub prompt: String,
    /// The most tokens it may answer with, 1–4096; default 512. The most the call can cost is held first.
    pub max_tokens: Option<u64>,
}
