//! A provider's call as the gateway reads it before forwarding it: which model, what it may cost at most,
//! and how its answer reports its usage.

use crate::channels::shared::schema::could_be_catalog_name;
use rust_decimal::Decimal;
use serde_json::Value;
use tollgate_core::catalog::db::RunnableModel;
use tollgate_domain::catalog::pricing::{Price, Usage};
use tollgate_domain::error::AppError;
use tollgate_domain::metering::hold::MAX_HOLD;

/// The usage a provider reported: prompt (input) and completion (output) tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reported {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Reported {
    /// OpenAI's `usage` object (`prompt_tokens`, `completion_tokens`), if the value holds one.
    pub fn of_openai(usage: &Value) -> Option<Reported> {
        Some(Reported {
            input_tokens: usage.get("prompt_tokens")?.as_u64()?,
            output_tokens: usage.get("completion_tokens")?.as_u64()?,
        })
    }

    /// Anthropic's `usage` object (`input_tokens`, `output_tokens`), if the value holds one.
    pub fn of_anthropic(usage: &Value) -> Option<Reported> {
        Some(Reported {
            input_tokens: usage.get("input_tokens")?.as_u64()?,
            output_tokens: usage.get("output_tokens")?.as_u64()?,
        })
    }
}

/// Whose API the call speaks, which decides how its answer and stream report usage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI's chat completions. On a stream the gateway asks for the usage chunk; it passes it on only
    /// when the client asked for it too.
    OpenAi { client_wants_usage: bool },
    /// Anthropic's messages, sent with the client's `anthropic-version`.
    Anthropic { version: String },
}

impl Dialect {
    /// The Anthropic API version sent when the client names none.
    pub const DEFAULT_ANTHROPIC_VERSION: &'static str = "2023-06-01";
}

/// A call ready to hold and forward.
pub struct Call {
    /// The catalog's service the call is charged as.
    pub service: &'static str,
    pub model: String,
    pub price: Price,
    /// At most this many input tokens: the request's bytes (a token is never less than a byte of it).
    pub input_bound: u64,
    /// At most this many output tokens: the caller's limit (at most the model's), times the choices asked.
    pub output_bound: u64,
    pub stream: bool,
    /// The body to forward (an OpenAI stream's with `stream_options.include_usage` set).
    pub body: Value,
    pub dialect: Dialect,
}

/// A request body as JSON, with `service`'s catalog entry for the model it names (`None`: no such model,
/// or none named), looked up before the call is read.
pub async fn read_request(
    pool: &sqlx::PgPool,
    service: &str,
    body: &[u8],
) -> Result<(Value, Option<RunnableModel>), AppError> {
    let json: Value = serde_json::from_slice(body).map_err(|_| AppError::InvalidRequestBody)?;
    let runnable = match model_named(&json) {
        Some(model) => tollgate_core::catalog::db::runnable_model(pool, service, model).await?,
        None => None,
    };
    Ok((json, runnable))
}

/// The model `body` names, when it could be a catalog's model.
fn model_named(body: &Value) -> Option<&str> {
    body.get("model").and_then(Value::as_str).filter(|m| could_be_catalog_name(m))
}

impl Call {
    /// The output limit a request names in `field`s (the first present), as a positive whole number.
    pub fn asked_limit(
        object: &serde_json::Map<String, Value>,
        fields: &[&str],
    ) -> Result<Option<u64>, AppError> {
        fields
            .iter()
            .find_map(|field| object.get(*field).filter(|v| !v.is_null()))
            .map(|v| v.as_u64().filter(|n| *n > 0).ok_or(AppError::InvalidRequestBody))
            .transpose()
    }

    /// The most output `runnable` gives for a request that asked for `asked` tokens (`None`: its maximum).
    pub fn output_bound(runnable: &RunnableModel, asked: Option<u64>, choices: u64) -> Result<u64, AppError> {
        let most =
            runnable.max_output_tokens.and_then(|m| u64::try_from(m).ok()).ok_or(AppError::UnknownService)?;
        Ok(asked.unwrap_or(most).min(most).saturating_mul(choices))
    }

    /// The most this call can cost (what is held for it).
    pub fn most_it_can_cost(&self) -> Result<Decimal, AppError> {
        let usage = Usage::new(self.input_bound, self.output_bound).ok_or(AppError::InvalidRequestBody)?;
        let most = self.price.cost(usage).total.amount();
        // A call whose bound is past what one hold may reserve is refused as the balance would refuse it.
        if most > MAX_HOLD {
            return Err(AppError::InsufficientBalance);
        }
        Ok(most)
    }

    /// What the call is charged: the usage the provider reported, else what was streamed (a token is never
    /// less than a byte of text) with the input at its bound — never more than the hold (the capture
    /// refuses more).
    pub fn usage_after(&self, reported: Option<Reported>, streamed_text_bytes: u64) -> Usage {
        let reported = reported.unwrap_or(Reported {
            input_tokens: self.input_bound,
            output_tokens: streamed_text_bytes.min(self.output_bound),
        });
        Usage::new(reported.input_tokens, reported.output_tokens).unwrap_or_default()
    }

    /// The usage a whole (not streamed) answer reports, and the bytes of text it holds.
    pub fn usage_of_answer(&self, answer: &Value) -> (Option<Reported>, u64) {
        let usage = answer.get("usage");
        match self.dialect {
            Dialect::OpenAi { .. } => {
                let text = answer.get("choices").and_then(Value::as_array).map_or(0, |choices| {
                    choices
                        .iter()
                        .filter_map(|c| c.pointer("/message/content").and_then(Value::as_str))
                        .map(|t| t.len() as u64)
                        .sum()
                });
                (usage.and_then(Reported::of_openai), text)
            }
            Dialect::Anthropic { .. } => {
                let text = answer.get("content").and_then(Value::as_array).map_or(0, |blocks| {
                    blocks
                        .iter()
                        .filter_map(|b| b.get("text").and_then(Value::as_str))
                        .map(|t| t.len() as u64)
                        .sum()
                });
                (usage.and_then(Reported::of_anthropic), text)
            }
        }
    }
}
