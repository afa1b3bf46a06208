//! `/api/auth/*`: register, login, refresh, logout, me.
//!
//! Register and login answer the contract's `{success, token, user}` (plus `refresh_token` and
//! `expires_in`); refresh rotates the refresh token, and presenting an already spent one
//! revokes its whole family (a stolen token's thief and victim are both logged out) and with
//! it the family's access tokens. A repeat within `REFRESH_GRACE_SECS` of the spend (two tabs
//! refreshing at once) gets the same new refresh token instead.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use chrono::{Duration as ChronoDuration, Utc};

mod wire;

pub use wire::{
    LoginRequest, MeResponse, ProfileView, RefreshRequest, RegisterRequest, SessionResponse,
    UserView,
};

use crate::{
    audit::{self, Event},
    auth::{AuthUser, password, refresh},
    error::{ApiError, ApiResult},
    extract::JsonBody,
    limit::Decision,
    routes::wire::Done,
    state::AppState,
    store::{
        self, tokens,
        users::{self, UserRow},
    },
};

/// The one answer for an unknown email and a wrong password, so neither is revealed.
const BAD_CREDENTIALS: &str = "Invalid email or password";
const MIN_PASSWORD: usize = 6;
const MAX_PASSWORD: usize = 128;
const MAX_NAME: usize = 100;
const MAX_EMAIL: usize = 254;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh_tokens))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
}

#[utoipa::path(post, path = "/api/auth/register", request_body = RegisterRequest, tag = "auth",
    responses((status = 200, description = "Registered and signed in", body = SessionResponse),
              (status = 400, description = "A field missing or invalid; the message says which"),
              (status = 409, description = "Email taken")))]
pub async fn register(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Option<RegisterRequest>>,
) -> ApiResult<Json<SessionResponse>> {
    let body = body.ok_or_else(|| ApiError::bad_request("No data provided"))?;
    let user = create_account(&state, body).await?;
    session(&state, &user).await
}

/// Validates a registration and creates the account (409 when the email is taken); the API
/// and the web sign-up share it.
pub(crate) async fn create_account(state: &AppState, body: RegisterRequest) -> ApiResult<UserRow> {
    let new = validate_registration(body)?;
    let hash = password::hash(new.password.clone()).await?;
    let id = refresh::random_id();
    let created_at = store::now();
    let avatar = default_avatar(&new.first_name, &new.last_name);
    let row = users::NewUser {
        id: &id,
        email: &new.email,
        first_name: &new.first_name,
        last_name: &new.last_name,
        password_hash: &hash,
        avatar: &avatar,
        created_at: &created_at,
    };
    if !users::insert(&state.db, &row).await? {
        return Err(ApiError::Conflict("User already exists".into()));
    }
    users::by_id(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))
}

#[utoipa::path(post, path = "/api/auth/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, description = "Signed in", body = SessionResponse),
              (status = 400, description = "Email or password missing"),
              (status = 401, description = "Invalid email or password")))]
pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Option<LoginRequest>>,
) -> ApiResult<Json<SessionResponse>> {
    let body = body.ok_or_else(|| ApiError::bad_request("No data provided"))?;
    let user = authenticate(
        &state,
        body.email.as_deref(),
        body.password.unwrap_or_default(),
    )
    .await?;
    session(&state, &user).await
}

