//! Ownership checks shared by the `/api/users/{user_id}/…` routes and the other per-user routes.
//!
//! The contract's strict option (§3.4): every user-data route needs the caller's own token.
//! An unknown id is 404 and creates nothing; another user's id is 403. Access tokens are
//! stateless, so a token can outlive its account: [`live_account`] turns such a token into 401,
//! which is how deleting an account revokes the access tokens already issued for it.

use crate::{
    auth::AuthUser,
    error::{ApiError, ApiResult},
    state::AppState,
    store::users::{self, UserRow},
};

/// The message of a 403 for another user's id.
pub const NOT_YOURS: &str = "Access denied: you can only access your own data";

/// The account named in the path, when it is the caller's: 404 unknown, 403 someone else's,
/// 401 when the caller's own account is gone.
pub async fn own_account(state: &AppState, caller: &AuthUser, path_id: &str) -> ApiResult<UserRow> {
    if path_id == caller.id {
        return live_account(state, caller).await;
    }
    match users::by_id(&state.db, path_id).await? {
        Some(_) => Err(ApiError::Forbidden(NOT_YOURS.into())),
        None => Err(ApiError::not_found("User not found")),
    }
}

/// The caller's account; 401 when it no longer exists (deleted while a token was still live).
pub async fn live_account(state: &AppState, caller: &AuthUser) -> ApiResult<UserRow> {
    users::by_id(&state.db, &caller.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("Invalid or expired token"))
}
