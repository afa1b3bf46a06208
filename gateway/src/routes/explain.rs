//! Explanations: which words moved the mood. `POST /api/predict/explain` explains any text;
//! `GET /api/journal/entries/{id}/explanation` explains one of the caller's entries.
//!
//! The inference service computes them by leaving one word out (its `Explain` RPC); the gateway
//! validates, caches the answer in the model-result cache under the model versions and the
//! text's hash (like `/api/predict/both`), and shapes the JSON. A model that is not loaded is
//! `null`; when none of the asked-for models is loaded the answer is 503. When inference cannot
//! answer the request fails with its 503 (or 429, 504) and nothing is cached.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    auth::AuthUser,
    cache::{self, CacheStatus},
    error::{ApiError, ApiResult},
    extract::JsonBody,
    inference::{self, Model},
    routes::predict::validated_text,
    scoring,
    state::AppState,
    store::journal,
};

/// The 404 message for an entry that is missing or someone else's (as the journal routes say).
const NOT_FOUND: &str = "Entry not found or unauthorized";

/// Words in one explained text: the inference service's default `INFERENCE_MAX_EXPLAIN_WORDS`,
/// checked here too because the service's own messages never reach a user (`InferenceError::
/// public_message`), and a caller past the limit deserves to be told which limit.
pub const MAX_EXPLAIN_WORDS: usize = 128;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/predict/explain", post(explain_text))
        .route("/api/journal/entries/{id}/explanation", get(explain_entry))
}

/// Which models explain the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelChoice {
    #[default]
    Both,
    Roberta,
    Lstm,
}

impl ModelChoice {
    fn models(self) -> &'static [Model] {
        match self {
            Self::Both => &[Model::Roberta, Model::Lstm],
            Self::Roberta => &[Model::Roberta],
            Self::Lstm => &[Model::Lstm],
        }
    }

    fn parse(value: Option<&Value>) -> ApiResult<Self> {
        let bad = || ApiError::bad_request("model must be one of \"both\", \"roberta\", \"lstm\"");
        match value.filter(|v| !v.is_null()) {
            None => Ok(Self::Both),
            Some(v) => serde_json::from_value(v.clone()).map_err(|_| bad()),
        }
    }
}

/// Body of `POST /api/predict/explain`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ExplainRequest {
    /// The text: 1 to 5000 characters, not only whitespace, at most the inference service's
    /// word limit (128 words by default).
    #[schema(pattern = r"\S", min_length = 1, max_length = 5000)]
    pub text: String,
    /// Which models explain it (default `both`).
    #[serde(default)]
    pub model: Option<ModelChoice>,
}

/// One word and what leaving it out changed for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WordAttributionView {
    pub word: String,
    /// Unicode code-point offsets into the text, half-open: `text[start:end] == word`.
    pub start: u32,
    pub end: u32,
    /// `score(label | text) - score(label | text without the word)`; positive: the word
    /// supported the label.
    pub attribution: f32,
    /// `mood_score(text) - mood_score(text without the word)`; positive: the word raised the mood.
    pub mood_delta: f32,
    /// The word lies past the model's token limit, so it was never seen; both numbers are 0.
    pub beyond_limit: bool,
}

/// One model's explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelExplanationView {
    /// The model's top label on the whole text; every attribution refers to it.
    pub label: String,
    /// That label's score on the whole text, in [0, 1].
    pub score: f32,
    /// The whole text's mood, 0 to 10.
    pub mood_score: f32,
    /// Every word of the text, in text order.
    pub words: Vec<WordAttributionView>,
}

/// Each model's explanation; `null` for a model not asked for or not loaded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Explanations {
    pub roberta: Option<ModelExplanationView>,
    pub lstm: Option<ModelExplanationView>,
}

/// Answer of `POST /api/predict/explain`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExplainResponse {
    pub success: bool,
    pub text: String,
    /// Words in the text (runs of non-whitespace).
    pub words: u32,
    pub explanations: Explanations,
}

/// Answer of `GET /api/journal/entries/{id}/explanation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EntryExplanationResponse {
    pub success: bool,
    pub entry_id: i64,
    pub text: String,
    pub words: u32,
    pub explanations: Explanations,
}

/// What the cache stores: everything but the envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Explained {
    words: u32,
    explanations: Explanations,
}

#[utoipa::path(post, path = "/api/predict/explain", tag = "predict",
    request_body = ExplainRequest,
    responses(
        (status = 200, body = ExplainResponse, description = "Each word's attribution, per model; header X-Cache: HIT, MISS or BYPASS"),
        (status = 400, description = "Invalid text or model, or more words than the inference service explains"),
        (status = 429, description = "Rate limit exceeded, or inference overloaded"),
        (status = 503, description = "None of the asked-for models is loaded, or inference is unavailable"),
        (status = 502, description = "Inference failed"),
        (status = 504, description = "Inference timed out")))]
