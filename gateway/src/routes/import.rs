//! `POST /api/journal/import` (our export JSON or a Daylio CSV) and
//! `GET /api/journal/export.csv`.
//!
//! An import reads the whole file first (a file of neither kind is a 400 and creates nothing),
//! skips rows the journal already holds (same date, mood and text), scores the new texts in
//! batches while time allows (the rest, or all of them with inference down, are saved pending
//! for the background scorer), and writes every new row in one transaction.

use std::{collections::HashSet, time::Instant};

use axum::{
    Json, Router,
    extract::{
        DefaultBodyLimit, State,
        multipart::{Multipart, MultipartRejection},
    },
    http::header,
    response::IntoResponse,
    routing::{get, post},
};
use chrono::Utc;
use serde::Serialize;

use crate::{
    auth::AuthUser,
    domain::history::{
        self,
        import::{self, ImportRow, Rejected, content_key},
    },
    error::{ApiError, ApiResult},
    inference::Model,
    routes::history::user_zone,
    scoring,
    state::AppState,
    store::{
        self, history as queries,
        journal::{self, EntryRow, EntryWrite, StoredScore},
    },
};

/// The largest file accepted: 10 MB.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Texts per inference call.
const SCORE_BATCH: usize = 32;

/// The import route, under the long (CSV) timeout, and the export route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/journal/import", post(import_entries))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024))
}

pub fn export_router() -> Router<AppState> {
    Router::new().route("/api/journal/export.csv", get(export_csv))
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Entries created.
    pub created: usize,
    /// Rows skipped because the journal (or the file, earlier) already holds them.
    pub duplicates: usize,
    /// Of the created entries, those saved unscored for the background scorer.
    pub pending: usize,
    /// Rows not imported, with the reason.
    pub rejected: Vec<Rejected>,
}

/// `POST /api/journal/import` body (multipart/form-data).
#[allow(dead_code)] // documents the form `import_entries` reads
#[derive(Debug, utoipa::ToSchema)]
pub struct ImportUpload {
    /// Our export JSON (`GET /api/users/me/export`) or a Daylio CSV export, at most 10 MB and
    /// 10,000 rows; Daylio times are read in the profile's time zone.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/journal/import", tag = "history", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", content = ImportUpload),
    responses((status = 200, body = ImportSummary),
              (status = 400, description = "No file, or a file of neither format, or over 10,000 rows: nothing is created"),
              (status = 401, description = "No valid token"), (status = 413, description = "File over 10 MB")))]
