//! `ask_model` (docs/CONTRACT.md "Chat (MCP)"): the chat runs one paid model call through the gateway's
//! own path (`shared::model_call`): held for the most it can cost, answered, charged its reported usage —
//! or refused with "Insufficient wallet balance" before the model is asked.

use super::answer;
use super::answers::{ModelAnswer, ToolError};
use super::arguments::AskModelArguments;
use crate::channels::shared::error::ApiError;
use crate::channels::shared::model_call::call::{Call, Dialect};
use crate::channels::shared::model_call::relay::run_whole;
use crate::state::AppState;
use rmcp::model::CallToolResult;
use serde_json::{json, Value};
use tollgate_core::catalog::db as catalog;
use tollgate_core::keys::db::AuthenticatedKey;
use tollgate_domain::error::AppError;

const MAX_PROMPT_CHARS: usize = 100_000;
const MAX_TOKENS: u64 = 4096;
const DEFAULT_MAX_TOKENS: u64 = 512;

pub async fn run(state: &AppState, key: &AuthenticatedKey, arguments: AskModelArguments) -> CallToolResult {
    let AskModelArguments { model, prompt, max_tokens } = arguments;
    let max_tokens = max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if !(1..=MAX_TOKENS).contains(&max_tokens) {
        return answer::bad_arguments(format!("max_tokens must be a whole number from 1 to {MAX_TOKENS}."));
    }
    if prompt.trim().is_empty() || prompt.chars().count() > MAX_PROMPT_CHARS {
        return answer::bad_arguments("prompt must be 1 to 100,000 characters.");
    }
    let call = match call_for(state, &model, &prompt, max_tokens).await {
        Ok(call) => call,
        Err(err) => return answer::error(&err),
    };
    let dialect = call.dialect.clone();
    let whole = match run_whole(state, key, call).await {
        Ok(whole) => whole,
        Err(ApiError::App(err)) | Err(ApiError::RetryLater { error: err, .. }) => return answer::error(&err),
        Err(ApiError::CardDeclined(_)) => {
            return answer::error(&AppError::bug("a model call declined a card"))
        }
    };
    let Some(charged) = whole.charged.filter(|_| whole.status.is_success()) else {
        let sentence =
            format!("The model's provider answered {}; nothing was charged.", whole.status.as_u16());
        return answer::refused(&ToolError { error: sentence.clone(), code: "provider_refused" }, sentence);
    };
    let reply = serde_json::from_slice::<Value>(&whole.answer)
        .ok()
        .map(|a| reply_of(&dialect, &a))
        .unwrap_or_default();
    let answer = ModelAnswer {
        model,
        reply: reply.clone(),
        cost: charged.cost.total.amount().normalize().to_string(),
        balance: charged.balance_after.json_cents(),
        request_id: charged.request_id,
    };
    let sentence = format!(
        "{reply}\n\n(That cost {}; your balance is {}.)",
        charged.cost.total.exact(),
        charged.balance_after.display()
    );
    answer::done(&answer, sentence)
}

/// The call that asks `model` `prompt`, in its provider's dialect (the catalog says whose model it is).
async fn call_for(state: &AppState, model: &str, prompt: &str, max_tokens: u64) -> Result<Call, AppError> {
    for service in ["openai", "anthropic"] {
        let Some(runnable) = catalog::runnable_model(&state.pool, service, model).await? else { continue };
        // Both providers take this body as it is; only how they answer and are reached differ.
        let body = json!({"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens});
        let dialect = if service == "openai" {
            Dialect::OpenAi { client_wants_usage: false }
        } else {
            Dialect::Anthropic { version: Dialect::DEFAULT_ANTHROPIC_VERSION.into() }
        };
        return Ok(Call {
            service,
            model: model.to_string(),
            output_bound: Call::output_bound(&runnable, Some(max_tokens), 1)?,
            price: runnable.price,
            input_bound: body.to_string().len() as u64,
            stream: false,
            body,
            dialect,
        });
    }
    Err(AppError::UnknownService)
}

/// The reply's text in a whole answer.
fn reply_of(dialect: &Dialect, answer: &Value) -> String {
    match dialect {
        Dialect::OpenAi { .. } => answer
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Dialect::Anthropic { .. } => answer
            .get("content")
            .and_then(Value::as_array)
            .map(|blocks| {
                blocks
                    .iter()
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("")
            })
            .unwrap_or_default(),
    }
}
