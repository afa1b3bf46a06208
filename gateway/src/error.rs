//! The gateway's one error type and its single mapping to HTTP.
//!
//! Every failure a handler or extractor returns becomes an [`ApiError`]; [`IntoResponse`] turns it
//! into the contract's envelope, `{"success": false, "error": msg, "message": msg}` (the same
//! string twice: the auth screens read `message`, older callers `error`). Server-side failures
//! get an opaque body; their detail travels in a response extension ([`ErrorDetail`]) that the
//! logging middleware writes inside the request span, so rendering an error has no side effects.
//! gRPC statuses from the inference service map to HTTP here, in [`status_for_grpc`], and
//! nowhere else.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::inference::InferenceError;

/// The body of every error response: the same message twice, `error` for older callers and
/// `message` for the auth screens.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    pub error: String,
    /// The same text as `error`.
    pub message: String,
}

/// A failure, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 Bad Request: the message tells the client what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// 401 Unauthorized: missing, malformed, tampered or expired credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 Forbidden: authenticated, but not the owner.
    #[error("{0}")]
    Forbidden(String),
    /// 404 Not Found (also for another user's resource, so ids reveal nothing).
    #[error("{0}")]
    NotFound(String),
    /// 405 Method Not Allowed.
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// 409 Conflict: the resource already exists.
    #[error("{0}")]
    Conflict(String),
    /// 413 Payload Too Large.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415 Unsupported Media Type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422 Unprocessable Content: a well-formed request the data cannot answer yet (a forecast
    /// with too little history); the message says what is missing.
    #[error("{0}")]
    Unprocessable(String),
    /// 429 Too Many Requests, with `Retry-After` in seconds.
    #[error("Rate limit exceeded. Try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503 Service Unavailable: a dependency (a model, the database) cannot serve right now.
    #[error("{0}")]
    Unavailable(String),
    /// 408 Request Timeout: the request ran past `REQUEST_TIMEOUT_SECS`.
    #[error("Request timed out")]
    Timeout,
    /// Mapped by [`status_for_grpc`]: 400, 429, 503, 504, or an opaque 502.
    #[error(transparent)]
    Inference(#[from] InferenceError),
    /// 503 with `Retry-After` when the database connection was lost, refused or busy (see
    /// [`is_connection_loss`]): the request can succeed once retried. Any other database error
    /// is a 500, opaque; the cause is logged either way.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// 500, opaque; the cause is logged.
    #[error("{0}")]
    Internal(String),
}

/// The server-side detail of a 5xx, attached to the response for the logging middleware.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }
    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Self::Unauthorized(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        Self::Internal(msg.to_string())
    }

    /// The HTTP status this error becomes.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Inference(e) => e
                .code()
                .map_or(StatusCode::SERVICE_UNAVAILABLE, status_for_grpc),
            Self::Database(e) if is_connection_loss(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client reads: the message for client errors, a fixed text for server errors.
    fn public_message(&self, status: StatusCode) -> String {
        match self {
            Self::Inference(e) => e.public_message(status),
            Self::Database(_) if status == StatusCode::SERVICE_UNAVAILABLE => {
                "The database is briefly unavailable; retry shortly".to_owned()
            }
            Self::Database(_) | Self::Internal(_) => "Internal server error".to_owned(),
            other => other.to_string(),
        }
    }
}

/// Seconds a client is asked to wait after losing the database (`Retry-After`): a pool opens a
/// new connection in well under that.
const DATABASE_RETRY_AFTER_SECS: u64 = 1;

/// Whether `e` means the connection to the database was lost or could not be had, rather than
/// a fault in the query: I/O errors, pool timeouts, and the server's own codes for that
/// (PostgreSQL's class 08 connection exceptions, 57P01-57P03 for a terminated backend or a
/// server shutting down or starting, 53300 too many connections; SQLite's BUSY and LOCKED).
pub fn is_connection_loss(e: &sqlx::Error) -> bool {
    use sqlx::Error;
    match e {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "53300" | "5" | "6"
                )
        }),
        _ => false,
    }
}

/// The one table from a gRPC status code of the inference service to the HTTP status the
/// gateway answers with.
pub fn status_for_grpc(code: tonic::Code) -> StatusCode {
    use tonic::Code;
    match code {
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable | Code::FailedPrecondition | Code::Aborted | Code::Cancelled => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound | Code::Unimplemented => StatusCode::SERVICE_UNAVAILABLE,
        // Our own call was wrong or the service failed: nothing the client can fix.
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// The contract's error envelope with `status`, for errors raised outside handlers (404, 405,
/// 413 from layers).
pub fn envelope(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        success: false,
        error: message.to_owned(),
        message: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = envelope(status, &self.public_message(status));
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            Self::Database(_) if status == StatusCode::SERVICE_UNAVAILABLE => {
                Some(DATABASE_RETRY_AFTER_SECS)
            }
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status.is_server_error() {
            response
                .extensions_mut()
                .insert(ErrorDetail(self.to_string()));
        }
        response
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_opaque_to_the_client() {
        let err = ApiError::internal("connection to 10.0.0.3 refused");
        let status = err.status();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.public_message(status), "Internal server error");
    }

    #[test]
    fn a_lost_database_connection_is_a_503_with_retry_after_and_a_query_fault_a_500() {
        let lost = ApiError::Database(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
        let response = lost.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let timed_out = ApiError::Database(sqlx::Error::PoolTimedOut);
        assert_eq!(timed_out.status(), StatusCode::SERVICE_UNAVAILABLE);
        let fault = ApiError::Database(sqlx::Error::RowNotFound);
        assert_eq!(fault.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn grpc_overload_and_deadline_map_to_429_and_504() {
        assert_eq!(
            status_for_grpc(tonic::Code::ResourceExhausted),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            status_for_grpc(tonic::Code::DeadlineExceeded),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(
            status_for_grpc(tonic::Code::Internal),
            StatusCode::BAD_GATEWAY
        );
    }
}
