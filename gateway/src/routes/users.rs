//! A person's own account: `GET`/`PUT /api/users/{user_id}/profile` (contract §2.5, §2.6),
//! `GET /api/users/me/export` (everything stored about them) and `DELETE /api/users/me`
//! (the account, all its data and its tokens).
//!
//! Every route needs the caller's own token (§3.4, strict): another user's id is 403, an
//! unknown one 404, and nothing is ever created here.

use axum::{
    Json, Router,
    body::Bytes,
    extract::Path,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, header},
    response::IntoResponse,
    routing::{delete, get},
};
use chrono::Utc;

mod wire;

pub use wire::{
    DeleteRequest, Export, ExportedUser, ProfileResponse, ProfileSettings, ProfileUpdate,
    ProfileUser,
};

use crate::{
    audit::{self, Event},
    auth::{AuthUser, password},
    domain::{analytics, history::zone},
    error::{ApiError, ApiResult},
    extract::JsonBody,
    routes::{
        auth::{ProfileView, UserView},
        insights::entry_facts,
        journal::Entry,
        owner, profile,
        tests::TestResult,
        wire::Done,
    },
    state::AppState,
    store::{self, accounts, journal, results, users::UserRow},
};

/// How recent a sign-in must be to delete an account that has no password.
const FRESH_SIGN_IN_SECS: i64 = 10 * 60;
/// The profile route's body limit: room for the largest accepted avatar as base64 in JSON.
const PROFILE_BODY_LIMIT: usize = profile::MAX_AVATAR_BYTES * 2;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/users/{user_id}/profile",
            get(get_profile)
                .put(put_profile)
                .layer(DefaultBodyLimit::max(PROFILE_BODY_LIMIT)),
        )
        .route("/api/users/me/export", get(export))
        .route("/api/users/me", delete(delete_account))
}

#[utoipa::path(get, path = "/api/users/{user_id}/profile", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The caller's own id")),
    responses((status = 200, body = ProfileResponse),
              (status = 401, description = "No valid token"), (status = 403, description = "Another user's id"),
              (status = 404, description = "Unknown user")))]
pub async fn get_profile(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
) -> ApiResult<Json<ProfileResponse>> {
    let account = owner::own_account(&state, &user, &user_id).await?;
    Ok(Json(ProfileResponse {
        success: true,
        message: None,
        user: profile_user(&state, account).await?,
    }))
}

#[utoipa::path(put, path = "/api/users/{user_id}/profile", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The caller's own id")),
    request_body = ProfileUpdate,
    responses((status = 200, body = ProfileResponse), (status = 400, description = "Invalid field"),
              (status = 401, description = "No valid token"), (status = 403, description = "Another user's id"),
              (status = 404, description = "Unknown user; nothing is created"), (status = 413, description = "Avatar too large")))]
pub async fn put_profile(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<ProfileResponse>> {
    let account = owner::own_account(&state, &user, &user_id).await?;
    let updated = profile::apply(&account, &body)?;
    let change = accounts::ProfileUpdate {
        first_name: &updated.first_name,
        last_name: &updated.last_name,
        avatar: &updated.avatar,
        bio: &updated.bio,
        preferences: &updated.preferences,
        timezone: &updated.timezone,
    };
    if !accounts::update_profile(&state.db, &account.id, &change).await? {
        return Err(ApiError::unauthorized("Invalid or expired token"));
    }
    let account = owner::live_account(&state, &user).await?;
    Ok(Json(ProfileResponse {
        success: true,
        message: Some("Profile updated successfully".to_owned()),
        user: profile_user(&state, account).await?,
    }))
}

#[utoipa::path(get, path = "/api/users/me/export", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Export, description = "Everything stored about the caller, as an attachment (moodtracker-export.json)"),
              (status = 401, description = "No valid token")))]
