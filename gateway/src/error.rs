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
use serde_json::json;

use crate::inference::InferenceError;

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
    /// 500, opaque; the cause is logged.
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
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client reads: the message for client errors, a fixed text for server errors.
    fn public_message(&self, status: StatusCode) -> String {
        match self {
            Self::Inference(e) => e.public_message(status),
            Self::Database(_) | Self::Internal(_) => "Internal server error".to_owned(),
            other => other.to_string(),
        }
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
    let body = json!({ "success": false, "error": message, "message": message });
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = envelope(status, &self.public_message(status));
        if let Self::TooManyRequests { retry_after_secs } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
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
