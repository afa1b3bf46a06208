//! `/api/tests*` and `/api/users/{user_id}/test-results`: the four self-assessments, their
//! submission and a person's history (contract §2.14 to §2.17).
//!
//! Definitions and scoring come from `domain::assessments`; a submission is validated in full
//! before anything is stored, so a refused one changes nothing.

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    auth::AuthUser,
    domain::assessments::{self, Answer, CATEGORY, Instrument, crisis_support},
    error::{ApiError, ApiResult},
    extract::{JsonBody, QueryParams},
    routes::owner,
    state::AppState,
    store::{
        self,
        results::{self, NewResult, ResultRow},
    },
};

const TEST_NOT_FOUND: &str = "Test not found";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tests", get(list_tests))
        .route("/api/tests/{id}", get(get_test))
        .route("/api/tests/{id}/submit", post(submit_test))
        .route("/api/users/{user_id}/test-results", get(test_results))
}

/// `?language=en|my`. Only English exists; every value is served in English.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct LanguageQuery {
    /// `en` or `my`; anything else, and `my` for now, falls back to English.
    pub language: Option<String>,
}

/// `?test_id=` of the history route; a value that is not an id is ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct HistoryQuery {
    pub test_id: Option<String>,
}

/// `POST /api/tests/{id}/submit` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SubmitRequest {
    /// One answer per question, each question exactly once.
    pub answers: Vec<Answer>,
}

/// One test in the listing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestSummary {
    pub id: i64,
    pub test_type: &'static str,
    pub test_name: &'static str,
    pub description: &'static str,
    pub total_questions: i64,
    pub max_score: i64,
    pub duration_minutes: f64,
    pub category: &'static str,
}

impl From<&Instrument> for TestSummary {
    fn from(i: &Instrument) -> Self {
        Self {
            id: i.id,
            test_type: i.test_type,
            test_name: i.name,
            description: i.description,
            total_questions: i.total_questions(),
            max_score: i.max_score,
            duration_minutes: i.duration_minutes(),
            category: CATEGORY,
        }
    }
}

#[utoipa::path(get, path = "/api/tests", tag = "tests", params(LanguageQuery),
    responses((status = 200, description = "{success, tests}: Big Five, GAD-7, PHQ-9, PSS-10", body = [TestSummary])))]
pub async fn list_tests(QueryParams(_language): QueryParams<LanguageQuery>) -> Json<Value> {
    let tests: Vec<TestSummary> = assessments::listing()
        .iter()
        .map(|i| TestSummary::from(*i))
        .collect();
    Json(json!({ "success": true, "tests": tests }))
}

#[utoipa::path(get, path = "/api/tests/{id}", tag = "tests", params(("id" = i64, Path, description = "1 PHQ-9, 2 GAD-7, 3 Big Five, 4 PSS-10"), LanguageQuery),
    responses((status = 200, description = "{success, test: {…, questions, response_options}}"),
              (status = 404, description = "Test not found")))]
pub async fn get_test(
    Path(id): Path<String>,
    QueryParams(_language): QueryParams<LanguageQuery>,
) -> ApiResult<Json<Value>> {
    let instrument = instrument(&id)?;
    let questions: Vec<Value> = (1..=instrument.total_questions())
        .zip(instrument.items)
        .map(|(number, text)| {
            json!({ "id": question_id(instrument, number), "question_number": number, "question_text": text })
        })
        .collect();
    let options: Vec<Value> = instrument
        .options
        .iter()
        .map(|o| json!({ "text": o.text, "value": o.value }))
        .collect();
    let summary = TestSummary::from(instrument);
    Ok(Json(json!({ "success": true, "test": {
        "id": summary.id, "test_type": summary.test_type, "test_name": summary.test_name,
        "description": summary.description, "total_questions": summary.total_questions,
        "max_score": summary.max_score, "category": summary.category,
        "source": instrument.source, "questions": questions, "response_options": options,
    }})))
}

#[utoipa::path(post, path = "/api/tests/{id}/submit", tag = "tests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Test id")), request_body = SubmitRequest,
    responses((status = 200, description = "{success, result: {id, total_score, max_score, severity_level, description, recommendations, has_crisis_indicators, trait_scores?, crisis?}}"),
              (status = 400, description = "Answers missing, incomplete, repeated or out of range; nothing stored"),
              (status = 401, description = "No valid token"), (status = 404, description = "Test not found")))]
