//! The sandbox upstream (docs/CONTRACT.md "Gateway"): when no provider is configured, the gateway's calls
//! are answered here, as the sandbox processor answers card charges — deterministic replies with the usage
//! they report, so `make run`'s demo and the tests work offline. Only beside the sandbox processor.

use serde_json::{json, Value};

/// OpenAI's chat completion for `request`: "Sandbox reply to: <the last message>", as JSON or, when the
/// request streams, as server-sent events (ending with the usage chunk when asked for, then `[DONE]`).
pub fn chat_completions(request: &Value) -> reqwest::Response {
    let model = request.get("model").and_then(Value::as_str).unwrap_or_default();
    let messages = request.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
    let text = |m: &Value| match m.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let last: String = messages.last().map(text).unwrap_or_default().chars().take(60).collect();
    let limit = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|f| request.get(*f).and_then(Value::as_u64))
        .unwrap_or(u64::MAX);
    let words: Vec<String> = format!("Sandbox reply to: {last}")
        .split_whitespace()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(str::to_string)
        .collect();
    // About four characters a token, and four tokens of framing a message, as real tokenizers count.
    let prompt_tokens: u64 = messages.iter().map(|m| (text(m).chars().count() as u64).div_ceil(4) + 4).sum();
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": words.len(),
        "total_tokens": prompt_tokens + words.len() as u64,
    });
    let id = "chatcmpl-sandbox";
    let streaming = request.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let (content_type, body) = if streaming {
        let mut events = String::new();
        let mut event = |chunk: Value| events.push_str(&format!("data: {chunk}\n\n"));
        let delta = |delta: Value, finish: Value| {
            json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": null})
        };
        event(delta(json!({"role": "assistant", "content": ""}), Value::Null));
        for (i, word) in words.iter().enumerate() {
            let piece = if i == 0 { word.clone() } else { format!(" {word}") };
            event(delta(json!({"content": piece}), Value::Null));
        }
        event(delta(json!({}), json!("stop")));
        let wants_usage =
            request.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true);
        if wants_usage {
            event(json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": model,
                         "choices": [], "usage": usage}));
        }
        events.push_str("data: [DONE]\n\n");
        ("text/event-stream", events)
    } else {
        let answer = json!({
            "id": id, "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": words.join(" ")},
                         "finish_reason": "stop"}],
            "usage": usage,
        });
        ("application/json", answer.to_string())
    };
    let response = axum::http::Response::builder()
        .status(200)
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(body)
        .unwrap_or_default();
    reqwest::Response::from(response)
}
