//! Building links with query strings, shared by the browser and the server.

/// Percent-encodes one query value (RFC 3986 unreserved characters stay as they are).
pub fn encode_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
