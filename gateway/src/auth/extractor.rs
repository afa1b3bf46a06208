//! The extractors that authenticate a request from its `Authorization: Bearer` header.

use axum::{extract::FromRequestParts, http::HeaderMap, http::request::Parts};

use crate::{error::ApiError, state::AppState, store::tokens};

use super::JwtKeys;

/// The authenticated caller. Taking it as a handler argument makes the route require a valid
/// access token (401 otherwise, with the contract's messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The 32-hex user id.
    pub id: String,
    pub email: String,
    /// The session the token belongs to (its refresh-token family): signing out revokes it.
    pub session: String,
}

/// The caller when a token is sent, `None` when no `Authorization` header is: for routes that
/// also serve anonymous callers. A header that is sent but invalid is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl AuthUser {
    /// The caller named by `headers`: `Ok(None)` without an `Authorization` header, 401 for a
    /// malformed header or an invalid token. The rate limiter uses this to key by user.
    pub fn from_headers(headers: &HeaderMap, keys: &JwtKeys) -> Result<Option<Self>, ApiError> {
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            return Ok(None);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("Invalid authorization header format. Use: Bearer <token>")
            })?;
        let claims = keys
            .verify(token)
            .ok_or_else(|| ApiError::unauthorized("Invalid or expired token"))?;
        Ok(Some(Self {
            id: claims.user_id,
            email: claims.email,
            session: claims.sid,
        }))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = Self::from_headers(&parts.headers, &state.jwt)?
            .ok_or_else(|| ApiError::unauthorized("Authorization header missing"))?;
        // One indexed query per request (it replaces the account lookup this check grew
        // from): signing out, a reused refresh token and deleting the account (whose tokens
        // go with it) all end the session, so its access tokens stop working at once and on
        // every replica. A cache would let a revoked token live on for its lifetime.
        match tokens::session_is_live(&state.db, &user.id, &user.session).await? {
            true => Ok(user),
            false => Err(ApiError::unauthorized("Invalid or expired token")),
        }
    }
}

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match parts.headers.contains_key(http::header::AUTHORIZATION) {
            true => AuthUser::from_request_parts(parts, state).await.map(Some),
            false => Ok(None),
        }
        .map(Self)
    }
}