pub async fn import_entries(
    State(state): State<AppState>,
    user: AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<ImportSummary>> {
    let tz = user_zone(&state, &user).await?;
    let multipart = multipart.map_err(|_| ApiError::bad_request("No file provided"))?;
    let bytes = read_file(multipart).await?;
    let parsed =
        import::parse(&bytes, tz, Utc::now()).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (fresh, duplicates) = new_rows(&state, &user.id, parsed.rows).await?;
    let scores = score_rows(&state, &fresh).await?;
    let pending = fresh
        .iter()
        .zip(&scores)
        .filter(|((row, _), score)| !row.text.is_empty() && score.is_none())
        .count();
    let created = store_rows(&state, &user.id, &fresh, &scores).await?;
    if pending > 0 {
        state.rescore.notify_one();
    }
    Ok(Json(ImportSummary {
        created,
        duplicates: duplicates + fresh.len() - created,
        pending,
        rejected: parsed.rejected,
    }))
}

/// The rows the journal does not hold yet, each with its stored date; and how many it does.
async fn new_rows(
    state: &AppState,
    user_id: &str,
    rows: Vec<ImportRow>,
) -> ApiResult<(Vec<(ImportRow, String)>, usize)> {
    let dated: Vec<(ImportRow, String)> = rows
        .into_iter()
        .map(|r| {
            let d = store::timestamp(r.at);
            (r, d)
        })
        .collect();
    let (Some(first), Some(last)) = (
        dated.iter().map(|r| &r.1).min(),
        dated.iter().map(|r| &r.1).max(),
    ) else {
        return Ok((Vec::new(), 0));
    };
    let held = queries::contents(&state.db, user_id, first, last).await?;
    let mut seen: HashSet<String> = held
        .iter()
        .map(|(date, mood, text)| content_key(date, *mood, text))
        .collect();
    let total = dated.len();
    let fresh: Vec<_> = dated
        .into_iter()
        .filter(|(row, date)| seen.insert(row.key(date)))
        .collect();
    let duplicates = total - fresh.len();
    Ok((fresh, duplicates))
}

/// Scores for the rows with text, in batches, while half the import's time limit allows;
/// `None` for a row left pending (inference down, or out of time) or without text.
async fn score_rows(
    state: &AppState,
    rows: &[(ImportRow, String)],
) -> ApiResult<Vec<Option<StoredScore>>> {
    let mut scores = vec![None; rows.len()];
    let with_text: Vec<usize> = (0..rows.len())
        .filter(|&i| !rows[i].0.text.is_empty())
        .collect();
    let deadline = Instant::now() + state.config.csv_timeout / 2;
    for batch in with_text.chunks(SCORE_BATCH) {
        if Instant::now() >= deadline {
            break;
        }
        let texts = batch.iter().map(|&i| rows[i].0.text.clone()).collect();
        match scoring::score_texts(state, texts, &[Model::Roberta, Model::Lstm]).await {
            Ok(scored) => batch
                .iter()
                .zip(&scored)
                .for_each(|(&i, s)| scores[i] = scoring::stored_score(s)),
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, "inference unavailable: importing the rest as pending");
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(scores)
}

/// Writes the rows in one transaction; how many were new (a concurrent import of the same
/// file may have written some first).
async fn store_rows(
    state: &AppState,
    user_id: &str,
    rows: &[(ImportRow, String)],
    scores: &[Option<StoredScore>],
) -> ApiResult<usize> {
    let now = store::now();
    let mut tx = state.db.writer().begin().await?;
    let mut created = 0;
    for ((row, date), score) in rows.iter().zip(scores) {
        let tags = serde_json::to_string(&row.tags).map_err(ApiError::internal)?;
        let write = EntryWrite {
            text: &row.text,
            tags: &tags,
            self_mood: row.self_mood,
            date,
            score: score.as_ref(),
        };
        let key = row.key(date);
        created +=
            usize::from(queries::insert_imported(&mut tx, user_id, &write, &key, &now).await?);
    }
    tx.commit().await?;
    Ok(created)
}

/// The bytes of the `file` part.
async fn read_file(mut multipart: Multipart) -> ApiResult<Vec<u8>> {
    let too_large = || ApiError::PayloadTooLarge("File too large. Maximum size is 10MB".into());
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| match e.status().as_u16() {
            413 => too_large(),
            _ => ApiError::bad_request("Could not read the upload"),
        })?
    {
        if field.name() != Some("file") {
            continue;
        }
        let bytes = field.bytes().await.map_err(|_| too_large())?;
        return match bytes.len() > MAX_FILE_BYTES {
            true => Err(too_large()),
            false => Ok(bytes.to_vec()),
        };
    }
    Err(ApiError::bad_request(
        "No file provided: send it as the multipart field `file`",
    ))
}

#[utoipa::path(get, path = "/api/journal/export.csv", tag = "history", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", description = "One row per entry, oldest first: id, date (UTC), local_date (the profile's time zone), text, tags (joined by \" | \"), self_mood, status, sentiment, confidence, mood_score, created_at, updated_at"),
              (status = 401, description = "No valid token")))]
pub async fn export_csv(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<impl IntoResponse> {
    let tz = user_zone(&state, &user).await?;
    let mut rows = journal::all_for_user(&state.db, &user.id).await?;
    rows.reverse();
    let body = csv_body(&rows, tz).map_err(ApiError::internal)?;
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"moodtracker-journal.csv\"",
        ),
    ];
    Ok((headers, body))
}

fn csv_body(rows: &[EntryRow], tz: chrono_tz::Tz) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "date",
        "local_date",
        "text",
        "tags",
        "self_mood",
        "status",
        "sentiment",
        "confidence",
        "mood_score",
        "created_at",
        "updated_at",
    ])?;
    let number = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for row in rows {
        let tags: Vec<String> = serde_json::from_str(&row.tags).unwrap_or_default();
        let local = history::local_date(store::parse_timestamp(&row.date), tz);
        out.write_record([
            row.id.to_string(),
            row.date.clone(),
            local.to_string(),
            cell(&row.text),
            cell(&tags.join(" | ")),
            row.self_mood.map_or(String::new(), |m| m.to_string()),
            row.status.clone(),
            row.sentiment.clone().unwrap_or_default(),
            number(row.confidence),
            number(row.mood_score),
            row.created_at.clone(),
            row.updated_at.clone(),
        ])?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A person's text as a cell a spreadsheet will not run: one that starts like a formula gets a
/// leading apostrophe.
fn cell(text: &str) -> String {
    match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{text}"),
        false => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-5 today"), "'-5 today");
        assert_eq!(cell("a calm day"), "a calm day");
    }
}
