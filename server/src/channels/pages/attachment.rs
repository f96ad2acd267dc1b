//! How every download answers (the CSV exports, the statements): a file the browser saves under its name
//! instead of showing it.

use axum::{
    body::Body,
    http::header,
    response::{IntoResponse, Response},
};

/// The type of every CSV download.
pub const CSV: &str = "text/csv; charset=utf-8";

/// `body` as a file of `content_type` to be saved as `filename` (which is ours: no quotes to escape).
pub fn attachment(content_type: &str, filename: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}
