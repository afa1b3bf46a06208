//! The audit log: security events (sign-ins, failed sign-ins, refresh-token reuse, exports,
//! account deletions) in the `audit_log` table.
//!
//! What is written is fixed vocabulary only: the event name, the account id when known, and a
//! short detail such as the sign-in method. Never a password, token, email address or journal
//! text, so the log can be read by operators without exposing anything a person wrote.
//! Recording is best effort: a failed audit write is logged as an error but does not fail the
//! request it describes (refusing a sign-in because the audit table is unavailable would turn
//! a logging fault into an outage).

use crate::store::{self, Db};

/// A security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A successful sign-in; `method` is `password`, `google` or `github`.
    SignIn {
        user_id: &'a str,
        method: &'static str,
    },
    /// A refused sign-in; the account when the attempt named an existing one.
    SignInFailed {
        user_id: Option<&'a str>,
        method: &'static str,
    },
    /// A spent refresh token was presented again; its family was revoked.
    RefreshReuse { user_id: &'a str },
    /// The account's data was exported.
    Export { user_id: &'a str },
    /// An account was deleted. No id: nothing of the person may remain after deletion.
    AccountDeleted,
}

impl Event<'_> {
    /// The stored event name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SignIn { .. } => "sign_in",
            Self::SignInFailed { .. } => "sign_in_failed",
            Self::RefreshReuse { .. } => "refresh_token_reuse",
            Self::Export { .. } => "data_export",
            Self::AccountDeleted => "account_deleted",
        }
    }

    fn user_id(&self) -> Option<&str> {
        match self {
            Self::SignIn { user_id, .. }
            | Self::RefreshReuse { user_id }
            | Self::Export { user_id } => Some(user_id),
            Self::SignInFailed { user_id, .. } => *user_id,
            Self::AccountDeleted => None,
        }
    }

    fn detail(&self) -> &'static str {
        match self {
            Self::SignIn { method, .. } | Self::SignInFailed { method, .. } => method,
            _ => "",
        }
    }
}

/// Records `event`; failures are logged, never returned (see the module header).
pub async fn record(db: &Db, event: Event<'_>) {
    let result =
        sqlx::query("INSERT INTO audit_log (at, event, user_id, detail) VALUES ($1, $2, $3, $4)")
            .bind(store::now())
            .bind(event.name())
            .bind(event.user_id())
            .bind(event.detail())
            .execute(db.writer())
            .await;
    match result {
        Ok(_) => tracing::info!(event = event.name(), detail = event.detail(), "audit"),
        Err(e) => tracing::error!(event = event.name(), error = %e, "audit write failed"),
    }
}

/// One stored event, for a person's export.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub at: String,
    pub event: String,
    pub detail: String,
}

/// The events recorded about `user_id`, oldest first.
pub async fn for_user(db: &Db, user_id: &str) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as("SELECT at, event, detail FROM audit_log WHERE user_id = $1 ORDER BY id")
        .bind(user_id)
        .fetch_all(db.pool())
        .await
}
