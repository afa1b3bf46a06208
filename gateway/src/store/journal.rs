//! Queries on `journal_entries`. Every query that reads or changes one entry is scoped by
//! `user_id`, so a handler cannot touch another user's entry by forgetting a check.

use sqlx::FromRow;

use super::Db;

/// `status` of an entry whose scores are in.
pub const SCORED: &str = "scored";
/// `status` of an entry saved while inference was unreachable.
pub const PENDING: &str = "pending";
/// `status` of an entry without text (an imported self-rated mood): nothing to score, so
/// never pending.
pub const UNSCORED: &str = "unscored";
/// `status` of an entry inference refused, or failed on alone too often: not retried until its
/// owner edits it.
pub const FAILED: &str = "failed";

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
    /// The person's own rating, 1 (awful) to 5 (great).
    pub self_mood: Option<i64>,
    pub date: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What a write sets: the entry's content, its date and its scores (`None`: not scored).
#[derive(Debug, Clone, Copy)]
pub struct EntryWrite<'a> {
    pub text: &'a str,
    /// A JSON array of strings.
    pub tags: &'a str,
    pub self_mood: Option<i64>,
    /// The moment the entry is about (a stored timestamp; back-dated entries differ from
    /// `created_at`).
    pub date: &'a str,
    pub score: Option<&'a StoredScore>,
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

pub(crate) const COLUMNS: &str = "id, user_id, text, tags, status, sentiment, confidence, \
                       mood_score, scores, roberta, lstm, self_mood, date, created_at, updated_at";

/// Stores a new entry, scored when `entry.score` is given and pending otherwise, created `at`,
/// and returns it.
pub async fn insert(
    db: &Db,
    user_id: &str,
    entry: &EntryWrite<'_>,
    at: &str,
) -> Result<EntryRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO journal_entries (user_id, text, tags, status, sentiment, confidence, \
         mood_score, scores, roberta, lstm, self_mood, date, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {COLUMNS}"
    );
    let query = sqlx::query_as(&sql).persistent(false).bind(user_id);
    // `fetch_all`, not `fetch_one`: PostgreSQL sends the returned row before the statement's
    // implicit commit, and `fetch_one` stops reading at the row. A connection killed in between
    // would answer 201 for an entry that was rolled back; reading to the end waits for the
    // commit (or its failure, a 503).
    let rows = bind_entry(query, entry)
        .bind(at)
        .fetch_all(db.writer())
        .await?;
    rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)
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

/// Rewrites the caller's entry (content and scores together, as a new text is scored anew)
/// and returns it; `None` when it is not theirs.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: i64,
    entry: &EntryWrite<'_>,
    at: &str,
) -> Result<Option<EntryRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE journal_entries SET text = $1, tags = $2, status = $3, sentiment = $4, \
         confidence = $5, mood_score = $6, scores = $7, roberta = $8, lstm = $9, \
         self_mood = $10, date = $11, updated_at = $12, score_attempts = 0 \
         WHERE id = $13 AND user_id = $14 RETURNING {COLUMNS}"
    );
    bind_entry(sqlx::query_as(&sql).persistent(false), entry)
        .bind(at)
        .bind(id)
        .bind(user_id)
        .fetch_all(db.writer())
        .await
        .map(|rows| rows.into_iter().next())
}

/// Deletes the caller's entry; `false` when it is not theirs.
pub async fn delete(db: &Db, user_id: &str, id: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM journal_entries WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db.writer())
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
    .execute(db.writer())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Counts a failed attempt at scoring a pending entry (unless it changed since it was read),
/// and marks it failed once `give_up_at` attempts have failed. `true` when it is now failed.
pub async fn record_failed_attempt(
    db: &Db,
    id: i64,
    read_at: &str,
    give_up_at: i64,
) -> Result<bool, sqlx::Error> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE journal_entries SET score_attempts = score_attempts + 1, \
         status = CASE WHEN score_attempts + 1 >= $1 THEN $2 ELSE status END \
         WHERE id = $3 AND status = $4 AND updated_at = $5 RETURNING status",
    )
    .bind(give_up_at)
    .bind(FAILED)
    .bind(id)
    .bind(PENDING)
    .bind(read_at)
    .fetch_optional(db.writer())
    .await?;
    Ok(status.as_deref() == Some(FAILED))
}

pub(crate) type AnyQueryAs<'q, O = EntryRow> =
    sqlx::query::QueryAs<'q, sqlx::Any, O, <sqlx::Any as sqlx::Database>::Arguments<'q>>;

/// The status a write leaves: scored with scores, unscored without text, else pending.
pub fn status_of(entry: &EntryWrite<'_>) -> &'static str {
    match (entry.score, entry.text.is_empty()) {
        (Some(_), _) => SCORED,
        (None, true) => UNSCORED,
        (None, false) => PENDING,
    }
}

/// Binds text, tags, status, the six score columns (NULL unless scored), self_mood and date.
///
/// Queries using it must not be persistent (`.persistent(false)`): sqlx 0.8's Any driver
/// declares a NULL double as PostgreSQL `float4`, so a statement cached after a pending write
/// would refuse the next scored write's 8-byte double ("incorrect binary data format").
pub(crate) fn bind_entry<'q, O>(
    query: AnyQueryAs<'q, O>,
    entry: &EntryWrite<'q>,
) -> AnyQueryAs<'q, O> {
    let score = entry.score;
    query
        .bind(entry.text)
        .bind(entry.tags)
        .bind(status_of(entry))
        .bind(score.map(|s| s.sentiment.as_str()))
        .bind(score.map(|s| s.confidence))
        .bind(score.map(|s| s.mood_score))
        .bind(score.map(|s| s.scores.as_str()))
        .bind(score.and_then(|s| s.roberta.as_deref()))
        .bind(score.and_then(|s| s.lstm.as_deref()))
        .bind(entry.self_mood)
        .bind(entry.date)
}
