//! Reading an import file: our own export JSON (`GET /api/users/me/export`) or a Daylio CSV
//! export. Each row becomes an entry to create or a rejection with a reason; a file of neither
//! kind is refused whole. Row numbers are the ones a person sees: in a CSV the header is row 1,
//! in the JSON the first of `journal_entries` is row 1.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{SELF_MOOD_RANGE, zone};

/// The most rows a file may hold.
pub const MAX_ROWS: usize = 10_000;
/// The journal's limits (as for entries written through the API).
pub const MAX_TEXT_CHARS: usize = 5_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
/// A Daylio export's header.
pub const DAYLIO_HEADER: [&str; 8] = [
    "full_date",
    "date",
    "weekday",
    "time",
    "mood",
    "activities",
    "note_title",
    "note",
];
/// Daylio's moods, best first, as self-rated moods 5 to 1.
const DAYLIO_MOODS: [&str; 5] = ["rad", "good", "meh", "bad", "awful"];

/// One entry to create.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub row: usize,
    pub at: DateTime<Utc>,
    /// Empty for a mood-only row.
    pub text: String,
    pub tags: Vec<String>,
    pub self_mood: Option<i64>,
}

impl ImportRow {
    /// What makes two rows the same entry, for idempotent imports (see [`content_key`]).
    pub fn key(&self, stored_date: &str) -> String {
        content_key(stored_date, self.self_mood, &self.text)
    }
}

/// A hash of an entry's stored date, self-rated mood and text: equal for the same entry,
/// whichever file (or the API) it came from.
pub fn content_key(stored_date: &str, self_mood: Option<i64>, text: &str) -> String {
    let mood = self_mood.map_or(String::new(), |m| m.to_string());
    let digest = Sha256::new()
        .chain_update(stored_date)
        .chain_update([0])
        .chain_update(mood)
        .chain_update([0])
        .chain_update(text)
        .finalize();
    hex::encode(digest)
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rejected {
    pub row: usize,
    pub reason: String,
}

/// Everything read from one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub rows: Vec<ImportRow>,
    pub rejected: Vec<Rejected>,
}

/// Why a whole file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(
        "The file is neither a moodtracker export (JSON with journal_entries) nor a Daylio CSV \
         export (header full_date,date,weekday,time,mood,activities,note_title,note)"
    )]
    NotRecognised,
    #[error("The file has {0} rows; an import takes at most 10000")]
    TooManyRows(usize),
}

/// Reads `bytes` as either format; Daylio's wall-clock times are in `tz`.
pub fn parse(bytes: &[u8], tz: Tz, now: DateTime<Utc>) -> Result<Parsed, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => parse_export(bytes, now),
        _ => parse_daylio(bytes, tz, now),
    }
}

fn parse_export(bytes: &[u8], now: DateTime<Utc>) -> Result<Parsed, FileError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|_| FileError::NotRecognised)?;
    let entries = doc["journal_entries"]
        .as_array()
        .ok_or(FileError::NotRecognised)?;
    if entries.len() > MAX_ROWS {
        return Err(FileError::TooManyRows(entries.len()));
    }
    let mut parsed = Parsed::default();
    for (i, entry) in entries.iter().enumerate() {
        parsed.push(i + 1, export_row(i + 1, entry, now));
    }
    Ok(parsed)
}

fn export_row(row: usize, entry: &Value, now: DateTime<Utc>) -> Result<ImportRow, String> {
    let date = entry["date"].as_str().ok_or("date is missing")?;
    let at = zone::parse_entry_date(date, now)?;
    let text = match &entry["text"] {
        Value::Null => String::new(),
        Value::String(t) => t.trim().to_owned(),
        _ => return Err("text must be a string".to_owned()),
    };
    let tags = match &entry["tags"] {
        Value::Null => Vec::new(),
        Value::Array(tags) => tags
            .iter()
            .map(|t| t.as_str().map(str::to_owned).ok_or("tags must be strings"))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("tags must be a list of strings".to_owned()),
    };
    let self_mood = match &entry["self_mood"] {
        Value::Null => None,
        m => Some(
            m.as_i64()
                .filter(|m| SELF_MOOD_RANGE.contains(m))
                .ok_or("self_mood must be 1 to 5")?,
        ),
    };
    checked(ImportRow {
        row,
        at,
        text,
        tags,
        self_mood,
    })
}

