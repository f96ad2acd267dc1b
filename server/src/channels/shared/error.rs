//! How `/v1` refuses: `{"error": "<message>", "code": <http status>}` (docs/CONTRACT.md "JSON API"), and
//! for a card decline the same with the decline's details.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use tollgate_domain::error::AppError;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "Insufficient wallet balance")]
    pub error: String,
    #[schema(example = 402)]
    pub code: u16,
}

/// A card decline (`POST /v1/wallet/fund`, 402).
#[derive(Debug, Serialize, ToSchema)]
pub struct CardErrorBody {
    #[schema(example = "Your card has insufficient funds. Use another card.")]
    pub error: String,
    #[schema(example = 402)]
    pub code: u16,
    #[serde(rename = "type")]
    #[schema(example = "card_error")]
    pub kind: String,
    #[schema(example = "insufficient_funds")]
    pub decline_code: String,
    pub payment_id: Uuid,
}

/// An error answer of the JSON API.
#[derive(Debug)]
pub enum ApiError {
    /// One of our errors, with its status and message.
    App(AppError),
    /// `POST /v1/wallet/fund` was declined: 402 with the decline.
    CardDeclined(CardErrorBody),
    /// A refusal that ends by itself (a rate limit): the error, with `Retry-After` in seconds.
    RetryLater { error: AppError, retry_after: u64 },
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        ApiError::App(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            // A full queue clears within a batch or two.
            ApiError::App(AppError::Busy) => {
                ApiError::RetryLater { error: AppError::Busy, retry_after: 1 }.into_response()
            }
            ApiError::App(err) => error_response(&err),
            ApiError::RetryLater { error, retry_after } => {
                let mut res = error_response(&error);
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                res
            }
            ApiError::CardDeclined(body) => (StatusCode::PAYMENT_REQUIRED, Json(body)).into_response(),
        }
    }
}

fn error_response(err: &AppError) -> Response {
    let status = err.status_code();
    (status, Json(ErrorBody { error: err.message(), code: status.as_u16() })).into_response()
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_answers_busy_with_retry_after_one_second() {
        let res = ApiError::App(AppError::Busy).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    }
}
