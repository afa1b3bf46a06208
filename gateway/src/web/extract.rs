//! The extractors of the web app's requests: [`WebUser`] (a live session, else a redirect to
//! `/signin`), [`MaybeWebUser`], and the form extractors that check the CSRF token before
//! anything else is read: [`CsrfForm`] (signed in) and [`PreForm`] (the sign-in forms).

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::request::Parts,
};
use serde::{Deserialize, de::DeserializeOwned};

use super::{WebError, keys, session::constant_eq};
use crate::{auth::AuthUser, state::AppState, store::tokens};

/// The signed-in person of a page request. Without a live session the request is redirected
/// to `/signin` (see [`WebError::SignIn`]).
#[derive(Debug, Clone)]
pub struct WebUser {
    /// The user and session as the API's handlers take them.
    pub auth: AuthUser,
    /// The CSRF token this session's forms carry.
    pub csrf: String,
    /// When the person signed in (Unix seconds): a recent sign-in confirms deleting an account
    /// without a password.
    pub signed_in_at: i64,
}

impl WebUser {
    /// The signed-in person, `None` without a live session.
    pub async fn of(parts: &Parts, state: &AppState) -> Result<Option<Self>, WebError> {
        let keys = keys(state);
        let Some(session) = keys.read_session(&parts.headers) else {
            return Ok(None);
        };
        let (user_id, family) = (session.user_id, session.family);
        if !tokens::session_is_live(&state.db, &user_id, &family).await? {
            return Ok(None);
        }
        let csrf = keys.csrf(&family);
        Ok(Some(Self {
            auth: AuthUser {
                id: user_id,
                // No API handler the pages call reads the email; a query for it on every page
                // would buy nothing.
                email: String::new(),
                session: family,
            },
            csrf,
            signed_in_at: session.started_at,
        }))
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        Self::of(parts, state).await?.ok_or(WebError::SignIn)
    }
}

/// The signed-in person, or `None`: for pages anyone may see.
#[derive(Debug, Clone)]
pub struct MaybeWebUser(pub Option<WebUser>);

impl FromRequestParts<AppState> for MaybeWebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        WebUser::of(parts, state).await.map(Self)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Token {
    csrf_token: String,
}

/// A signed-in form post whose `csrf_token` matches the session: the person and the form.
/// Checked before the form is read further, so a forged post changes nothing (403).
#[derive(Debug)]
pub struct CsrfForm<T>(pub WebUser, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let user = WebUser::from_request_parts(&mut parts, state).await?;
        let bytes = read_body(Request::from_parts(parts, body), state).await?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if !constant_eq(&token.csrf_token, &user.csrf) {
            return Err(WebError::Csrf);
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| WebError::BadForm)?;
        Ok(Self(user, form))
    }
}

/// A sign-in or sign-up post whose `csrf_token` matches the pre-session cookie.
#[derive(Debug)]
pub struct PreForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for PreForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let headers = request.headers().clone();
        let bytes = read_body(request, state).await?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if !keys(state).pre_csrf_ok(&headers, &token.csrf_token) {
            return Err(WebError::Csrf);
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| WebError::BadForm)?;
        Ok(Self(form))
    }
}

async fn read_body(request: Request, state: &AppState) -> Result<Bytes, WebError> {
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|_| WebError::BadForm)?;
    // PostgreSQL cannot store a NUL in text (the API refuses it the same way).
    match bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00")) {
        true => Err(WebError::BadForm),
        false => Ok(bytes),
    }
}
