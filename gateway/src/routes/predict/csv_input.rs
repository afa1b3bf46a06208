//! The CSV upload of `/api/analyze/csv`: reading the multipart file, choosing the text column,
//! dropping empty rows, and shaping each row's result (contract §2.13).

use super::wire::{AnalysedRow, CsvDistribution, CsvSummary, FailedRow, RowResult};
use crate::{domain::sentiment::Sentiment, error::ApiError, scoring::Scored};
use axum::extract::multipart::Multipart;

/// The largest file accepted: 10 MiB.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
const MAX_ROWS: usize = 1000;
/// Header names that mark the text column, in the original's order.
const TEXT_COLUMNS: &[&str] = &[
    "text",
    "content",
    "message",
    "comment",
    "review",
    "description",
];
/// Values pandas reads as missing; rows holding one are dropped like empty ones.
const NULL_VALUES: &[&str] = &[
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
    "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// A data row to analyse: its 1-based number among the file's data rows, and its text.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    pub text: String,
}

/// The parsed upload.
#[derive(Debug)]
pub struct Table {
    pub column: String,
    pub rows: Vec<Row>,
}

/// The bytes of the `file` part, after the contract's checks on name and size.
pub async fn read_file(mut multipart: Multipart) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::PayloadTooLarge("File too large. Maximum size is 10MB".into());
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| match e.status().as_u16() {
                413 => too_large(),
                _ => ApiError::bad_request("No file provided"),
            })?;
        let Some(field) = field else {
            return Err(ApiError::bad_request("No file provided"));
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        if name.is_empty() {
            return Err(ApiError::bad_request("No file selected"));
        }
        if !name.to_lowercase().ends_with(".csv") {
            return Err(ApiError::bad_request("File must be a CSV"));
        }
        let bytes = field.bytes().await.map_err(|_| too_large())?;
        return match bytes.len() > MAX_FILE_BYTES {
            true => Err(too_large()),
            false => Ok(bytes.to_vec()),
        };
    }
}

/// The text column and its non-empty rows.
pub fn parse(bytes: &[u8]) -> Result<Table, ApiError> {
    let read_error = |why: &str| ApiError::bad_request(format!("Error reading CSV: {why}"));
    let text = std::str::from_utf8(bytes).map_err(|_| read_error("the file is not UTF-8 text"))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| read_error(&e.to_string()))?
        .clone();
    if headers.is_empty() {
        return Err(read_error("No columns to parse from file"));
    }
    let index = headers
        .iter()
        .position(|h| TEXT_COLUMNS.contains(&h.trim().to_lowercase().as_str()))
        .unwrap_or(0);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| read_error(&e.to_string()))?;
        let value = record.get(index).unwrap_or_default().trim();
        if !value.is_empty() && !NULL_VALUES.contains(&value) {
            rows.push(Row {
                number: i + 1,
                text: value.to_owned(),
            });
        }
    }
    match rows.len() {
        0 => Err(ApiError::bad_request("No valid text data found in CSV")),
        n if n > MAX_ROWS => Err(ApiError::bad_request(format!(
            "Too many rows. Maximum is {MAX_ROWS} rows. Your file has {n} rows."
        ))),
        _ => Ok(Table {
            column: headers[index].to_owned(),
            rows,
        }),
    }
}

/// The result of a row too long to analyse.
pub fn too_long(row: &Row) -> RowResult {
    error_row(row, "Text too long (max 5000 characters)")
}

/// The result of a row the model failed on (its own message stays in the logs).
pub fn not_analysed(row: &Row) -> RowResult {
    error_row(row, "The model could not analyse this text")
}

fn error_row(row: &Row, error: &'static str) -> RowResult {
    let preview: String = row.text.chars().take(100).collect();
    RowResult::Failed(FailedRow {
        row: row.number,
        text: format!("{preview}..."),
        sentiment: "Error",
        confidence: 0.0,
        error,
    })
}

/// The result of an analysed row: RoBERTa's verdict overall, else the LSTM's.
pub fn analysed(row: &Row, scored: &Scored) -> RowResult {
    let overall = scored.roberta.as_ref().or(scored.lstm.as_ref());
    RowResult::Analysed(Box::new(AnalysedRow {
        row: row.number,
        text: row.text.clone(),
        sentiment: overall.map(|r| r.sentiment),
        confidence: overall.map(|r| r.confidence),
        roberta: scored.roberta.clone(),
        lstm: scored.lstm.clone(),
        agreement: crate::domain::sentiment::consensus(
            scored.roberta.as_ref(),
            scored.lstm.as_ref(),
        ),
    }))
}

/// The response body for `results`.
pub fn summary(column: &str, results: Vec<RowResult>) -> CsvSummary {
    let count = |s: Sentiment| results.iter().filter(|r| r.sentiment() == Some(s)).count();
    CsvSummary {
        success: true,
        total_analyzed: results.len(),
        total_entries: results.len(),
        column_used: column.to_owned(),
        text_column: column.to_owned(),
        sentiment_distribution: CsvDistribution {
            positive: count(Sentiment::Positive),
            neutral: count(Sentiment::Neutral),
            negative: count(Sentiment::Negative),
        },
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_first_text_like_column_and_drops_empty_rows() {
        let table = parse(b"id,Review,comment\n1,great,x\n2,NA,y\n3,  ,z\n4,bad,w\n").unwrap();
        assert_eq!(table.column, "Review");
        let rows: Vec<_> = table
            .rows
            .iter()
            .map(|r| (r.number, r.text.as_str()))
            .collect();
        assert_eq!(rows, [(1, "great"), (4, "bad")]);
    }

    #[test]
    fn falls_back_to_the_first_column() {
        let table = parse(b"notes,score\nhello,1\n").unwrap();
        assert_eq!(table.column, "notes");
    }

    #[test]
    fn refuses_files_without_rows_or_with_too_many() {
        assert!(
            parse(b"text\n")
                .unwrap_err()
                .to_string()
                .contains("No valid text data")
        );
        let big = format!("text\n{}", "x\n".repeat(1001));
        assert!(
            parse(big.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("Your file has 1001 rows")
        );
        assert!(parse(b"").unwrap_err().to_string().contains("No columns"));
    }
}
