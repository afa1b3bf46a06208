//! Account-level queries beyond sign-in: profile updates, whole-account deletion and the
//! public counts.

use super::Db;

/// The profile fields a user may change.
#[derive(Debug, Clone)]
pub struct ProfileUpdate<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub avatar: &'a str,
    pub bio: &'a str,
    /// A JSON object.
    pub preferences: &'a str,
    /// An IANA time zone name, already validated.
    pub timezone: &'a str,
}

/// Updates the profile of an existing account; `false` when there is none (nothing is created).
pub async fn update_profile(db: &Db, id: &str, p: &ProfileUpdate<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET first_name = $1, last_name = $2, avatar = $3, bio = $4, preferences = $5, \
         timezone = $6 WHERE id = $7",
    )
    .bind(p.first_name)
    .bind(p.last_name)
    .bind(p.avatar)
    .bind(p.bio)
    .bind(p.preferences)
    .bind(p.timezone)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every table holding rows of a user, children first. Deletion names each one rather than
/// trusting `ON DELETE CASCADE`, which SQLite only honours with foreign keys switched on.
const USER_TABLES: &[&str] = &[
    "test_results",
    "journal_entries",
    "refresh_tokens",
    "audit_log",
];

/// Deletes the account and every row that refers to it, in one transaction; `false` when there
/// was no such account.
pub async fn delete_account(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.writer().begin().await?;
    for table in USER_TABLES {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted.rows_affected() == 1)
}

/// Number of accounts and of journal entries, for the landing page.
pub async fn public_counts(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    let users = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?;
    let entries = sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries")
        .fetch_one(db.pool())
        .await?;
    Ok((users, entries))
}

/// One sign-in session (a refresh-token family member) as exported: never the token hash.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SessionRow {
    pub created_at: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// The user's refresh-token records, oldest first, without their hashes.
pub async fn sessions(db: &Db, user_id: &str) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT created_at, expires_at, used_at, revoked_at FROM refresh_tokens \
         WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await
}
