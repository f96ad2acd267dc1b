//! Fields of the CSV exports (RFC 4180), written by the server rather than by PostgreSQL's `COPY`.
//! Two policies, by where the value comes from:
//! - [`field`] for values the app controls (catalog names, ids): quoted only when they hold a comma, a quote
//!   or a line break, so the usual file reads like PostgreSQL's own CSV;
//! - [`text`] for free text people typed (audit log names and details): always quoted, and text a
//!   spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage return first) gets a leading
//!   apostrophe.

/// A value the app controls, quoted only when it must be.
pub fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        quoted("", value)
    } else {
        value.to_string()
    }
}

/// Free text: always quoted, never a formula.
pub fn text(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { "'" } else { "" };
    quoted(neutral, value)
}

fn quoted(prefix: &str, value: &str) -> String {
    format!("\"{prefix}{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_values_are_quoted_only_when_they_must_be() {
        assert_eq!(field("openai"), "openai");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn free_text_is_quoted_and_never_a_formula() {
        assert_eq!(text("Key \"ci\""), "\"Key \"\"ci\"\"\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("a,b\nc"), "\"a,b\nc\"");
        assert_eq!(text("@SUM(1)"), "\"'@SUM(1)\"");
    }
}
