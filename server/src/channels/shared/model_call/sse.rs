//! Reading a provider's stream as it passes through (server-sent events, `data: {json}`): which events go
//! on to the client, the usage the provider reports, and how much text was streamed (what a call cut short
//! is charged by when the provider reports nothing). OpenAI ends with `data: [DONE]` after a usage chunk
//! the gateway asked for; Anthropic reports the input in `message_start` and the output, growing, in each
//! `message_delta`, and ends with `message_stop`.

use super::call::{Dialect, Reported};
use serde_json::Value;

/// One stream's reading, fed the provider's bytes as they come.
#[derive(Debug, Default)]
pub struct StreamReading {
    /// Bytes received that don't end an event yet.
    pending: Vec<u8>,
    dialect: Option<Dialect>,
    pub reported: Option<Reported>,
    /// Bytes of text streamed in `choices[].delta.content`: never fewer than the tokens they hold.
    pub streamed_text_bytes: u64,
    pub done: bool,
}

impl StreamReading {
    pub fn new(dialect: Dialect) -> StreamReading {
        StreamReading { dialect: Some(dialect), ..StreamReading::default() }
    }

    /// Takes in `bytes` from the provider; answers what to pass on to the client now (whole events only, in
    /// order, as the provider wrote them).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = event_end(&self.pending) {
            let event: Vec<u8> = self.pending.drain(..end).collect();
            if self.pass_on(&event) {
                out.extend_from_slice(&event);
            }
        }
        out
    }

    /// What is left unfinished when the provider closes the stream (passed on as it is).
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// Reads one whole event (with its blank line); whether the client gets it.
    fn pass_on(&mut self, event: &[u8]) -> bool {
        let text = String::from_utf8_lossy(event);
        let data: String = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect::<Vec<_>>()
            .join("\n");
        if data.trim() == "[DONE]" {
            self.done = true;
            return true;
        }
        let Ok(chunk) = serde_json::from_str::<Value>(&data) else {
            return true;
        };
        match &self.dialect {
            Some(Dialect::Anthropic { .. }) => {
                self.read_anthropic(&chunk);
                true
            }
            Some(Dialect::OpenAi { client_wants_usage }) => {
                let client_wants_usage = *client_wants_usage;
                self.read_openai(&chunk, client_wants_usage)
            }
            None => true,
        }
    }

    /// An Anthropic event: the usage as it stands, and the text it streams.
    fn read_anthropic(&mut self, event: &Value) {
        match event.get("type").and_then(Value::as_str) {
            Some("message_start") => {
                self.reported = event.pointer("/message/usage").and_then(Reported::of_anthropic);
            }
            Some("message_delta") => {
                if let (Some(reported), Some(output)) =
                    (self.reported.as_mut(), event.pointer("/usage/output_tokens").and_then(Value::as_u64))
                {
                    reported.output_tokens = output;
                }
            }
            Some("content_block_delta") => {
                if let Some(text) = event.pointer("/delta/text").and_then(Value::as_str) {
                    self.streamed_text_bytes += text.len() as u64;
                }
            }
            Some("message_stop") => self.done = true,
            _ => {}
        }
    }

    /// An OpenAI chunk (see the module docs); whether the client gets it.
    fn read_openai(&mut self, chunk: &Value, client_wants_usage: bool) -> bool {
        if let Some(choices) = chunk.get("choices").and_then(Value::as_array) {
            for choice in choices {
                if let Some(text) = choice.pointer("/delta/content").and_then(Value::as_str) {
                    self.streamed_text_bytes += text.len() as u64;
                }
            }
        }
        match chunk.get("usage").and_then(Reported::of_openai) {
            Some(reported) => {
                self.reported = Some(reported);
                // The usage-only chunk the gateway asked for: the client didn't, so it doesn't get it.
                let usage_only = chunk.get("choices").and_then(Value::as_array).is_some_and(Vec::is_empty);
                client_wants_usage || !usage_only
            }
            None => true,
        }
    }
}

/// Where the first whole event in `bytes` ends (after its blank line), if one does.
fn event_end(bytes: &[u8]) -> Option<usize> {
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"Héllo\"}}],\"usage\":null}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\" world\"}}],\"usage\":null}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn the_usage_chunk_is_read_and_passed_on_only_when_the_client_asked_for_it() {
        for wants in [false, true] {
            let mut reading = StreamReading::new(Dialect::OpenAi { client_wants_usage: wants });
            let passed = String::from_utf8(reading.feed(STREAM.as_bytes())).unwrap();
            assert_eq!(reading.reported, Some(Reported { input_tokens: 12, output_tokens: 3 }));
            assert_eq!(passed.contains("prompt_tokens"), wants);
            assert!(passed.ends_with("data: [DONE]\n\n") && reading.done);
            assert_eq!(reading.streamed_text_bytes, "Héllo world".len() as u64);
        }
    }

    #[test]
    fn events_split_anywhere_across_reads_come_out_whole_and_in_order() {
        let bytes = STREAM.as_bytes();
        for size in [1, 2, 3, 7, 64] {
            let mut reading = StreamReading::new(Dialect::OpenAi { client_wants_usage: true });
            let passed: Vec<u8> = bytes.chunks(size).flat_map(|part| reading.feed(part)).collect();
            assert_eq!(passed, bytes, "read {size} bytes at a time");
            assert!(reading.finish().is_empty());
        }
    }

    #[test]
    fn an_anthropic_stream_reports_its_input_at_the_start_and_its_output_as_it_grows() {
        let stream = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi there\"}}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        let mut reading = StreamReading::new(Dialect::Anthropic { version: "2023-06-01".into() });
        assert_eq!(reading.feed(stream.as_bytes()), stream.as_bytes(), "every event passes on");
        assert_eq!(reading.reported, Some(Reported { input_tokens: 25, output_tokens: 15 }));
        assert_eq!(reading.streamed_text_bytes, 8);
        assert!(reading.done);
    }
}
