//! Request bodies: size-limited, JSON, with errors that say what and where.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The body as `T`: 413 when over the configured limit, 400 naming the line and column (or the
/// field) when it is not the JSON expected.
pub fn json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is over the size limit",
            )
        } else {
            ApiError::bad_request(
                "bad_body",
                format!("cannot read the request body: {rejection}"),
            )
        }
    })?;
    let mut reader = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        // The field at fault by name, where there is one (`status`, `quotas[0].item`).
        let path = e.path().to_string();
        let cause = e.into_inner();
        let message = if cause.is_syntax() || cause.is_eof() {
            format!("the body is not valid JSON: {cause}")
        } else if path == "." {
            format!("the body is not the JSON expected: {cause}")
        } else {
            format!("`{path}`: {cause}")
        };
        ApiError::bad_request("bad_body", message)
    })
}

/// A JSON body as `T`, with the errors of [`json`].
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        json(Bytes::from_request(request, state).await).map(JsonBody)
    }
}
