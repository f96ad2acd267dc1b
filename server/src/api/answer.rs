//! How `/v1` answers: JSON bodies, and errors as `{"error": "<message>", "code": <http status>}`
//! (CONTRACT.md "JSON API"), plus named extra fields where the contract lists them.

use app::error::AppError;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

/// An error answer of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    /// A card decline (`POST /v1/wallet/fund`): 402 with the decline's details.
    pub fn card_declined(message: &str, decline_code: &str, payment_id: uuid::Uuid) -> ApiError {
        ApiError {
            status: StatusCode::PAYMENT_REQUIRED,
            body: json!({
                "error": message, "code": 402, "type": "card_error",
                "decline_code": decline_code, "payment_id": payment_id,
            }),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError { status, body: json!({ "error": err.message(), "code": status.as_u16() }) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Reads a JSON body; anything unreadable is a 400 with a message, never axum's plain-text rejection.
pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| AppError::InvalidRequestBody.into())
}

/// An `Idempotency-Key` header: 1–255 visible ASCII characters.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().map_err(|_| ApiError::from(AppError::InvalidQuery))?.trim();
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::from(AppError::InvalidQuery));
    }
    Ok(Some(key.to_string()))
}
