//! Queries for a person's history: the slim rows day-based figures need, full-text search
//! (SQLite FTS5 or PostgreSQL `tsvector`, ranked), imports that skip what is already there,
//! and the profile's time zone. Every query is scoped by `user_id`.

use sqlx::FromRow;

use super::{
    Backend, Db,
    journal::{AnyQueryAs, COLUMNS, EntryRow, EntryWrite, Range, bind_entry},
};

/// What day-based figures read of an entry.
#[derive(Debug, Clone, FromRow)]
pub struct FactRow {
    pub date: String,
    pub mood_score: Option<f64>,
    pub self_mood: Option<i64>,
    pub sentiment: Option<String>,
    /// A JSON array of strings.
    pub tags: String,
}

/// An entry the person rated, with each model's result (JSON) when scored.
#[derive(Debug, Clone, FromRow)]
pub struct RatedRow {
    pub self_mood: i64,
    pub roberta: Option<String>,
    pub lstm: Option<String>,
}

/// The caller's entries dated in `range`, oldest first.
pub async fn facts(db: &Db, user_id: &str, range: &Range) -> Result<Vec<FactRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT date, mood_score, self_mood, sentiment, tags FROM journal_entries \
         WHERE user_id = $1 AND date >= $2 AND date < $3 ORDER BY date, id",
    )
    .bind(user_id)
    .bind(range.from.as_deref().unwrap_or(""))
    .bind(range.to.as_deref().unwrap_or("~"))
    .fetch_all(db.pool())
    .await
}

/// The caller's entries that carry a self-rated mood.
pub async fn rated(db: &Db, user_id: &str) -> Result<Vec<RatedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT self_mood, roberta, lstm FROM journal_entries \
         WHERE user_id = $1 AND self_mood IS NOT NULL ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await
}

/// `(date, self_mood, text)` of the caller's entries dated in `[from, to]`, to find rows an
/// import already holds.
pub async fn contents(
    db: &Db,
    user_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, Option<i64>, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT date, self_mood, text FROM journal_entries \
         WHERE user_id = $1 AND date >= $2 AND date <= $3",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await
}

/// Stores an imported entry unless one with the same `key` exists; `false` when it did. Runs
/// on `conn` (the import's transaction).
pub async fn insert_imported(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    entry: &EntryWrite<'_>,
    key: &str,
    at: &str,
) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO journal_entries (user_id, text, tags, status, sentiment, confidence, \
               mood_score, scores, roberta, lstm, self_mood, date, created_at, updated_at, \
               import_key) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) \
               ON CONFLICT (user_id, import_key) DO NOTHING RETURNING id";
    let query: AnyQueryAs<'_, (i64,)> = sqlx::query_as(sql).persistent(false).bind(user_id);
    let inserted = bind_entry(query, entry)
        .bind(at)
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(inserted.is_some())
}

/// A page of the caller's entries in `range` whose text matches every word of `words`, best
/// match first, and how many match in all.
pub async fn search(
    db: &Db,
    user_id: &str,
    words: &[String],
    range: &Range,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EntryRow>, i64), sqlx::Error> {
    let (query, from_where, rank) = match db.backend() {
        Backend::Sqlite => (
            fts5_query(words),
            "FROM journal_search s JOIN journal_entries e ON e.id = s.rowid \
             WHERE journal_search MATCH $1",
            "bm25(journal_search)",
        ),
        Backend::Postgres => (
            words.join(" "),
            "FROM journal_entries e WHERE e.search @@ plainto_tsquery('english', $1)",
            "ts_rank(e.search, plainto_tsquery('english', $1)) DESC",
        ),
    };
    let scope = "AND e.user_id = $2 AND e.date >= $3 AND e.date < $4";
    let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("e.{c}")).collect();
    let (from, to) = (
        range.from.as_deref().unwrap_or(""),
        range.to.as_deref().unwrap_or("~"),
    );
    let rows = sqlx::query_as(&format!(
        "SELECT {} {from_where} {scope} ORDER BY {rank}, e.date DESC, e.id DESC LIMIT $5 OFFSET $6",
        columns.join(", ")
    ))
    .bind(&query)
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let total = sqlx::query_scalar(&format!("SELECT COUNT(*) {from_where} {scope}"))
        .bind(&query)
        .bind(user_id)
        .bind(from)
        .bind(to)
        .fetch_one(db.pool())
        .await?;
    Ok((rows, total))
}

/// Every word as an FTS5 string (quotes doubled), so no word is read as query syntax; words
/// side by side must all match.
fn fts5_query(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    quoted.join(" ")
}

/// The caller's time zone (an IANA name), `None` for an unknown user.
pub async fn timezone(db: &Db, user_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT timezone FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
}

/// Sets the caller's time zone; `false` for an unknown user.
pub async fn set_timezone(db: &Db, user_id: &str, timezone: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET timezone = $1 WHERE id = $2")
        .bind(timezone)
        .bind(user_id)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_cannot_inject_fts5_syntax() {
        let words = ["run".to_owned(), "a\"b".to_owned(), "OR".to_owned()];
        assert_eq!(fts5_query(&words), "\"run\" \"a\"\"b\" \"OR\"");
    }
}
