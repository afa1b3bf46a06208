//! `/api/journal/*`: the caller's entries (list with paging and a date range, create, read,
//! patch, delete) and their analytics (contract §2.7 to §2.10).
//!
//! An entry may be back-dated (`date`) and carry the person's own rating (`self_mood`, 1 to 5);
//! `q` searches the texts (see `store::history::search`).
//!
//! An entry is scored by both models when written. When inference cannot answer the entry is
//! saved anyway, `status: "pending"`, with no scores, and the background scorer fills them in
//! later (see `scoring`). Another user's entry is a 404, indistinguishable from a missing one.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

mod wire;

pub use wire::{
    Analysis, AnalyticsResponse, Created, Entry, EntryPage, EntryPatch, NewEntry, OneEntry,
};

use crate::{
    auth::AuthUser,
    domain::{
        analytics,
        history::{SELF_MOOD_RANGE, zone},
        sentiment::Sentiment,
    },
    error::{ApiError, ApiResult},
    extract::{JsonBody, QueryParams},
    inference::Model,
    routes::{predict::validated_text, wire::Done},
    scoring,
    state::AppState,
    store::{
        self, history,
        journal::{self, EntryRow, EntryWrite, Range, StoredScore},
    },
};

const NOT_FOUND: &str = "Entry not found or unauthorized";
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 50;
const DEFAULT_PER_PAGE: i64 = 100;
const MAX_PER_PAGE: i64 = 500;
/// A search takes at most this many words, of a query of at most this many characters.
const MAX_SEARCH_WORDS: usize = 20;
const MAX_SEARCH_CHARS: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/journal/entries", get(list_entries).post(create_entry))
        .route(
            "/api/journal/entries/{id}",
            get(get_entry).patch(update_entry).delete(delete_entry),
        )
        .route("/api/journal/analytics", get(journal_analytics))
}

/// Query of `GET /api/journal/entries`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    /// 1-based page (default 1); `(page - 1) * per_page` must fit a 64-bit integer.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Entries per page (default 100, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
    /// Earliest entry date, inclusive: `YYYY-MM-DD` or RFC 3339 (before the year 10000).
    #[param(
        pattern = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d))?$"
    )]
    pub from: Option<String>,
    /// Latest entry date, inclusive: `YYYY-MM-DD` (the whole day) or RFC 3339; not before
    /// `from`.
    #[param(
        pattern = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d))?$"
    )]
    pub to: Option<String>,
    /// Search: entries whose text has every word (any case, word stems), best match first. At
    /// most 200 characters and 20 words (runs of letters and digits).
    #[param(max_length = 200)]
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/journal/entries", tag = "journal", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = EntryPage),
              (status = 400, description = "Invalid paging, dates or search"), (status = 401, description = "No valid token")))]
