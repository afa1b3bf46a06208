//! The requests and responses of `/api/predict/*` and `/api/analyze/csv`.

use serde::{Deserialize, Serialize};

use crate::domain::sentiment::{Sentiment, SentimentResult};

/// `POST /api/predict/{roberta,lstm,both}` body.
#[allow(dead_code)] // documents the body `validated_text` reads
#[derive(Debug, utoipa::ToSchema)]
pub struct TextRequest {
    /// 1 to 5000 characters, not all whitespace.
    #[schema(pattern = r"\S", min_length = 1, max_length = 5000)]
    pub text: String,
}

/// `POST /api/analyze/csv` body (multipart/form-data).
#[allow(dead_code)] // documents the form `csv_input::read_file` reads
#[derive(Debug, utoipa::ToSchema)]
pub struct CsvUpload {
    /// A file named `*.csv`, of at most 10 MiB and 1000 rows; the first text-like column is
    /// analysed.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// `POST /api/predict/both`: each model's result and the overall verdict (the LSTM's, else
/// RoBERTa's).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BothResult {
    pub text: String,
    pub sentiment: Sentiment,
    pub confidence: f64,
    /// Null when that model is not loaded.
    pub roberta: Option<SentimentResult>,
    pub lstm: Option<SentimentResult>,
    /// Both models ran and agree.
    pub consensus: bool,
}

/// `POST /api/analyze/csv`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CsvSummary {
    /// Always `true`.
    pub success: bool,
    pub total_analyzed: usize,
    /// The same as `total_analyzed`.
    pub total_entries: usize,
    /// The analysed column's header.
    pub column_used: String,
    /// The same as `column_used`.
    pub text_column: String,
    pub sentiment_distribution: CsvDistribution,
    /// One per row with text, in file order.
    pub results: Vec<RowResult>,
}

/// Rows per sentiment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CsvDistribution {
    #[serde(rename = "Positive")]
    pub positive: usize,
    #[serde(rename = "Neutral")]
    pub neutral: usize,
    #[serde(rename = "Negative")]
    pub negative: usize,
}

/// One row's result: analysed, or refused with its own error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RowResult {
    /// Boxed: each model's result makes it four times the size of a failed row.
    Analysed(Box<AnalysedRow>),
    Failed(FailedRow),
}

/// A row both (or the one loaded) model analysed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnalysedRow {
    /// 1-based data row number.
    pub row: usize,
    pub text: String,
    /// RoBERTa's verdict, else the LSTM's.
    pub sentiment: Option<Sentiment>,
    pub confidence: Option<f64>,
    pub roberta: Option<SentimentResult>,
    pub lstm: Option<SentimentResult>,
    /// Both models ran and agree.
    pub agreement: bool,
}

/// A row that could not be analysed (too long, or refused by the model).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FailedRow {
    pub row: usize,
    /// The first 100 characters and `...`.
    pub text: String,
    /// Always `Error`.
    pub sentiment: &'static str,
    /// Always 0.
    pub confidence: f64,
    pub error: &'static str,
}

impl RowResult {
    pub fn sentiment(&self) -> Option<Sentiment> {
        match self {
            Self::Analysed(row) => row.sentiment,
            Self::Failed(_) => None,
        }
    }
}
