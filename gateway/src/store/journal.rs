//! Queries on `journal_entries`. Every query that reads or changes one entry is scoped by
//! `user_id`, so a handler cannot touch another user's entry by forgetting a check.

use sqlx::FromRow;

use super::Db;

/// `status` of an entry whose scores are in.
pub const SCORED: &str = "scored";
/// `status` of an entry saved while inference was unreachable.
pub const PENDING: &str = "pending";

/// A stored entry.
#[derive(Debug, Clone, FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub user_id: String,
    pub text: String,
    /// A JSON array of strings.
    pub tags: String,
    pub status: String,
    pub sentiment: Option<String>,
    pub confidence: Option<f64>,
    pub mood_score: Option<f64>,
    /// JSON `{positive, neutral, negative}`.
    pub scores: Option<String>,
    /// JSON results of each model; `None` when that model was not loaded.
    pub roberta: Option<String>,
    pub lstm: Option<String>,
    pub date: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The score columns, as written together.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScore {
    pub sentiment: String,
    pub confidence: f64,
    pub mood_score: f64,
    pub scores: String,
    pub roberta: Option<String>,
    pub lstm: Option<String>,
}

/// Which entries a listing covers: `[from, to)` on `date`, as stored timestamps.
#[derive(Debug, Clone, Default)]
pub struct Range {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Range {
    // Bounds that every stored timestamp lies between, so one query serves every filter
    // without typed NULL parameters (PostgreSQL cannot infer the type of `$2 IS NULL`).
    fn bounds(&self) -> (&str, &str) {
        (
            self.from.as_deref().unwrap_or(""),
            self.to.as_deref().unwrap_or("~"),
        )
    }
}

const COLUMNS: &str = "id, user_id, text, tags, status, sentiment, confidence, mood_score, \
                       scores, roberta, lstm, date, created_at, updated_at";

/// Stores a new entry, scored when `score` is given and pending otherwise, and returns it.
pub async fn insert(
    db: &Db,
    user_id: &str,
    text: &str,
    tags: &str,
    score: Option<&StoredScore>,
    at: &str,
) -> Result<EntryRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO journal_entries (user_id, text, tags, status, sentiment, confidence, \
         mood_score, scores, roberta, lstm, date, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11) RETURNING {COLUMNS}"
    );
    let query = sqlx::query_as(&sql).bind(user_id).bind(text).bind(tags);
    bind_score(query, score).bind(at).fetch_one(db.pool()).await
}

/// The caller's entry `id`.
pub async fn get(db: &Db, user_id: &str, id: i64) -> Result<Option<EntryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM journal_entries WHERE id = $1 AND user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await
}

/// A page of the caller's entries in `range`, newest first.
pub async fn list(
    db: &Db,
    user_id: &str,
    range: &Range,
    limit: i64,
    offset: i64,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    let (from, to) = range.bounds();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM journal_entries \
         WHERE user_id = $1 AND date >= $2 AND date < $3 \
         ORDER BY date DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await
}

/// How many of the caller's entries lie in `range`.
pub async fn count(db: &Db, user_id: &str, range: &Range) -> Result<i64, sqlx::Error> {
    let (from, to) = range.bounds();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM journal_entries WHERE user_id = $1 AND date >= $2 AND date < $3",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .fetch_one(db.pool())
    .await
}

/// Rewrites the caller's entry (text, tags and scores together, as a new write is scored
/// anew) and returns it; `None` when it is not theirs.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: i64,
    text: &str,
    tags: &str,
    score: Option<&StoredScore>,
    at: &str,
) -> Result<Option<EntryRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE journal_entries SET text = $1, tags = $2, status = $3, sentiment = $4, \
         confidence = $5, mood_score = $6, scores = $7, roberta = $8, lstm = $9, updated_at = $10 \
         WHERE id = $11 AND user_id = $12 RETURNING {COLUMNS}"
    );
    let query = sqlx::query_as(&sql).bind(text).bind(tags);
    bind_score(query, score)
        .bind(at)
        .bind(id)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
}

/// Deletes the caller's entry; `false` when it is not theirs.
pub async fn delete(db: &Db, user_id: &str, id: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM journal_entries WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Every entry of the caller, newest first (for analytics).
pub async fn all_for_user(db: &Db, user_id: &str) -> Result<Vec<EntryRow>, sqlx::Error> {
    list(db, user_id, &Range::default(), i64::MAX, 0).await
}

/// Up to `limit` pending entries, oldest first: `(id, text, updated_at)`.
pub async fn pending(db: &Db, limit: i64) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, text, updated_at FROM journal_entries WHERE status = $1 \
         ORDER BY id LIMIT $2",
    )
    .bind(PENDING)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Fills in a pending entry's scores, unless it changed since it was read (`updated_at`), so
/// a score never lands on text it was not computed from. `false` when nothing was updated.
pub async fn complete_pending(
    db: &Db,
    id: i64,
    read_at: &str,
    score: &StoredScore,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE journal_entries SET status = $1, sentiment = $2, confidence = $3, \
         mood_score = $4, scores = $5, roberta = $6, lstm = $7 \
         WHERE id = $8 AND status = $9 AND updated_at = $10",
    )
    .bind(SCORED)
    .bind(&score.sentiment)
    .bind(score.confidence)
    .bind(score.mood_score)
    .bind(&score.scores)
    .bind(&score.roberta)
    .bind(&score.lstm)
    .bind(id)
    .bind(PENDING)
    .bind(read_at)
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

type AnyQueryAs<'q> =
    sqlx::query::QueryAs<'q, sqlx::Any, EntryRow, <sqlx::Any as sqlx::Database>::Arguments<'q>>;

/// Binds status and the six score columns, NULL when pending.
fn bind_score<'q>(query: AnyQueryAs<'q>, score: Option<&'q StoredScore>) -> AnyQueryAs<'q> {
    let status = if score.is_some() { SCORED } else { PENDING };
    query
        .bind(status)
        .bind(score.map(|s| s.sentiment.as_str()))
        .bind(score.map(|s| s.confidence))
        .bind(score.map(|s| s.mood_score))
        .bind(score.map(|s| s.scores.as_str()))
        .bind(score.and_then(|s| s.roberta.as_deref()))
        .bind(score.and_then(|s| s.lstm.as_deref()))
}
