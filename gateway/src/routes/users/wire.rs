//! The requests and responses of `/api/users/{user_id}/profile`, `/api/users/me/export` and
//! `DELETE /api/users/me`.

use serde::{Deserialize, Serialize};

use crate::{
    audit::AuditRow,
    routes::{
        auth::{ProfileView, UserView},
        journal::Entry,
        tests::TestResult,
    },
    store::accounts::SessionRow,
};

/// `PUT /api/users/{user_id}/profile` body: any of these; absent fields keep their value, and
/// `email` and unknown keys are ignored. Each field may also be sent inside `profile`.
#[allow(dead_code)] // documents the body `profile::apply` reads field by field
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileUpdate {
    /// Not empty once trimmed.
    #[schema(pattern = r"\S", max_length = 100)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    /// An `https://` URL, a `data:image/(png|jpeg|gif|webp);base64,` URL of at most 1 MB, or
    /// empty.
    #[schema(
        pattern = r"^(|https://[^\s/?#]+[^\s]*|data:image/(png|jpeg|jpg|gif|webp);base64,([A-Za-z0-9+/]{4})+)$",
        max_length = 2048
    )]
    pub avatar: Option<String>,
    #[schema(max_length = 1000)]
    pub bio: Option<String>,
    /// An IANA time zone name such as `Europe/Paris`; the person's days are days there.
    #[schema(example = "Europe/Paris", max_length = 64)]
    pub timezone: Option<String>,
    pub profile: Option<ProfileSettings>,
}

/// The nested `profile` of a [`ProfileUpdate`].
#[allow(dead_code)] // documents the body `profile::apply` reads field by field
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProfileSettings {
    /// The frontend's own settings (at most 8 KiB of JSON), stored as sent; null keeps them.
    pub preferences: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// `DELETE /api/users/me` body (may be empty for an account without a password).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DeleteRequest {
    /// The account's password; accounts created through Google or GitHub have none and need a
    /// sign-in from the last 10 minutes instead.
    pub password: Option<String>,
}

/// `GET` and `PUT /api/users/{user_id}/profile`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileResponse {
    /// Always `true`.
    pub success: bool,
    /// `PUT` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub user: ProfileUser,
}

/// The `user` object, with the profile's fields also at the top and the person's figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileUser {
    #[serde(flatten)]
    pub account: UserView,
    pub avatar: String,
    pub bio: String,
    pub timezone: String,
    /// Consecutive days with an entry, ending today or yesterday (UTC).
    pub streak: u32,
    #[serde(rename = "totalEntries")]
    pub total_entries: usize,
    /// Mean mood score of scored entries; 0 without any.
    #[serde(rename = "averageMood")]
    pub average_mood: f64,
}

/// `GET /api/users/me/export`: everything stored about the caller, as one document (which
/// `POST /api/journal/import` reads back).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    /// Always `true`.
    pub success: bool,
    pub exported_at: String,
    pub user: ExportedUser,
    pub journal_entries: Vec<Entry>,
    pub test_results: Vec<TestResult>,
    /// Sign-in sessions, oldest first, without token hashes.
    pub sessions: Vec<SessionRow>,
    /// Security events about the account, oldest first.
    pub security_events: Vec<AuditRow>,
}

/// The account in an [`Export`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedUser {
    pub id: String,
    pub email: String,
    #[serde(rename = "firstName")]
    pub first_name: String,
    #[serde(rename = "lastName")]
    pub last_name: String,
    pub profile: ProfileView,
    /// False for accounts made by Google or GitHub sign-in.
    pub has_password: bool,
    pub timezone: String,
    pub created_at: String,
    pub last_login: Option<String>,
}
