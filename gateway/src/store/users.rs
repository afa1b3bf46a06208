//! Queries on `users`.

use sqlx::FromRow;

use super::Db;

/// A stored account.
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: String,
    pub avatar: String,
    pub bio: String,
    /// A JSON object.
    pub preferences: String,
    /// An IANA time zone name: the person's days are days there.
    pub timezone: String,
    pub created_at: String,
    pub last_login: Option<String>,
}

/// What registration stores.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: &'a str,
    pub avatar: &'a str,
    pub created_at: &'a str,
}

const COLUMNS: &str = "id, email, first_name, last_name, password_hash, avatar, bio, \
                       preferences, timezone, created_at, last_login";

/// Inserts `user`; `Ok(false)` when the email is taken.
pub async fn insert(db: &Db, user: &NewUser<'_>) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO users (id, email, first_name, last_name, password_hash, avatar, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user.id)
    .bind(user.email)
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(user.password_hash)
    .bind(user.avatar)
    .bind(user.created_at)
    .execute(db.writer())
    .await;
    match result {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// The account with this (already lower-cased) email.
pub async fn by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(db.pool())
        .await
}

/// The account with this id.
pub async fn by_id(db: &Db, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// Stamps a successful login.
pub async fn record_login(db: &Db, id: &str, at: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_login = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(db.writer())
        .await
        .map(|_| ())
}
