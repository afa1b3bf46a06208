//! The requests and responses of `/api/journal/entries*` and `/api/journal/analytics`.
//!
//! The request types document the bodies; the handlers read the same fields from the JSON
//! themselves (`journal.rs`), so that each invalid field gets its own message and `self_mood:
//! null` (clear it) differs from no `self_mood` (keep it).

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

use crate::{
    domain::{
        analytics::Analytics,
        sentiment::{Scores, SentimentResult},
    },
    store::journal::EntryRow,
};

use super::MAX_TAG_CHARS;

/// `POST /api/journal/entries` body.
#[allow(dead_code)] // documents the body the handler reads field by field
#[derive(Debug, utoipa::ToSchema)]
pub struct NewEntry {
    /// 1 to 5000 characters, not all whitespace.
    #[schema(pattern = r"\S", min_length = 1, max_length = 5000)]
    pub text: String,
    /// At most 20 tags of at most 50 characters each (trimmed).
    #[schema(max_items = 20, inline)]
    pub tags: Option<Vec<Tag>>,
    /// When the entry happened: RFC 3339 with an offset, from 2000 to at most a day ahead;
    /// default now.
    #[schema(format = DateTime)]
    pub date: Option<String>,
    /// The person's own rating, 1 (awful) to 5 (great).
    #[schema(minimum = 1, maximum = 5)]
    pub self_mood: Option<i64>,
}

/// `PATCH /api/journal/entries/{id}` body: at least one of these fields; a new text is scored
/// anew.
#[allow(dead_code)] // documents the body the handler reads field by field
#[derive(Debug, utoipa::ToSchema)]
pub struct EntryPatch {
    #[schema(pattern = r"\S", min_length = 1, max_length = 5000)]
    pub text: Option<String>,
    #[schema(max_items = 20, inline)]
    pub tags: Option<Vec<Tag>>,
    #[schema(format = DateTime)]
    pub date: Option<String>,
    /// 1 to 5, or null to clear the rating.
    #[schema(minimum = 1, maximum = 5, nullable)]
    pub self_mood: Option<i64>,
}

/// A tag: at most 50 characters (after trimming).
#[derive(Debug)]
pub struct Tag;

impl utoipa::PartialSchema for Tag {
    fn schema() -> RefOr<Schema> {
        let max = Some(MAX_TAG_CHARS);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(max)
            .into()
    }
}

impl utoipa::ToSchema for Tag {}

/// The contract's `JournalEntry`, plus `status`, `self_mood`, `updated_at` and each model's
/// result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub user_id: String,
    pub text: String,
    pub tags: Vec<String>,
    /// `scored`, `pending` (inference was unavailable; scored later) or `failed` (inference
    /// refused the text; edit it to try again).
    pub status: String,
    /// `Positive`, `Neutral` or `Negative`; null until scored.
    pub sentiment: Option<String>,
    pub confidence: Option<f64>,
    /// 2.0 to 10.0, one decimal.
    pub mood_score: Option<f64>,
    #[schema(value_type = Option<Scores>)]
    pub scores: Value,
    pub analysis: Analysis,
    /// RoBERTa's result; null when it was not loaded or the entry is not scored.
    #[schema(value_type = Option<SentimentResult>)]
    pub roberta: Value,
    #[schema(value_type = Option<SentimentResult>)]
    pub lstm: Value,
    /// The person's own rating, 1 to 5.
    pub self_mood: Option<i64>,
    /// RFC 3339 UTC.
    pub date: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `{sentiment_analysis: the primary model's result}`, or `{}` until scored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Analysis {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SentimentResult>)]
    pub sentiment_analysis: Option<Value>,
}

impl From<&EntryRow> for Entry {
    fn from(row: &EntryRow) -> Self {
        let parse = |text: &Option<String>| {
            text.as_deref()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .unwrap_or(Value::Null)
        };
        let (roberta, lstm) = (parse(&row.roberta), parse(&row.lstm));
        let primary = if lstm.is_null() { &roberta } else { &lstm };
        Self {
            id: row.id,
            user_id: row.user_id.clone(),
            text: row.text.clone(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            status: row.status.clone(),
            sentiment: row.sentiment.clone(),
            confidence: row.confidence,
            mood_score: row.mood_score,
            scores: parse(&row.scores),
            analysis: Analysis {
                sentiment_analysis: (!primary.is_null()).then(|| primary.clone()),
            },
            roberta,
            lstm,
            self_mood: row.self_mood,
            date: row.date.clone(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// `GET /api/journal/entries`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryPage {
    /// Always `true`.
    pub success: bool,
    /// Newest first; with `q`, best match first.
    pub entries: Vec<Entry>,
    /// Entries in the range (or matching `q`), on every page.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// `POST /api/journal/entries`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    /// Always `true`.
    pub success: bool,
    pub entry_id: i64,
    pub message: String,
    /// The primary model's result; null while the entry is pending.
    #[schema(value_type = Option<SentimentResult>)]
    pub ai_analysis: Value,
    pub entry: Entry,
}

/// `GET /api/journal/entries/{id}`; `PATCH` adds `message`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OneEntry {
    /// Always `true`.
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub entry: Entry,
}

/// `GET /api/journal/analytics`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnalyticsResponse {
    /// Always `true`.
    pub success: bool,
    pub analytics: Analytics,
}