pub async fn explain_text(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<impl IntoResponse> {
    let text = validated_text(&body, "No text provided")?;
    let choice = ModelChoice::parse(body.get("model"))?;
    let words = text.split_whitespace().count();
    if words > MAX_EXPLAIN_WORDS {
        return Err(ApiError::bad_request(format!(
            "Text too long to explain: {words} words, at most {MAX_EXPLAIN_WORDS}"
        )));
    }
    let (explained, cached) = explained(&state, &text, choice).await?;
    let response = ExplainResponse {
        success: true,
        text,
        words: explained.words,
        explanations: explained.explanations,
    };
    Ok(([(cache::X_CACHE, cached.as_str())], Json(response)))
}

#[utoipa::path(get, path = "/api/journal/entries/{id}/explanation", tag = "journal",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Entry id")),
    responses(
        (status = 200, body = EntryExplanationResponse, description = "The entry explained by both models; header X-Cache: HIT, MISS or BYPASS"),
        (status = 401, description = "No valid token"),
        (status = 404, description = "Not the caller's entry"),
        (status = 429, description = "Rate limit exceeded, or inference overloaded"),
        (status = 503, description = "No model is loaded, or inference is unavailable"),
        (status = 502, description = "Inference failed"),
        (status = 504, description = "Inference timed out")))]
pub async fn explain_entry(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found(NOT_FOUND))?;
    let entry = journal::get(&state.db, &user.id, id).await?;
    let entry = entry.ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let (explained, cached) = explained(&state, &entry.text, ModelChoice::Both).await?;
    let response = EntryExplanationResponse {
        success: true,
        entry_id: entry.id,
        text: entry.text,
        words: explained.words,
        explanations: explained.explanations,
    };
    Ok(([(cache::X_CACHE, cached.as_str())], Json(response)))
}

/// The explanation of `text` by `choice`'s loaded models, from the cache when it is there.
async fn explained(
    state: &AppState,
    text: &str,
    choice: ModelChoice,
) -> ApiResult<(Explained, CacheStatus)> {
    let loaded = scoring::loaded(state, choice.models()).await?;
    if loaded.is_empty() {
        return Err(ApiError::Unavailable(match choice {
            ModelChoice::Both => "No sentiment model is available".into(),
            ModelChoice::Roberta => Model::Roberta.not_loaded_message().into(),
            ModelChoice::Lstm => Model::Lstm.not_loaded_message().into(),
        }));
    }
    let run = || compute(state, text, &loaded);
    let versions = cache::model_versions(&state.inference).await;
    let Some(versions) = versions else {
        return Ok((run().await?, CacheStatus::Bypass));
    };
    let kind = format!("explain-{}", names(&loaded));
    state
        .platform
        .cache
        .get_or_compute(&kind, &versions, text, run)
        .await
}

/// `roberta+lstm`, `roberta` or `lstm`: which models a cached explanation covers.
fn names(models: &[Model]) -> String {
    models
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

async fn compute(state: &AppState, text: &str, models: &[Model]) -> ApiResult<Explained> {
    let explanations = state
        .inference
        .explain(text.to_owned(), models)
        .await
        .inspect_err(|e| {
            if e.is_transient() {
                // A restarted service may come back with other models.
                state.inference.forget_models();
            }
        })?;
    let mut out = Explained {
        // The client checked that every explanation lists every word.
        words: explanations.first().map_or(0, |e| e.words.len() as u32),
        explanations: Explanations::default(),
    };
    for explanation in explanations {
        let slot = match explanation.model {
            Model::Roberta => &mut out.explanations.roberta,
            Model::Lstm => &mut out.explanations.lstm,
        };
        *slot = Some(view(explanation));
    }
    Ok(out)
}

fn view(explanation: inference::Explanation) -> ModelExplanationView {
    let words = explanation
        .words
        .into_iter()
        .map(|w| WordAttributionView {
            word: w.word,
            start: w.start,
            end: w.end,
            attribution: w.attribution,
            mood_delta: w.mood_delta,
            beyond_limit: w.beyond_limit,
        })
        .collect();
    ModelExplanationView {
        label: explanation.label,
        score: explanation.score,
        mood_score: explanation.mood_score,
        words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_model_defaults_to_both_and_refuses_anything_unknown() {
        assert_eq!(ModelChoice::parse(None).unwrap(), ModelChoice::Both);
        assert_eq!(
            ModelChoice::parse(Some(&Value::Null)).unwrap(),
            ModelChoice::Both
        );
        let lstm = ModelChoice::parse(Some(&json!("lstm"))).unwrap();
        assert_eq!(lstm.models(), &[Model::Lstm]);
        for bad in [json!("LSTM"), json!("bert"), json!(3)] {
            let err = ModelChoice::parse(Some(&bad)).unwrap_err();
            assert!(
                err.to_string().contains("\"both\", \"roberta\", \"lstm\""),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_cached_explanation_is_keyed_by_the_models_it_covers() {
        assert_eq!(names(&[Model::Roberta, Model::Lstm]), "roberta+lstm");
        assert_eq!(names(&[Model::Lstm]), "lstm");
    }
}