/// The account whose password `password` is, after the per-account sign-in limit, with the
/// audit log's record either way; the API and the web sign-in share it.
pub(crate) async fn authenticate(
    state: &AppState,
    email: Option<&str>,
    password: String,
) -> ApiResult<UserRow> {
    let email = normalise_email(email);
    if email.is_empty() || password.is_empty() {
        return Err(ApiError::bad_request("Email and password are required"));
    }
    limit_account(state, &email).await?;
    let user = users::by_email(&state.db, &email).await?;
    // Verify against a dummy hash for unknown emails: the same work, the same answer.
    let phc = user.as_ref().map_or_else(
        || password::dummy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let matches = password::verify(password, phc).await?;
    if !matches {
        let known = user.as_ref().map(|u| u.id.as_str());
        let failed = Event::SignInFailed {
            user_id: known,
            method: "password",
        };
        audit::record(&state.db, failed).await;
    }
    let user = user
        .filter(|_| matches)
        .ok_or_else(|| ApiError::unauthorized(BAD_CREDENTIALS))?;
    users::record_login(&state.db, &user.id, &store::now()).await?;
    audit::record(
        &state.db,
        Event::SignIn {
            user_id: &user.id,
            method: "password",
        },
    )
    .await;
    Ok(user)
}

/// 429 when the account `email` names has had its quota of sign-in attempts, from whatever
/// addresses they came.
pub(crate) async fn limit_account(state: &AppState, email: &str) -> ApiResult<()> {
    let limiter = &state.platform.rate_limit.limiter;
    match limiter.check_login_account(email).await {
        Decision::Decided { outcome, .. } if !outcome.allowed => Err(ApiError::TooManyRequests {
            retry_after_secs: outcome.retry_after.as_secs_f64().ceil().max(1.0) as u64,
        }),
        Decision::Unavailable => Err(ApiError::Unavailable(
            "Rate limiting is temporarily unavailable".into(),
        )),
        _ => Ok(()),
    }
}

#[utoipa::path(post, path = "/api/auth/refresh", request_body = RefreshRequest, tag = "auth",
    responses((status = 200, description = "A new access token and refresh token", body = SessionResponse),
              (status = 400, description = "refresh_token missing"),
              (status = 401, description = "Invalid, expired, revoked or reused refresh token")))]
pub async fn refresh_tokens(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Option<RefreshRequest>>,
) -> ApiResult<Json<SessionResponse>> {
    let token = required_refresh_token(body)?;
    let mut row = live_refresh_token(&state, &token).await?;
    let user = users::by_id(&state.db, &row.user_id)
        .await?
        .ok_or_else(invalid_refresh)?;
    if row.used_at.is_none() {
        if let Some(next) = rotate(&state, &row, &token).await? {
            return respond(&state, &user, &row.family_id, next);
        }
        // A concurrent refresh with the same token won: read what it recorded.
        row = live_refresh_token(&state, &token).await?;
    }
    match successor_in_grace(&state, &row, &token).await? {
        Some(next) => respond(&state, &user, &row.family_id, next),
        None => Err(revoke_reused(&state, &row).await?),
    }
}

fn invalid_refresh() -> ApiError {
    ApiError::unauthorized("Invalid or expired refresh token")
}

/// The stored row of `token`, when it is neither unknown, revoked nor expired.
async fn live_refresh_token(state: &AppState, token: &str) -> ApiResult<tokens::RefreshRow> {
    let row = tokens::find(&state.db, &refresh::digest(token))
        .await?
        .ok_or_else(invalid_refresh)?;
    match row.revoked_at.is_some() || row.expires_at <= store::now() {
        true => Err(invalid_refresh()),
        false => Ok(row),
    }
}

/// Stores the family's next token, then spends `spent` recording it; `None` (and the stored
/// token removed) when a concurrent refresh spent it first. Storing first means a token another
/// request reads as the successor always exists.
async fn rotate(
    state: &AppState,
    row: &tokens::RefreshRow,
    spent: &str,
) -> ApiResult<Option<String>> {
    let next = store_next(state, &row.user_id, &row.family_id).await?;
    let sealed = refresh::seal(spent, &next);
    if tokens::spend(&state.db, row.id, &store::now(), &sealed).await? {
        return Ok(Some(next));
    }
    tokens::delete(&state.db, &refresh::digest(&next)).await?;
    Ok(None)
}

