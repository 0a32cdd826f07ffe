//! The one error of the HTTP API: a status and a JSON body `{"error": {"code", "message"}}`.
//! A 4xx says what was wrong with the request; a 5xx says nothing of the cause, which goes to
//! the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// 400: a parameter is missing or wrong; the message names it.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    /// 404: no such thing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    /// Any 4xx with a code and a message.
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// A 503: the server is busy with other writes; the client may try again shortly.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::client(StatusCode::SERVICE_UNAVAILABLE, "busy", message)
    }

    /// Whether the store refused a write because another server wrote first (see
    /// `AppState::current`).
    pub fn is_behind(&self) -> bool {
        self.code == BEHIND
    }

    /// 500: something failed inside; the cause is logged, not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; the server log has the details".into(),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong: a stable code for programs, a message for people that names the parameter,
/// field, row or header at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code such as `bad_parameter`, `unauthorized`, `stale_version`.
    pub code: &'static str,
    /// What was wrong, and where.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: shortened(self.message),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"refuge\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("2"),
            );
        }
        response
    }
}

/// The longest message sent: a message quotes what was wrong, and a client that sends a 60 KB
/// parameter name does not get it back whole.
const MESSAGE_LIMIT: usize = 1000;

fn shortened(mut message: String) -> String {
    if message.len() > MESSAGE_LIMIT {
        let mut end = MESSAGE_LIMIT;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

/// The code of a write refused because another server on the shared store wrote first.
const BEHIND: &str = "store_behind";

impl From<refuge_store::Error> for ApiError {
    fn from(error: refuge_store::Error) -> Self {
        use refuge_store::Error as E;
        match &error {
            E::NotFound(_) => ApiError::not_found(error.to_string()),
            E::Exists(_) => ApiError::client(StatusCode::CONFLICT, "exists", error.to_string()),
            E::Conflict { .. } => ApiError::client(
                StatusCode::PRECONDITION_FAILED,
                "stale_version",
                error.to_string(),
            ),
            E::Rejected(refuge_core::Error::InsufficientStock { .. }) => ApiError::client(
                StatusCode::CONFLICT,
                "insufficient_stock",
                error.to_string(),
            ),
            E::Rejected(refuge_core::Error::StockChanged { .. }) => {
                ApiError::client(StatusCode::CONFLICT, "stock_changed", error.to_string())
            }
            E::Rejected(_) => ApiError::bad_request("invalid", error.to_string()),
            E::NoActivation(_) => ApiError::not_found(error.to_string()),
            // SQLite waited its busy timeout (5 s) for another writer and gave up: the store is
            // busy, not broken; the client may try again shortly.
            _ if error.is_busy() => {
                tracing::warn!(%error, "the store is busy");
                ApiError::client(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the store is busy with other writes; try again in a few seconds",
                )
            }
            // Another server on the shared store wrote first: the caller takes its changes and
            // writes again (`AppState::current`); one that cannot answers this.
            E::Behind { .. } => ApiError::client(
                StatusCode::SERVICE_UNAVAILABLE,
                BEHIND,
                "another server wrote to the store at the same moment; try again",
            ),
            _ if error.is_unavailable() => {
                tracing::warn!(%error, "the store cannot be reached");
                ApiError::client(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the store cannot be reached now; reads go on from this server's copy, and \
                     writes are taken again once it is back",
                )
            }
            E::ActivationEnded(_) => {
                ApiError::client(StatusCode::CONFLICT, "ended", error.to_string())
            }
            _ => ApiError::internal(error),
        }
    }
}

impl From<refuge_tiles::Error> for ApiError {
    fn from(error: refuge_tiles::Error) -> Self {
        match error {
            refuge_tiles::Error::Coordinate { .. } => {
                ApiError::bad_request("bad_tile", error.to_string())
            }
            refuge_tiles::Error::UnknownTileset { .. } => ApiError::not_found(error.to_string()),
            refuge_tiles::Error::Cancelled => ApiError::client(
                StatusCode::SERVICE_UNAVAILABLE,
                "stopping",
                "the server is stopping; try again shortly",
            ),
            other => ApiError::internal(other),
        }
    }
}
