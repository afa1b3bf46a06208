//! Wire types more than one feature answers with. Each feature's own requests and responses
//! live beside its routes (`routes/<feature>.rs` or `routes/<feature>/wire.rs`); every one of
//! them derives its OpenAPI schema, so `/api/openapi.json` is generated from the code that
//! answers.

use serde::Serialize;

/// `{success: true, message}`: an action done, with nothing else to return.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Done {
    /// Always `true`.
    pub success: bool,
    pub message: String,
}

impl Done {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            success: true,
            message: message.into(),
        }
    }
}
