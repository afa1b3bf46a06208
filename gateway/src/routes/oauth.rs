//! `POST /api/auth/google` and `POST /api/auth/github` (contract §2.3, §2.4): sign in with a
//! provider, find the account by the provider-verified email or create one without a password,
//! and answer exactly as a password login does (`{success, token, refresh_token, user}`).
//!
//! The GitHub route requires `code`; the original's branch that accepted a bare email (and so
//! signed anyone in as anyone) does not exist here.

use std::sync::Arc;

use axum::{Extension, Json, Router, extract::State, routing::post};
use serde_json::Value;

use crate::{
    audit::{self, Event},
    auth::refresh,
    config::Config,
    error::{ApiError, ApiResult},
    extract::JsonBody,
    oauth::{self, OAuthConfig, OAuthError, VerifiedIdentity, google::GoogleVerifier},
    routes::auth::{SessionResponse, default_avatar, session},
    state::AppState,
    store::{self, users},
};

/// The providers' clients and Google's key cache, one per application.
#[derive(Debug)]
pub struct Providers {
    client: reqwest::Client,
    config: OAuthConfig,
    google: GoogleVerifier,
}

/// The OAuth routes, with their provider clients built from `config`.
pub fn router(config: &Config) -> Router<AppState> {
    let client = oauth::http_client();
    let providers = Providers {
        google: GoogleVerifier::new(client.clone(), config.oauth.clone()),
        config: config.oauth.clone(),
        client,
    };
    Router::new()
        .route("/api/auth/google", post(google))
        .route("/api/auth/github", post(github))
        .layer(Extension(Arc::new(providers)))
}

/// `POST /api/auth/google` body.
#[allow(dead_code)] // documents the field `string_field` reads
#[derive(Debug, utoipa::ToSchema)]
pub struct GoogleRequest {
    /// The Google ID token `@react-oauth/google` hands the frontend.
    #[schema(pattern = r"\S")]
    pub credential: String,
}

/// `POST /api/auth/github` body.
#[allow(dead_code)] // documents the fields `string_field` reads
#[derive(Debug, utoipa::ToSchema)]
pub struct GithubRequest {
    /// The authorization code GitHub redirected back with.
    #[schema(pattern = r"\S")]
    pub code: String,
    /// Ignored (the frontend checks it).
    pub state: Option<String>,
}

#[utoipa::path(post, path = "/api/auth/google", tag = "auth",
    request_body = GoogleRequest,
    responses((status = 200, body = SessionResponse, description = "Signed in; the account is made on first sign-in"),
              (status = 400, description = "No credential, or an invalid, expired, wrongly addressed or unverified one"),
              (status = 503, description = "Google sign-in not configured, or Google unreachable")))]
pub async fn google(
    State(state): State<AppState>,
    Extension(providers): Extension<Arc<Providers>>,
    JsonBody(body): JsonBody<Option<Value>>,
) -> ApiResult<Json<SessionResponse>> {
    let credential = string_field(body.as_ref(), "credential")
        .ok_or_else(|| ApiError::bad_request("No credential provided"))?;
    let identity = providers.google.verify(&credential).await;
    finish(&state, identity, "google").await
}

#[utoipa::path(post, path = "/api/auth/github", tag = "auth",
    request_body = GithubRequest,
    responses((status = 200, body = SessionResponse, description = "Signed in; the account is made on first sign-in"),
              (status = 400, description = "No code, or a code GitHub refuses, or no verified primary email"),
              (status = 503, description = "GitHub sign-in not configured, or GitHub unreachable")))]
pub async fn github(
    State(state): State<AppState>,
    Extension(providers): Extension<Arc<Providers>>,
    JsonBody(body): JsonBody<Option<Value>>,
) -> ApiResult<Json<SessionResponse>> {
    let code = string_field(body.as_ref(), "code")
        .ok_or_else(|| ApiError::bad_request("Authorization code is required"))?;
    let identity = oauth::github::sign_in(&providers.client, &providers.config, &code, None).await;
    finish(&state, identity, "github").await
}

/// A non-blank string field of a JSON object body.
fn string_field(body: Option<&Value>, name: &str) -> Option<String> {
    let value = body?.get(name)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Audits the outcome and, on success, opens a session for the identity's account.
async fn finish(
    state: &AppState,
    identity: Result<VerifiedIdentity, OAuthError>,
    method: &'static str,
) -> ApiResult<Json<SessionResponse>> {
    let user = signed_in_account(state, identity, method).await?;
    session(state, &user).await
}

/// Audits a provider sign-in and, on success, records it and returns the identity's account;
/// the API and the web app's sign-in share it.
pub(crate) async fn signed_in_account(
    state: &AppState,
    identity: Result<VerifiedIdentity, OAuthError>,
    method: &'static str,
) -> ApiResult<users::UserRow> {
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => {
            audit::record(
                &state.db,
                Event::SignInFailed {
                    user_id: None,
                    method,
                },
            )
            .await;
            return Err(match e {
                OAuthError::Refused(msg) => ApiError::BadRequest(msg),
                OAuthError::Unavailable(msg) => ApiError::Unavailable(msg),
            });
        }
    };
    let user = account_for(state, &identity).await?;
    users::record_login(&state.db, &user.id, &store::now()).await?;
    audit::record(
        &state.db,
        Event::SignIn {
            user_id: &user.id,
            method,
        },
    )
    .await;
    Ok(user)
}

/// The account with the verified email (linking a provider to an existing account only ever
/// happens through an email the provider verified), or a new one without a password.
async fn account_for(state: &AppState, identity: &VerifiedIdentity) -> ApiResult<users::UserRow> {
    if let Some(user) = users::by_email(&state.db, &identity.email).await? {
        return Ok(user);
    }
    let id = refresh::random_id();
    let avatar = default_avatar(&identity.first_name, &identity.last_name);
    let new = users::NewUser {
        id: &id,
        email: &identity.email,
        first_name: &identity.first_name,
        last_name: &identity.last_name,
        // No password: a password login can never match an empty hash.
        password_hash: "",
        avatar: &avatar,
        created_at: &store::now(),
    };
    // `false` means a concurrent sign-in created it first; read that one.
    users::insert(&state.db, &new).await?;
    users::by_email(&state.db, &identity.email)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished after insert"))
}
