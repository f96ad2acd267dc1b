//! How `/v1` refuses: `{"error": "<message>", "code": <http status>}` (docs/CONTRACT.md "JSON API"), and
//! for a card decline the same with the decline's details.

use app::error::AppError;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
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
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        ApiError::App(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::App(err) => {
                let status =
                    StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, Json(ErrorBody { error: err.message(), code: status.as_u16() })).into_response()
            }
            ApiError::CardDeclined(body) => (StatusCode::PAYMENT_REQUIRED, Json(body)).into_response(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
