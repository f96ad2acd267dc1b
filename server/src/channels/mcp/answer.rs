//! How a tool answers: the contract's structured content for the chat app (one of `answers`' types), one
//! sentence the model can repeat to the person, and the same JSON as text for clients that read only text
//! (as MCP asks of servers that send structured content).

use super::answers::ToolError;
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use tollgate_domain::error::AppError;

/// A successful answer.
pub fn done(structured: &impl Serialize, sentence: impl Into<String>) -> CallToolResult {
    // Our answer types are plain data (strings, numbers, ids): they always serialize.
    let structured = serde_json::to_value(structured).unwrap_or_default();
    let mut result = CallToolResult::success(vec![
        ContentBlock::text(sentence.into()),
        ContentBlock::text(structured.to_string()),
    ]);
    result.structured_content = Some(structured);
    result
}

/// A tool error the person should read (MCP's `isError`: the model sees it, unlike a protocol error).
pub fn refused(structured: &impl Serialize, sentence: impl Into<String>) -> CallToolResult {
    let mut result = done(structured, sentence);
    result.is_error = Some(true);
    result
}

/// One of our errors as a tool error: its message, and its stable code (docs/CONTRACT.md "Errors and their
/// codes").
pub fn error(err: &AppError) -> CallToolResult {
    refused(&ToolError::from(err), err.message())
}

/// Arguments that don't fit the tool's schema, with what is wrong in words.
pub fn bad_arguments(detail: impl Into<String>) -> CallToolResult {
    let detail = detail.into();
    refused(&ToolError { error: detail.clone(), code: AppError::InvalidRequestBody.code() }, detail)
}
