//! The requests and responses of `/api/auth/*` (and of the Google and GitHub sign-ins, which
//! answer with the same session).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::users::UserRow;

/// `POST /api/auth/register` body, as the frontend sends it. A legacy client may send a single
/// `name` (split at its first space) instead of `firstName` and `lastName`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// Trimmed and lowercased; one `@` with something on both sides, at most 254 characters.
    #[schema(required = true, format = "email", max_length = 254, value_type = String)]
    pub email: Option<String>,
    #[schema(required = true, min_length = 6, max_length = 128, value_type = String)]
    pub password: Option<String>,
    /// At least one character that is not whitespace.
    #[schema(required = true, pattern = r"\S", max_length = 100, value_type = String)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    /// The frontend's ui-avatars URL; ignored (the server makes its own).
    pub avatar: Option<String>,
    #[schema(ignore)]
    pub name: Option<String>,
}

/// `POST /api/auth/login` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// Compared trimmed and lowercased.
    #[schema(required = true, pattern = r"\S", value_type = String)]
    pub email: Option<String>,
    #[schema(required = true, min_length = 1, value_type = String)]
    pub password: Option<String>,
}

/// `POST /api/auth/refresh` and `/api/auth/logout` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    /// The `refresh_token` of a sign-in or of the last refresh.
    #[schema(required = true, pattern = r"\S", value_type = String)]
    pub refresh_token: Option<String>,
}

/// A signed-in session: register, login, refresh, Google and GitHub sign-in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionResponse {
    /// Always `true`.
    pub success: bool,
    /// The access token (a JWT), for `Authorization: Bearer`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until `token` expires.
    pub expires_in: u64,
    /// Exchanged at `/api/auth/refresh` for a new pair; single use.
    pub refresh_token: String,
    pub user: UserView,
}

/// `GET /api/auth/me`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    /// Always `true`.
    pub success: bool,
    pub user: UserView,
}

/// The contract's `user` object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    /// 32 lowercase hex characters.
    pub id: String,
    pub email: String,
    /// `"{firstName} {lastName}"`.
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub profile: ProfileView,
    #[serde(rename = "created_at")]
    pub created_at: String,
}

/// The `profile` of a [`UserView`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    /// An https URL, a `data:image/...;base64,` URL, or empty.
    pub avatar: String,
    pub bio: String,
    /// The frontend's own settings, stored as sent.
    pub preferences: BTreeMap<String, Value>,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            name: format!("{} {}", u.first_name, u.last_name),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            profile: ProfileView::from(u),
            created_at: u.created_at.clone(),
        }
    }
}

impl From<&UserRow> for ProfileView {
    fn from(u: &UserRow) -> Self {
        Self {
            avatar: u.avatar.clone(),
            bio: u.bio.clone(),
            preferences: serde_json::from_str(&u.preferences).unwrap_or_default(),
        }
    }
}
