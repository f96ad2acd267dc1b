//! Reading an OpenAI chat stream as it passes through (server-sent events, `data: {json}` events ending
//! with `data: [DONE]`): which events go on to the client, the usage the provider reports at the end, and
//! how much text was streamed (what a call cut short is charged by when the provider reports nothing).

use serde_json::Value;

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
}

/// One stream's reading, fed the provider's bytes as they come.
#[derive(Debug, Default)]
pub struct StreamReading {
    /// Bytes received that don't end an event yet.
    pending: Vec<u8>,
    /// Whether the client asked for the usage chunk itself (`stream_options.include_usage`); when it didn't,
    /// the gateway asked for it and takes it out again.
    client_wants_usage: bool,
    pub reported: Option<Reported>,
    /// Bytes of text streamed in `choices[].delta.content`: never fewer than the tokens they hold.
    pub streamed_text_bytes: u64,
    pub done: bool,
}

impl StreamReading {
    pub fn new(client_wants_usage: bool) -> StreamReading {
        StreamReading { client_wants_usage, ..StreamReading::default() }
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
                self.client_wants_usage || !usage_only
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
            let mut reading = StreamReading::new(wants);
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
            let mut reading = StreamReading::new(true);
            let passed: Vec<u8> = bytes.chunks(size).flat_map(|part| reading.feed(part)).collect();
            assert_eq!(passed, bytes, "read {size} bytes at a time");
            assert!(reading.finish().is_empty());
        }
    }
}