/// The token `spent` was exchanged for, when that happened within `REFRESH_GRACE_SECS` and the
/// successor is still live; `None` means a reuse.
async fn successor_in_grace(
    state: &AppState,
    row: &tokens::RefreshRow,
    spent: &str,
) -> ApiResult<Option<String>> {
    let spent_at = row.used_at.as_deref().map(store::parse_timestamp);
    let grace = ChronoDuration::from_std(state.config.refresh_grace).map_err(ApiError::internal)?;
    if spent_at.is_none_or(|at| Utc::now() - at >= grace) {
        return Ok(None);
    }
    let Some(next) = row
        .successor
        .as_deref()
        .and_then(|s| refresh::unseal(spent, s))
    else {
        return Ok(None);
    };
    let live = tokens::find(&state.db, &refresh::digest(&next)).await?;
    Ok(live.filter(|r| r.revoked_at.is_none()).map(|_| next))
}

/// A spent token presented again, outside the grace: it was stolen, so the whole family (and
/// its access tokens) is revoked. Returns the 401 to answer.
async fn revoke_reused(state: &AppState, row: &tokens::RefreshRow) -> ApiResult<ApiError> {
    tracing::warn!(family = %row.family_id, "refresh token reused: revoking its family");
    tokens::revoke_family(&state.db, &row.family_id, &store::now()).await?;
    let reuse = Event::RefreshReuse {
        user_id: &row.user_id,
    };
    audit::record(&state.db, reuse).await;
    Ok(invalid_refresh())
}

#[utoipa::path(post, path = "/api/auth/logout", request_body = RefreshRequest, tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The refresh token's family and the calling session are revoked", body = Done),
              (status = 400, description = "refresh_token missing")))]
pub async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<Option<RefreshRequest>>,
) -> ApiResult<Json<Done>> {
    let token = required_refresh_token(body)?;
    let now = store::now();
    if let Some(row) = tokens::find(&state.db, &refresh::digest(&token)).await? {
        // Someone else's token is left alone, and the answer does not say whether it exists.
        if row.user_id == user.id {
            tokens::revoke_family(&state.db, &row.family_id, &now).await?;
        }
    }
    // The session of the access token that signs out ends too, whatever refresh token is sent.
    tokens::revoke_family(&state.db, &user.session, &now).await?;
    Ok(Json(Done::new("Logged out successfully")))
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, description = "No valid token")))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<MeResponse>> {
    let row = users::by_id(&state.db, &user.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("Invalid or expired token"))?;
    Ok(Json(MeResponse {
        success: true,
        user: UserView::from(&row),
    }))
}

/// Starts a session: a new refresh-token family, its first token and an access token.
pub(crate) async fn session(state: &AppState, user: &UserRow) -> ApiResult<Json<SessionResponse>> {
    let (family, refresh_token) = start_family(state, &user.id).await?;
    respond(state, user, &family, refresh_token)
}

/// A new refresh-token family of `user_id` with its first token: `(family, token)`. A web
/// session is such a family too, so signing out and reuse detection treat both alike.
pub(crate) async fn start_family(state: &AppState, user_id: &str) -> ApiResult<(String, String)> {
    let family = refresh::random_id();
    let refresh_token = store_next(state, user_id, &family).await?;
    Ok((family, refresh_token))
}

/// Stores a new refresh token of `family` and returns it.
async fn store_next(state: &AppState, user_id: &str, family: &str) -> ApiResult<String> {
    let refresh_token = refresh::generate();
    let now = Utc::now();
    let ttl =
        ChronoDuration::from_std(state.config.refresh_token_ttl).map_err(ApiError::internal)?;
    let (created, expires) = (store::timestamp(now), store::timestamp(now + ttl));
    let hash = refresh::digest(&refresh_token);
    tokens::insert(&state.db, &hash, family, user_id, &created, &expires).await?;
    Ok(refresh_token)
}

