//! The sandbox upstream (docs/CONTRACT.md "Gateway"): when no provider is configured, the gateway's calls
//! are answered here, as the sandbox processor answers card charges — deterministic replies with the usage
//! they report, so `make run`'s demo and the tests work offline. Only beside the sandbox processor.

use super::call::Dialect;
use serde_json::{json, Value};

/// The provider's answer to `request` in its `dialect`: "Sandbox reply to: <the last message>", whole or,
/// when the request streams, as server-sent events.
pub fn answer(dialect: &Dialect, request: &Value) -> reqwest::Response {
    let reply = Reply::to(request);
    let streaming = request.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let model = request.get("model").and_then(Value::as_str).unwrap_or_default();
    let (content_type, body) = match (dialect, streaming) {
        (Dialect::OpenAi { .. }, false) => ("application/json", reply.openai(model).to_string()),
        (Dialect::OpenAi { .. }, true) => {
            let wants_usage =
                request.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true);
            ("text/event-stream", reply.openai_stream(model, wants_usage))
        }
        (Dialect::Anthropic { .. }, false) => ("application/json", reply.anthropic(model).to_string()),
        (Dialect::Anthropic { .. }, true) => ("text/event-stream", reply.anthropic_stream(model)),
    };
    let response = axum::http::Response::builder()
        .status(200)
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(body)
        .unwrap_or_default();
    reqwest::Response::from(response)
}

/// What the sandbox says, and the usage it reports: about four characters a token and four tokens of
/// framing a message in (as real tokenizers count), a token a word out.
struct Reply {
    words: Vec<String>,
    input_tokens: u64,
}

impl Reply {
    fn to(request: &Value) -> Reply {
        let messages = request.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
        let last: String = messages.last().map(text_of).unwrap_or_default().chars().take(60).collect();
        let limit = ["max_completion_tokens", "max_tokens"]
            .iter()
            .find_map(|f| request.get(*f).and_then(Value::as_u64))
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(usize::MAX);
        let words =
            format!("Sandbox reply to: {last}").split_whitespace().take(limit).map(str::to_string).collect();
        let system =
            request.get("system").map_or(0, |s| (text_of_content(s).chars().count() as u64).div_ceil(4));
        let input_tokens = system
            + messages.iter().map(|m| (text_of(m).chars().count() as u64).div_ceil(4) + 4).sum::<u64>();
        Reply { words, input_tokens }
    }

    fn output_tokens(&self) -> u64 {
        self.words.len() as u64
    }

    /// The words as streamed pieces ("Sandbox", " reply", …).
    fn pieces(&self) -> impl Iterator<Item = String> + '_ {
        self.words.iter().enumerate().map(|(i, w)| if i == 0 { w.clone() } else { format!(" {w}") })
    }

    fn openai_usage(&self) -> Value {
        json!({"prompt_tokens": self.input_tokens, "completion_tokens": self.output_tokens(),
               "total_tokens": self.input_tokens + self.output_tokens()})
    }

    fn openai(&self, model: &str) -> Value {
        json!({"id": "chatcmpl-sandbox", "object": "chat.completion", "created": 0, "model": model,
               "choices": [{"index": 0, "message": {"role": "assistant", "content": self.words.join(" ")},
                            "finish_reason": "stop"}],
               "usage": self.openai_usage()})
    }

    fn openai_stream(&self, model: &str, wants_usage: bool) -> String {
        let chunk = |delta: Value, finish: Value| {
            json!({"id": "chatcmpl-sandbox", "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": null})
        };
        let mut chunks = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
        chunks.extend(self.pieces().map(|piece| chunk(json!({"content": piece}), Value::Null)));
        chunks.push(chunk(json!({}), json!("stop")));
        if wants_usage {
            chunks.push(json!({"id": "chatcmpl-sandbox", "object": "chat.completion.chunk", "created": 0,
                               "model": model, "choices": [], "usage": self.openai_usage()}));
        }
        let mut events: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
        events.push_str("data: [DONE]\n\n");
        events
    }

    fn anthropic(&self, model: &str) -> Value {
        json!({"id": "msg_sandbox", "type": "message", "role": "assistant", "model": model,
               "content": [{"type": "text", "text": self.words.join(" ")}],
               "stop_reason": "end_turn", "stop_sequence": null,
               "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens()}})
    }

    fn anthropic_stream(&self, model: &str) -> String {
        let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
        let mut events = event(
            "message_start",
            json!({"type": "message_start", "message": {
            "id": "msg_sandbox", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": 1}}}),
        );
        events.push_str(&event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ));
        for piece in self.pieces() {
            events.push_str(&event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        events.push_str(&event("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
        events.push_str(&event(
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": self.output_tokens()}}),
        ));
        events.push_str(&event("message_stop", json!({"type": "message_stop"})));
        events
    }
}

/// A message's text: its `content` string, or its text blocks joined.
fn text_of(message: &Value) -> String {
    message.get("content").map(text_of_content).unwrap_or_default()
}

fn text_of_content(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => {
            blocks.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(" ")
        }
        _ => String::new(),
    }
}
