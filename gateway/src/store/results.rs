//! Queries on `test_results`. Every read is scoped by `user_id`.

use sqlx::FromRow;

use super::Db;

/// A stored, scored submission.
#[derive(Debug, Clone, FromRow)]
pub struct ResultRow {
    pub id: i64,
    pub user_id: String,
    pub test_id: i64,
    pub total_score: i64,
    pub severity_level: String,
    /// JSON array of `{question_number, value}`, in question order.
    pub answers: String,
    /// JSON trait scores (Big Five only).
    pub trait_scores: Option<String>,
    /// 0 or 1.
    pub has_crisis_indicators: i64,
    pub completed_at: String,
}

/// What a submission stores.
#[derive(Debug, Clone)]
pub struct NewResult<'a> {
    pub user_id: &'a str,
    pub test_id: i64,
    pub total_score: i64,
    pub severity_level: &'a str,
    pub answers: &'a str,
    pub trait_scores: Option<&'a str>,
    pub crisis: bool,
    pub completed_at: &'a str,
}

const COLUMNS: &str = "id, user_id, test_id, total_score, severity_level, answers, trait_scores, \
                       has_crisis_indicators, completed_at";

/// Stores `result` and returns its id.
pub async fn insert(db: &Db, result: &NewResult<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO test_results (user_id, test_id, total_score, severity_level, answers, \
         trait_scores, has_crisis_indicators, completed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(result.user_id)
    .bind(result.test_id)
    .bind(result.total_score)
    .bind(result.severity_level)
    .bind(result.answers)
    .bind(result.trait_scores)
    .bind(i64::from(result.crisis))
    .bind(result.completed_at)
    .fetch_one(db.writer())
    .await
}

/// The user's results, newest first; only `test_id`'s when given. Ties on the timestamp
/// (two submissions in one millisecond) fall back to insertion order.
pub async fn for_user(
    db: &Db,
    user_id: &str,
    test_id: Option<i64>,
) -> Result<Vec<ResultRow>, sqlx::Error> {
    // A filter of 0 matches every test (ids start at 1), so one statement serves both cases
    // without a typed NULL parameter.
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM test_results WHERE user_id = $1 AND ($2 = 0 OR test_id = $2) \
         ORDER BY completed_at DESC, id DESC"
    ))
    .bind(user_id)
    .bind(test_id.unwrap_or(0))
    .fetch_all(db.pool())
    .await
}

/// How many results the user has.
pub async fn count_for_user(db: &Db, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM test_results WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await
}
