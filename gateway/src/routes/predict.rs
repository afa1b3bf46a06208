//! `/api/predict/{roberta,lstm,both}` and `/api/analyze/csv` (contract §2.12, §2.13, §3).
//!
//! A model that is not loaded is `null` in `/both` and a 503 on its own route; when no model
//! is loaded at all the answer is 503. No score is ever made up.

use axum::{
    Json, Router,
    extract::{
        DefaultBodyLimit, State,
        multipart::{Multipart, MultipartRejection},
    },
    response::IntoResponse,
    routing::post,
};
use serde_json::Value;

use crate::{
    cache::CacheStatus,
    config::Config,
    domain::sentiment::{self, SentimentResult},
    error::{ApiError, ApiResult},
    extract::JsonBody,
    inference::Model,
    scoring::{self, Scored},
    state::AppState,
};

pub(crate) mod csv_input;
mod wire;

pub use wire::{
    AnalysedRow, BothResult, CsvDistribution, CsvSummary, CsvUpload, FailedRow, RowResult,
    TextRequest,
};

/// The longest text, in Unicode code points (the original's `len(str)`).
pub const MAX_TEXT_CHARS: usize = 5000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/predict/roberta", post(predict_roberta))
        .route("/api/predict/lstm", post(predict_lstm))
        .route("/api/predict/both", post(predict_both))
}

/// `/api/analyze/csv`, separate so it gets its own timeout and a 10 MiB body limit (plus room
/// for the multipart framing).
pub fn csv_router(_config: &Config) -> Router<AppState> {
    Router::new()
        .route("/api/analyze/csv", post(analyze_csv))
        .layer(DefaultBodyLimit::max(csv_input::MAX_FILE_BYTES + 64 * 1024))
}

/// The text of a `{text}` body, validated as the contract orders it; `missing` is the message
/// when there is no `text` (the journal and predict routes differ).
pub fn validated_text(body: &Value, missing: &str) -> ApiResult<String> {
    let text = body
        .get("text")
        .filter(|t| !t.is_null())
        .ok_or_else(|| ApiError::bad_request(missing))?;
    let text = text
        .as_str()
        .ok_or_else(|| ApiError::bad_request("Text must be a string"))?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("Empty text provided"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad_request(format!(
            "Text too long. Maximum length is {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

#[utoipa::path(post, path = "/api/predict/roberta", tag = "predict",
    request_body = TextRequest,
    responses((status = 200, body = SentimentResult), (status = 400, description = "Invalid text"),
              (status = 502, description = "Inference failed"), (status = 504, description = "Inference timed out"),
              (status = 503, description = "RoBERTa model not loaded")))]
pub async fn predict_roberta(
    state: State<AppState>,
    body: JsonBody<Value>,
) -> ApiResult<Json<SentimentResult>> {
    predict_one(state, body, Model::Roberta).await
}

#[utoipa::path(post, path = "/api/predict/lstm", tag = "predict",
    request_body = TextRequest,
    responses((status = 200, body = SentimentResult), (status = 400, description = "Invalid text"),
              (status = 502, description = "Inference failed"), (status = 504, description = "Inference timed out"),
              (status = 503, description = "LSTM model not loaded")))]
pub async fn predict_lstm(
    state: State<AppState>,
    body: JsonBody<Value>,
) -> ApiResult<Json<SentimentResult>> {
    predict_one(state, body, Model::Lstm).await
}

async fn predict_one(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Value>,
    model: Model,
) -> ApiResult<Json<SentimentResult>> {
    let text = validated_text(&body, "No text provided")?;
    let scored = score_one(&state, text, &[model]).await?;
    let result = scored.get(model).cloned();
    result
        .map(Json)
        .ok_or_else(|| ApiError::Unavailable(model.not_loaded_message().into()))
}

#[utoipa::path(post, path = "/api/predict/both", tag = "predict",
    request_body = TextRequest,
    responses((status = 200, body = BothResult, description = "Header X-Cache: HIT, MISS or BYPASS"),
              (status = 400, description = "Invalid text"), (status = 502, description = "Inference failed"),
              (status = 504, description = "Inference timed out"), (status = 503, description = "No model loaded")))]
pub async fn predict_both(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<impl IntoResponse> {
    let text = validated_text(&body, "No text provided")?;
    let versions = crate::cache::model_versions(&state.inference).await;
    let compute = || both(&state, text.clone());
    let (value, cached) = match versions {
        Some(v) => {
            state
                .platform
                .cache
                .get_or_compute("both", &v, &text, compute)
                .await?
        }
        None => (compute().await?, CacheStatus::Bypass),
    };
    Ok(([(crate::cache::X_CACHE, cached.as_str())], Json(value)))
}

/// The `/both` answer, computed (the cache stores it whole).
async fn both(state: &AppState, text: String) -> ApiResult<BothResult> {
    let scored = score_one(state, text.clone(), &[Model::Roberta, Model::Lstm]).await?;
    let primary = scored.primary().ok_or_else(no_model)?;
    Ok(BothResult {
        text,
        sentiment: primary.sentiment,
        confidence: primary.confidence,
        consensus: sentiment::consensus(scored.roberta.as_ref(), scored.lstm.as_ref()),
        roberta: scored.roberta,
        lstm: scored.lstm,
    })
}

#[utoipa::path(post, path = "/api/analyze/csv", tag = "predict",
    request_body(content_type = "multipart/form-data", content = CsvUpload),
    responses((status = 200, body = CsvSummary),
              (status = 400, description = "Invalid file"), (status = 413, description = "File too large"),
              (status = 502, description = "Inference failed"), (status = 504, description = "Inference timed out"),
              (status = 503, description = "No model loaded")))]
pub async fn analyze_csv(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<CsvSummary>> {
    let multipart = multipart.map_err(|_| ApiError::bad_request("No file provided"))?;
    let bytes = csv_input::read_file(multipart).await?;
    let table = csv_input::parse(&bytes)?;
    if scoring::loaded(&state, &[Model::Roberta, Model::Lstm])
        .await?
        .is_empty()
    {
        return Err(no_model());
    }
    let mut results = Vec::with_capacity(table.rows.len());
    for chunk in table.rows.chunks(32) {
        results.extend(analyze_rows(&state, chunk).await?);
    }
    Ok(Json(csv_input::summary(&table.column, results)))
}

/// Scores one chunk of rows; overlong rows become error rows without a model call, and so does
/// a row the service fails on (the others are still analysed).
async fn analyze_rows(state: &AppState, rows: &[csv_input::Row]) -> ApiResult<Vec<RowResult>> {
    let (long, ok): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|r| r.text.chars().count() > MAX_TEXT_CHARS);
    let texts = ok.iter().map(|r| r.text.clone()).collect();
    let scored = scoring::score_each(state, texts, &[Model::Roberta, Model::Lstm]).await?;
    let mut out: Vec<(usize, RowResult)> = long
        .iter()
        .map(|r| (r.number, csv_input::too_long(r)))
        .collect();
    out.extend(ok.iter().zip(&scored).map(|(r, s)| match s {
        Ok(s) => (r.number, csv_input::analysed(r, s)),
        Err(_) => (r.number, csv_input::not_analysed(r)),
    }));
    out.sort_by_key(|(number, _)| *number);
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

async fn score_one(state: &AppState, text: String, models: &[Model]) -> ApiResult<Scored> {
    let mut scored = scoring::score_texts(state, vec![text], models).await?;
    scored
        .pop()
        .ok_or_else(|| ApiError::internal("inference returned no result"))
}

fn no_model() -> ApiError {
    ApiError::Unavailable("No sentiment model is available".into())
}
