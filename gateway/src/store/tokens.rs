//! Queries on `refresh_tokens`: issue, spend once (recording the successor), revoke a family,
//! and whether a session (family) is still live for its access tokens.

use sqlx::FromRow;

use super::Db;

/// A stored refresh token (its hash only).
#[derive(Debug, Clone, FromRow)]
pub struct RefreshRow {
    pub id: i64,
    pub family_id: String,
    pub user_id: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// The sealed token this one was exchanged for, once spent.
    pub successor: Option<String>,
}

/// Stores a new token of `family_id`.
pub async fn insert(
    db: &Db,
    token_hash: &str,
    family_id: &str,
    user_id: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(user_id)
    .bind(created_at)
    .bind(expires_at)
    .execute(db.writer())
    .await
    .map(|_| ())
}

/// The token with this hash, spent or not.
pub async fn find(db: &Db, token_hash: &str) -> Result<Option<RefreshRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, family_id, user_id, expires_at, used_at, revoked_at, successor \
         FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await
}

/// Marks the token spent, recording its sealed `successor`. `false` when it was already spent
/// or revoked: the check and the write are one statement, so two concurrent refreshes with one
/// token cannot both win.
pub async fn spend(db: &Db, id: i64, at: &str, successor: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1, successor = $2 \
         WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(successor)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Removes a token that was stored but never handed out (its rotation lost a race).
pub async fn delete(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM refresh_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.writer())
        .await
        .map(|_| ())
}

/// Whether the user's session `family_id` may still be used: some token of it is unrevoked.
/// Revoking a family revokes all of its tokens, and deleting the user deletes them.
pub async fn session_is_live(db: &Db, user_id: &str, family_id: &str) -> Result<bool, sqlx::Error> {
    let live: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM refresh_tokens \
         WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL LIMIT 1",
    )
    .bind(family_id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(live.is_some())
}

/// Revokes every token of the family (logout, or reuse of a spent token).
pub async fn revoke_family(db: &Db, family_id: &str, at: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(family_id)
    .execute(db.writer())
    .await
    .map(|_| ())
}