pub async fn submit_test(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Json<Value>> {
    let instrument = instrument(&id)?;
    let answers = parse_answers(&body)?;
    let outcome = instrument
        .score(&answers)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    owner::live_account(&state, &user).await?;
    let answers_json = serde_json::to_string(&outcome.answers).map_err(ApiError::internal)?;
    let traits_json = outcome
        .trait_scores
        .map(|t| serde_json::to_string(&t))
        .transpose()
        .map_err(ApiError::internal)?;
    let row = NewResult {
        user_id: &user.id,
        test_id: instrument.id,
        total_score: outcome.total_score,
        severity_level: outcome.severity_level,
        answers: &answers_json,
        trait_scores: traits_json.as_deref(),
        crisis: outcome.crisis,
        completed_at: &store::now(),
    };
    let result_id = results::insert(&state.db, &row).await?;
    let mut result = json!({
        "id": result_id,
        "test_id": instrument.id,
        "total_score": outcome.total_score,
        "max_score": instrument.max_score,
        "severity_level": outcome.severity_level,
        "description": outcome.description,
        "recommendations": outcome.recommendations,
        "has_crisis_indicators": outcome.crisis,
    });
    if let Some(traits) = outcome.trait_scores {
        result["trait_scores"] = json!(traits);
    }
    if outcome.crisis {
        result["crisis"] = json!(crisis_support());
    }
    Ok(Json(json!({ "success": true, "result": result })))
}

#[utoipa::path(get, path = "/api/users/{user_id}/test-results", tag = "tests", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The caller's own id"), HistoryQuery),
    responses((status = 200, description = "{success, results (newest first), total}"),
              (status = 401, description = "No valid token"), (status = 403, description = "Another user's id"),
              (status = 404, description = "Unknown user")))]
pub async fn test_results(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> ApiResult<Json<Value>> {
    owner::own_account(&state, &user, &user_id).await?;
    let test_id = query.test_id.and_then(|t| t.trim().parse::<i64>().ok());
    let rows = results::for_user(&state.db, &user.id, test_id).await?;
    let results: Vec<Value> = rows.iter().map(result_json).collect();
    Ok(Json(
        json!({ "success": true, "total": results.len(), "results": results }),
    ))
}

/// The contract's `TestResult`, plus `max_score` and, for the Big Five, `trait_scores`.
pub fn result_json(row: &ResultRow) -> Value {
    let instrument = assessments::find(row.test_id);
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let mut result = json!({
        "id": row.id,
        "test_id": row.test_id,
        "test_name": instrument.map(|i| i.name),
        "test_type": instrument.map(|i| i.test_type),
        "score": row.total_score,
        "total_score": row.total_score,
        "max_score": instrument.map(|i| i.max_score),
        "severity_level": row.severity_level,
        "answers": parse(&row.answers),
        "has_crisis_indicators": row.has_crisis_indicators != 0,
        "completed_at": row.completed_at,
        "interpretation": instrument.map(|i| i.band_for(row.total_score).description),
    });
    if let Some(traits) = &row.trait_scores {
        result["trait_scores"] = parse(traits);
    }
    result
}

/// The instrument with the path's id; anything else is 404.
fn instrument(id: &str) -> ApiResult<&'static Instrument> {
    id.parse()
        .ok()
        .and_then(assessments::find)
        .ok_or_else(|| ApiError::not_found(TEST_NOT_FOUND))
}

/// `answers` as a list of `{question_number, value}` integers; 400 otherwise.
fn parse_answers(body: &Value) -> ApiResult<Vec<Answer>> {
    let list = body
        .get("answers")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let list = list.ok_or_else(|| ApiError::bad_request("Answers required"))?;
    list.iter()
        .map(|a| serde_json::from_value::<Answer>(a.clone()))
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::bad_request(
                "Each answer must be {\"question_number\": integer, \"value\": integer}",
            )
        })
}

/// The original's global question ids: numbered across tests in seed order (PHQ-9 1-9,
/// GAD-7 10-16, Big Five 17-66, PSS-10 67-76). The frontend never uses them.
fn question_id(instrument: &Instrument, number: i64) -> i64 {
    let seed_order = [
        assessments::PHQ9_ID,
        assessments::GAD7_ID,
        assessments::BIGFIVE_ID,
        assessments::PSS10_ID,
    ];
    let before: i64 = seed_order
        .iter()
        .take_while(|id| **id != instrument.id)
        .filter_map(|id| assessments::find(*id))
        .map(Instrument::total_questions)
        .sum();
    before + number
}
