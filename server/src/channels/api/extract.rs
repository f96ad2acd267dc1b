//! The edges of `/v1`: a request's body, query and `Idempotency-Key` header, parsed into the documented
//! types (`schema.rs`) by extractors that refuse with the API's own error JSON — never axum's plain-text
//! rejections.

use crate::channels::shared::error::ApiError;
use crate::channels::shared::idempotency_key::is_valid_idempotency_key;
use crate::channels::shared::schema::ApiBody;
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::request::Parts,
};
use serde::de::DeserializeOwned;
use tollgate_domain::error::AppError;

/// A JSON object body of type `T`. The content type isn't checked (`curl -d` sends a form type); an empty
/// body and `null` are the empty object; anything else but an object is refused.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: ApiBody> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| AppError::InvalidRequestBody)?;
        // JSON's own whitespace only (RFC 8259): a form feed is not "an empty body".
        let json_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        let start = bytes.iter().position(|b| !json_space(b));
        let end = bytes.iter().rposition(|b| !json_space(b)).map_or(0, |i| i + 1);
        let text: &[u8] = match start {
            None => b"{}",
            Some(start) if &bytes[start..end] == b"null" => b"{}",
            Some(start) if bytes[start] == b'{' => &bytes,
            Some(_) => return Err(AppError::InvalidRequestBody.into()),
        };
        let mut json = serde_json::Deserializer::from_slice(text);
        let body = serde_path_to_error::deserialize(&mut json)
            .map_err(|err| ApiError::from(T::refusal(&err.path().to_string())))?;
        json.end().map_err(|_| AppError::InvalidRequestBody)?;
        Ok(ApiJson(body))
    }
}

/// The query string as `T`; anything that doesn't parse is `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(query) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::from(AppError::InvalidQuery))?;
        Ok(ApiQuery(query))
    }
}

/// The `Idempotency-Key` header, if sent: 1–255 visible ASCII characters, words apart by spaces (the
/// document's pattern; a tab is refused), else `invalid_query`.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else { return Ok(IdempotencyKey(None)) };
        let key = value.to_str().map_err(|_| ApiError::from(AppError::InvalidQuery))?.trim();
        if !is_valid_idempotency_key(key) {
            return Err(AppError::InvalidQuery.into());
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}