/// The sign-in answer: a new access token of session `family`, and `refresh_token`.
fn respond(
    state: &AppState,
    user: &UserRow,
    family: &str,
    refresh_token: String,
) -> ApiResult<Json<SessionResponse>> {
    let (token, expires_in) = state.jwt.issue(&user.id, &user.email, family);
    Ok(Json(SessionResponse {
        success: true,
        token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
        user: UserView::from(user),
    }))
}

fn required_refresh_token(body: Option<RefreshRequest>) -> ApiResult<String> {
    body.and_then(|b| b.refresh_token)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("refresh_token is required"))
}

/// A registration refused, naming the form field at fault (the web form shows the message
/// beside it; the API answers it as a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// `email`, `password` or `first_name`.
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::BadRequest(e.message)
    }
}

/// A registration that passed validation.
pub(crate) struct NewAccount {
    email: String,
    password: String,
    first_name: String,
    last_name: String,
}

pub(crate) fn validate_registration(body: RegisterRequest) -> Result<NewAccount, FieldError> {
    let email = normalise_email(body.email.as_deref());
    let password = body.password.unwrap_or_default();
    let (first_name, last_name) = names(body.first_name, body.last_name, body.name);
    if email.is_empty() || password.is_empty() {
        let field = if email.is_empty() {
            "email"
        } else {
            "password"
        };
        return Err(FieldError::new(field, "Email and password are required"));
    }
    if first_name.is_empty() {
        return Err(FieldError::new(
            "first_name",
            "Email, password, and name are required",
        ));
    }
    if email.chars().count() > MAX_EMAIL || !plausible_email(&email) {
        return Err(FieldError::new("email", "Invalid email address"));
    }
    let length = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
        return Err(FieldError::new(
            "password",
            format!("Password must be between {MIN_PASSWORD} and {MAX_PASSWORD} characters"),
        ));
    }
    if first_name.chars().count() > MAX_NAME || last_name.chars().count() > MAX_NAME {
        let field = if first_name.chars().count() > MAX_NAME {
            "first_name"
        } else {
            "last_name"
        };
        return Err(FieldError::new(
            field,
            format!("Names must be at most {MAX_NAME} characters"),
        ));
    }
    Ok(NewAccount {
        email,
        password,
        first_name,
        last_name,
    })
}

/// First and last name, from the two fields or, when both are empty, `name` split at its
/// first space.
fn names(first: Option<String>, last: Option<String>, name: Option<String>) -> (String, String) {
    let first = first.unwrap_or_default().trim().to_owned();
    let last = last.unwrap_or_default().trim().to_owned();
    if !first.is_empty() || !last.is_empty() {
        return (first, last);
    }
    let name = name.unwrap_or_default();
    let (first, last) = name.trim().split_once(' ').unwrap_or((name.trim(), ""));
    (first.to_owned(), last.trim().to_owned())
}

fn normalise_email(email: Option<&str>) -> String {
    email.unwrap_or_default().trim().to_lowercase()
}

/// One `@` with something on both sides, and no whitespace.
fn plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None)
        if !l.is_empty() && !d.is_empty() && !email.contains(char::is_whitespace))
}

/// The original's default avatar: a ui-avatars.com URL with the user's initials.
pub(crate) fn default_avatar(first: &str, last: &str) -> String {
    let name: String = format!("{first}+{last}")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '+' {
                c
            } else {
                '+'
            }
        })
        .collect();
    format!(
        "https://ui-avatars.com/api/?name={name}&background=667eea&color=fff&size=128&rounded=true"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_single_name_at_the_first_space() {
        let (f, l) = names(None, None, Some("Ada King Lovelace".into()));
        assert_eq!((f.as_str(), l.as_str()), ("Ada", "King Lovelace"));
    }

    #[test]
    fn email_needs_one_at_with_both_sides() {
        assert!(plausible_email("a@b"));
        assert!(!plausible_email("a@"));
        assert!(!plausible_email("a@b@c"));
        assert!(!plausible_email("ab"));
    }
}