pub async fn list_entries(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<EntryPage>> {
    let (page, per_page, offset) = paging(query.page, query.per_page)?;
    let range = date_range(query.from.as_deref(), query.to.as_deref())?;
    let search = query.q.as_deref().filter(|q| !q.is_empty());
    let (rows, total) = match search.map(search_words).transpose()? {
        Some(words) => {
            history::search(&state.db, &user.id, &words, &range, per_page, offset).await?
        }
        None => (
            journal::list(&state.db, &user.id, &range, per_page, offset).await?,
            journal::count(&state.db, &user.id, &range).await?,
        ),
    };
    Ok(Json(EntryPage {
        success: true,
        entries: rows.iter().map(Entry::from).collect(),
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(post, path = "/api/journal/entries", tag = "journal", security(("bearer" = [])),
    request_body = NewEntry,
    responses((status = 201, description = "Saved; scored, or pending when inference is unavailable", body = Created),
              (status = 400, description = "Invalid text, tags, date or self_mood"), (status = 401, description = "No valid token"),
              (status = 502, description = "Inference failed in a way a retry would not cure (an unavailable or slow one leaves the entry pending)")))]
pub async fn create_entry(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let text = validated_text(&body, "Text is required")?;
    let tags = validated_tags(body.get("tags"))?.unwrap_or_default();
    let self_mood = validated_self_mood(body.get("self_mood"))?.flatten();
    let now = store::now();
    let date = validated_date(body.get("date"))?.unwrap_or_else(|| now.clone());
    let score = score_for_write(&state, &text).await?;
    let tags = serde_json::to_string(&tags).map_err(ApiError::internal)?;
    let write = EntryWrite {
        text: &text,
        tags: &tags,
        self_mood,
        date: &date,
        score: score.as_ref(),
    };
    let row = journal::insert(&state.db, &user.id, &write, &now).await?;
    if score.is_none() {
        state.rescore.notify_one();
    }
    let entry = Entry::from(&row);
    let message = match score {
        Some(_) => "Journal entry created successfully",
        None => "Journal entry saved; it will be analysed when the models are available",
    };
    let body = Created {
        success: true,
        entry_id: row.id,
        message: message.to_owned(),
        ai_analysis: entry
            .analysis
            .sentiment_analysis
            .clone()
            .unwrap_or(Value::Null),
        entry,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

#[utoipa::path(get, path = "/api/journal/entries/{id}", tag = "journal", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Entry id")),
    responses((status = 200, body = OneEntry), (status = 404, description = "Not the caller's entry")))]
pub async fn get_entry(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OneEntry>> {
    let row = journal::get(&state.db, &user.id, entry_id(&id)?).await?;
    let row = row.ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    Ok(Json(OneEntry {
        success: true,
        message: None,
        entry: Entry::from(&row),
    }))
}

#[utoipa::path(patch, path = "/api/journal/entries/{id}", tag = "journal", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Entry id")),
    request_body = EntryPatch,
    responses((status = 200, body = OneEntry),
              (status = 400, description = "Nothing to update, or an invalid field"),
              (status = 404, description = "Not the caller's entry"),
              (status = 502, description = "Inference failed in a way a retry would not cure (an unavailable or slow one leaves the entry pending)")))]
pub async fn update_entry(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Json<OneEntry>> {
    let id = entry_id(&id)?;
    let new_text = match body.get("text") {
        Some(_) => Some(validated_text(&body, "Text is required")?),
        None => None,
    };
    let new_tags = validated_tags(body.get("tags"))?;
    let new_self_mood = validated_self_mood(body.get("self_mood"))?;
    let new_date = validated_date(body.get("date"))?;
    if new_text.is_none() && new_tags.is_none() && new_self_mood.is_none() && new_date.is_none() {
        return Err(ApiError::bad_request(
            "Nothing to update: send text, tags, date or self_mood",
        ));
    }
    let old = journal::get(&state.db, &user.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let (text, score) = match new_text.filter(|t| *t != old.text) {
        Some(text) => {
            let score = score_for_write(&state, &text).await?;
            (text, score)
        }
        None => (old.text.clone(), kept_score(&old)),
    };
    let tags = match new_tags {
        Some(tags) => serde_json::to_string(&tags).map_err(ApiError::internal)?,
        None => old.tags.clone(),
    };
    let write = EntryWrite {
        text: &text,
        tags: &tags,
        self_mood: new_self_mood.unwrap_or(old.self_mood),
        date: new_date.as_deref().unwrap_or(&old.date),
        score: score.as_ref(),
    };
    let row = journal::update(&state.db, &user.id, id, &write, &store::now()).await?;
    let row = row.ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    if row.status == journal::PENDING {
        state.rescore.notify_one();
    }
    Ok(Json(OneEntry {
        success: true,
        message: Some("Entry updated successfully".to_owned()),
        entry: Entry::from(&row),
    }))
}

#[utoipa::path(delete, path = "/api/journal/entries/{id}", tag = "journal", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Entry id")),
    responses((status = 200, body = Done), (status = 404, description = "Not the caller's entry")))]
pub async fn delete_entry(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Done>> {
    if !journal::delete(&state.db, &user.id, entry_id(&id)?).await? {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    Ok(Json(Done::new("Entry deleted successfully")))
}

#[utoipa::path(get, path = "/api/journal/analytics", tag = "journal", security(("bearer" = [])),
    responses((status = 200, body = AnalyticsResponse), (status = 401, description = "No valid token")))]
pub async fn journal_analytics(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<AnalyticsResponse>> {
    let rows = journal::all_for_user(&state.db, &user.id).await?;
    let facts: Vec<analytics::EntryFacts<'_>> = rows
        .iter()
        .map(|r| analytics::EntryFacts {
            at: store::parse_timestamp(&r.date),
            sentiment: r.sentiment.as_deref().and_then(Sentiment::parse),
            mood_score: r.mood_score,
            text: &r.text,
        })
        .collect();
    let zone = super::history::user_zone(&state, &user).await?;
    let analytics = analytics::analytics(&facts, Utc::now(), zone);
    Ok(Json(AnalyticsResponse {
        success: true,
        analytics,
    }))
}

/// Scores a text being written: `Some` with both models' results, `None` (save as pending)
/// when inference is unreachable or has no model loaded yet.
async fn score_for_write(state: &AppState, text: &str) -> ApiResult<Option<StoredScore>> {
    match scoring::score_texts(state, vec![text.to_owned()], &[Model::Roberta, Model::Lstm]).await {
        Ok(scored) => Ok(scored.first().and_then(scoring::stored_score)),
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, "inference unavailable: saving the entry as pending");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// An unchanged entry's scores, as stored (`None` while it is pending).
fn kept_score(row: &EntryRow) -> Option<StoredScore> {
    Some(StoredScore {
        sentiment: row.sentiment.clone()?,
        confidence: row.confidence?,
        mood_score: row.mood_score?,
        scores: row.scores.clone()?,
        roberta: row.roberta.clone(),
        lstm: row.lstm.clone(),
    })
}

/// `tags`, when present: an array of at most 20 strings of at most 50 characters, trimmed.
fn validated_tags(tags: Option<&Value>) -> ApiResult<Option<Vec<String>>> {
    let Some(tags) = tags.filter(|t| !t.is_null()) else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::bad_request(format!(
            "Tags must be a list of at most {MAX_TAGS} strings of at most {MAX_TAG_CHARS} characters"
        ))
    };
    let list = tags
        .as_array()
        .filter(|l| l.len() <= MAX_TAGS)
        .ok_or_else(invalid)?;
    list.iter()
        .map(|t| {
            let tag = t.as_str().map(str::trim).ok_or_else(invalid)?;
            match tag.chars().count() <= MAX_TAG_CHARS {
                true => Ok(tag.to_owned()),
                false => Err(invalid()),
            }
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

/// `self_mood`, when the key is present: `Some(None)` for null (clear it), else 1 to 5.
fn validated_self_mood(value: Option<&Value>) -> ApiResult<Option<Option<i64>>> {
    let Some(value) = value else { return Ok(None) };
    if value.is_null() {
        return Ok(Some(None));
    }
    match value.as_i64().filter(|m| SELF_MOOD_RANGE.contains(m)) {
        Some(mood) => Ok(Some(Some(mood))),
        None => Err(ApiError::bad_request(
            "self_mood must be a whole number from 1 (awful) to 5 (great)",
        )),
    }
}

/// `date`, when present and not null, as a stored timestamp (see `zone::parse_entry_date`).
fn validated_date(value: Option<&Value>) -> ApiResult<Option<String>> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let text = value
        .as_str()
        .ok_or_else(|| ApiError::bad_request("date must be a string"))?;
    let at = zone::parse_entry_date(text, Utc::now()).map_err(ApiError::bad_request)?;
    Ok(Some(store::timestamp(at)))
}

/// The words of a search: letters and digits, split at everything else.
fn search_words(q: &str) -> ApiResult<Vec<String>> {
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_request(format!(
            "q must be at most {MAX_SEARCH_CHARS} characters"
        )));
    }
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    match words.len() {
        0 => Err(ApiError::bad_request("q must contain at least one word")),
        n if n > MAX_SEARCH_WORDS => Err(ApiError::bad_request(format!(
            "q may have at most {MAX_SEARCH_WORDS} words"
        ))),
        _ => Ok(words),
    }
}

/// A path id; anything but an integer is a 404, as no entry can have it.
fn entry_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| ApiError::not_found(NOT_FOUND))
}

/// `(page, per_page, offset)`; a page whose offset does not fit a 64-bit integer is refused
/// rather than wrapped (which would relabel page 1) or passed on (PostgreSQL refuses it).
fn paging(page: Option<i64>, per_page: Option<i64>) -> ApiResult<(i64, i64, i64)> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    let offset = (page - 1).checked_mul(per_page);
    match offset {
        Some(offset) if page >= 1 && (1..=MAX_PER_PAGE).contains(&per_page) => {
            Ok((page, per_page, offset))
        }
        _ => Err(ApiError::bad_request(format!(
            "page must be between 1 and {} for this per_page, and per_page between 1 and \
             {MAX_PER_PAGE}",
            i64::MAX / per_page.clamp(1, MAX_PER_PAGE)
        ))),
    }
}

/// `[from, to]` as stored-timestamp bounds; dates cover whole UTC days.
///
/// Stored timestamps are fixed-width text, so text order is time order only for years 0000 to
/// 9999: a bound outside them is refused, and an upper bound past the end of 9999 means no
/// upper bound at all.
pub(crate) fn date_range(from: Option<&str>, to: Option<&str>) -> ApiResult<Range> {
    let from = from.map(|f| parse_bound(f, false)).transpose()?;
    let to = to.map(|t| parse_bound(t, true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    let last = last_storable();
    Ok(Range {
        from: from.map(store::timestamp),
        to: to.filter(|t| *t <= last).map(store::timestamp),
    })
}

/// The latest instant a stored timestamp can hold: 9999-12-31T23:59:59.999Z.
fn last_storable() -> DateTime<Utc> {
    let end =
        NaiveDate::from_ymd_opt(9999, 12, 31).and_then(|d| d.and_hms_milli_opt(23, 59, 59, 999));
    end.expect("a valid literal date").and_utc()
}

/// A bound as an instant; an inclusive upper bound becomes the first instant after it.
fn parse_bound(text: &str, upper: bool) -> ApiResult<DateTime<Utc>> {
    let invalid = || ApiError::bad_request("Invalid date: use YYYY-MM-DD or an RFC 3339 timestamp");
    let (at, span) = match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) => (
            day.and_hms_opt(0, 0, 0).ok_or_else(invalid)?.and_utc(),
            Duration::days(1),
        ),
        Err(_) => (
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| invalid())?
                .with_timezone(&Utc),
            Duration::milliseconds(1),
        ),
    };
    if at > last_storable() {
        return Err(ApiError::bad_request(
            "Invalid date: dates must lie before the year 10000 (UTC)",
        ));
    }
    Ok(if upper { at + span } else { at })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_date_upper_bound_covers_the_whole_day() {
        let range = date_range(Some("2025-11-01"), Some("2025-11-02")).unwrap();
        assert_eq!(range.from.as_deref(), Some("2025-11-01T00:00:00.000Z"));
        assert_eq!(range.to.as_deref(), Some("2025-11-03T00:00:00.000Z"));
        assert!(date_range(Some("2025-11-03"), Some("2025-11-02")).is_err());
        assert!(date_range(Some("yesterday"), None).is_err());
    }

    #[test]
    fn dates_past_9999_are_refused_and_the_last_day_means_no_upper_bound() {
        let to_the_end = date_range(None, Some("9999-12-31")).unwrap();
        assert_eq!(to_the_end.to, None);
        let past = date_range(Some("9999-12-31T23:59:59.999-01:00"), None);
        assert!(past.is_err());
        let last = date_range(Some("9999-12-31T23:59:59.999Z"), None).unwrap();
        assert_eq!(last.from.as_deref(), Some("9999-12-31T23:59:59.999Z"));
    }

    #[test]
    fn paging_refuses_an_offset_that_would_overflow() {
        assert_eq!(paging(None, None).unwrap(), (1, 100, 0));
        assert_eq!(paging(Some(3), Some(500)).unwrap(), (3, 500, 1000));
        assert!(paging(Some(i64::MAX), Some(500)).is_err());
        assert!(paging(Some(0), Some(10)).is_err());
        assert!(paging(Some(1), Some(501)).is_err());
    }

    #[test]
    fn tags_must_be_short_strings() {
        assert_eq!(
            validated_tags(Some(&json!([" a "]))).unwrap(),
            Some(vec!["a".to_owned()])
        );
        assert!(validated_tags(Some(&json!([1]))).is_err());
        assert!(validated_tags(Some(&json!(["x".repeat(51)]))).is_err());
        assert_eq!(validated_tags(None).unwrap(), None);
    }
}