fn parse_daylio(bytes: &[u8], tz: Tz, now: DateTime<Utc>) -> Result<Parsed, FileError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = reader.headers().map_err(|_| FileError::NotRecognised)?;
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    if names != DAYLIO_HEADER {
        return Err(FileError::NotRecognised);
    }
    let records: Vec<_> = reader.records().collect();
    if records.len() > MAX_ROWS {
        return Err(FileError::TooManyRows(records.len()));
    }
    let mut parsed = Parsed::default();
    for (i, record) in records.into_iter().enumerate() {
        let row = i + 2;
        let result = match record {
            Ok(r) if r.len() == DAYLIO_HEADER.len() => daylio_row(row, &r, tz, now),
            Ok(r) => Err(format!("expected 8 fields, found {}", r.len())),
            Err(_) => Err("not valid CSV (or not UTF-8)".to_owned()),
        };
        parsed.push(row, result);
    }
    Ok(parsed)
}

fn daylio_row(
    row: usize,
    r: &csv::StringRecord,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<ImportRow, String> {
    let day = NaiveDate::parse_from_str(r[0].trim(), "%Y-%m-%d")
        .map_err(|_| format!("full_date {:?} is not YYYY-MM-DD", &r[0]))?;
    let time = daylio_time(&r[3])
        .ok_or_else(|| format!("time {:?} is neither HH:MM nor h:mm am/pm", &r[3]))?;
    let at = zone::check_entry_date(zone::local_to_utc(day.and_time(time), tz), now)?;
    let self_mood = daylio_mood(&r[4])?;
    let tags = r[5]
        .split(" | ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let parts = [daylio_text(&r[6]), daylio_text(&r[7])];
    let text = parts
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n\n");
    checked(ImportRow {
        row,
        at,
        text,
        tags,
        self_mood,
    })
}

/// `HH:MM` (24 h) or `h:mm am`/`h:mm PM` (Android writes a narrow no-break space before it).
fn daylio_time(text: &str) -> Option<NaiveTime> {
    let text = text
        .replace(['\u{202f}', '\u{a0}'], " ")
        .trim()
        .to_uppercase();
    NaiveTime::parse_from_str(&text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&text, "%I:%M %p"))
        .ok()
}

fn daylio_mood(text: &str) -> Result<Option<i64>, String> {
    let mood = text.trim().to_lowercase();
    if mood.is_empty() {
        return Ok(None);
    }
    let position = DAYLIO_MOODS
        .iter()
        .position(|m| *m == mood)
        .ok_or_else(|| format!("mood {text:?} is not one of rad, good, meh, bad, awful"))?;
    Ok(Some(5 - position as i64))
}

/// A Daylio note: `<br>` as newlines, trimmed.
fn daylio_text(text: &str) -> String {
    let mut out = text.to_owned();
    for br in ["<br>", "<br/>", "<br />", "<BR>", "<BR/>", "<BR />"] {
        out = out.replace(br, "\n");
    }
    out.trim().to_owned()
}

/// The journal's own rules on text and tags, and a row must say something.
fn checked(mut row: ImportRow) -> Result<ImportRow, String> {
    if row.text.is_empty() && row.self_mood.is_none() {
        return Err("a row needs a note or a mood".to_owned());
    }
    if row.text.contains('\0') {
        return Err("the text contains a NUL character".to_owned());
    }
    if row.text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "the text is longer than {MAX_TEXT_CHARS} characters"
        ));
    }
    row.tags = row
        .tags
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let mut seen = std::collections::HashSet::new();
    row.tags.retain(|t| seen.insert(t.clone()));
    if row.tags.len() > MAX_TAGS
        || row
            .tags
            .iter()
            .any(|t| t.chars().count() > MAX_TAG_CHARS || t.contains('\0'))
    {
        return Err(format!(
            "at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters"
        ));
    }
    Ok(row)
}

impl Parsed {
    fn push(&mut self, row: usize, result: Result<ImportRow, String>) {
        match result {
            Ok(r) => self.rows.push(r),
            Err(reason) => self.rejected.push(Rejected { row, reason }),
        }
    }
}

#[cfg(test)]
mod tests;
