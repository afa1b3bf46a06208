//! The inference crate's one error type, mapped to gRPC status codes once, in
//! `impl From<Error> for tonic::Status`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// INVALID_ARGUMENT: the request is malformed (no texts, an empty text, too long, ...).
    #[error("{0}")]
    InvalidArgument(String),
    /// NOT_FOUND: the Open Inference Protocol named a model or version this server does not have.
    #[error("{0}")]
    NotFound(String),
    /// RESOURCE_EXHAUSTED: the queue is full; the caller should back off and retry.
    #[error("the server is overloaded: {queued} requests are queued; retry with backoff")]
    Overloaded { queued: usize },
    /// UNAVAILABLE: the models are still loading or the server is draining.
    #[error("{0}")]
    Unavailable(String),
    /// Start-up only: a model directory is missing a file or holds something we cannot load.
    #[error("cannot load the model in {dir}: {reason}")]
    Load { dir: PathBuf, reason: String },
    /// Start-up only: a setting is missing or malformed; the message names the variable.
    #[error("configuration: {0}")]
    Config(String),
    /// INTERNAL: tokenization or a forward pass failed; details are logged, not sent.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// INTERNAL: the service itself failed (a worker thread stopped, a socket broke); the
    /// message is logged, not sent.
    #[error("{0}")]
    Internal(String),
    /// INTERNAL: a tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl From<Error> for tonic::Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(msg) => tonic::Status::invalid_argument(msg),
            Error::NotFound(msg) => tonic::Status::not_found(msg),
            Error::Overloaded { .. } => tonic::Status::resource_exhausted(err.to_string()),
            Error::Unavailable(msg) => tonic::Status::unavailable(msg),
            Error::Load { .. }
            | Error::Config(_)
            | Error::Tokenizer(_)
            | Error::Internal(_)
            | Error::Candle(_) => {
                tracing::error!(error = %err, "internal error");
                tonic::Status::internal("internal error; see the server log")
            }
        }
    }
}