pub async fn export(State(state): State<AppState>, user: AuthUser) -> ApiResult<impl IntoResponse> {
    let account = owner::live_account(&state, &user).await?;
    audit::record(
        &state.db,
        Event::Export {
            user_id: &account.id,
        },
    )
    .await;
    let entries = journal::all_for_user(&state.db, &account.id).await?;
    let results = results::for_user(&state.db, &account.id, None).await?;
    let body = Export {
        success: true,
        exported_at: store::now(),
        journal_entries: entries.iter().map(Entry::from).collect(),
        test_results: results.iter().map(TestResult::from).collect(),
        sessions: accounts::sessions(&state.db, &account.id).await?,
        security_events: audit::for_user(&state.db, &account.id).await?,
        user: ExportedUser {
            profile: ProfileView::from(&account),
            has_password: !account.password_hash.is_empty(),
            id: account.id,
            email: account.email,
            first_name: account.first_name,
            last_name: account.last_name,
            timezone: account.timezone,
            created_at: account.created_at,
            last_login: account.last_login,
        },
    };
    let disposition = [(
        header::CONTENT_DISPOSITION,
        "attachment; filename=\"moodtracker-export.json\"",
    )];
    Ok((disposition, Json(body)))
}

#[utoipa::path(delete, path = "/api/users/me", tag = "users", security(("bearer" = [])),
    request_body = DeleteRequest,
    responses((status = 200, body = Done, description = "The account, all its data and its tokens are gone"),
              (status = 400, description = "Password missing"),
              (status = 401, description = "Wrong password, no valid token, or (accounts without a password) no sign-in in the last 10 minutes")))]
pub async fn delete_account(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Done>> {
    let account = owner::live_account(&state, &user).await?;
    let signed_in_at = bearer_issued_at(&state, &headers);
    delete_confirmed(&state, &account, signed_in_at, delete_request(&body)?).await?;
    Ok(Json(Done::new(
        "Your account and all of its data have been deleted",
    )))
}

/// The optional body: accounts without a password may send none at all.
fn delete_request(body: &[u8]) -> ApiResult<DeleteRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(DeleteRequest::default());
    }
    serde_json::from_slice::<Option<DeleteRequest>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|_| ApiError::bad_request("Invalid JSON body"))
}

/// Deletes `account` and all its data once confirmed (see [`confirm_deletion`]), and audits it;
/// the API and the web app share it. `signed_in_at`: when the caller's credential was issued
/// (the bearer token's `iat`, or the web session's start).
pub(crate) async fn delete_confirmed(
    state: &AppState,
    account: &UserRow,
    signed_in_at: Option<i64>,
    body: DeleteRequest,
) -> ApiResult<()> {
    confirm_deletion(state, account, signed_in_at, body).await?;
    accounts::delete_account(&state.db, &account.id).await?;
    audit::record(&state.db, Event::AccountDeleted).await;
    Ok(())
}

/// The password for accounts that have one; otherwise a sign-in in the last 10 minutes.
async fn confirm_deletion(
    state: &AppState,
    account: &UserRow,
    signed_in_at: Option<i64>,
    body: DeleteRequest,
) -> ApiResult<()> {
    if account.password_hash.is_empty() {
        let issued_at = signed_in_at.unwrap_or(0);
        if Utc::now().timestamp() - issued_at > FRESH_SIGN_IN_SECS {
            return Err(ApiError::unauthorized(
                "Please sign in again, then delete your account within 10 minutes",
            ));
        }
        return Ok(());
    }
    let given = body.password.filter(|p| !p.is_empty());
    let given = given
        .ok_or_else(|| ApiError::bad_request("Password is required to delete your account"))?;
    if !password::verify(given, account.password_hash.clone()).await? {
        audit::record(
            &state.db,
            Event::SignInFailed {
                user_id: Some(&account.id),
                method: "delete_confirmation",
            },
        )
        .await;
        return Err(ApiError::unauthorized("Incorrect password"));
    }
    Ok(())
}

/// `iat` of the request's (already verified) bearer token.
fn bearer_issued_at(state: &AppState, headers: &HeaderMap) -> Option<i64> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    state.jwt.verify(token).map(|claims| claims.iat)
}

/// The profile's `user`: the account, its profile fields at the top level, and its figures.
async fn profile_user(state: &AppState, account: UserRow) -> ApiResult<ProfileUser> {
    let entries = journal::all_for_user(&state.db, &account.id).await?;
    let facts = entry_facts(&entries);
    let zone = zone::stored_timezone(&account.timezone);
    Ok(ProfileUser {
        account: UserView::from(&account),
        streak: analytics::streak(facts.iter().map(|f| f.at), Utc::now(), zone),
        total_entries: entries.len(),
        average_mood: analytics::average_mood(facts.iter()).unwrap_or(0.0),
        avatar: account.avatar,
        bio: account.bio,
        timezone: account.timezone,
    })
}
