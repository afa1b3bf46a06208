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
use serde::Deserialize;
use serde_json::Value;

mod wire;

pub use wire::{
    Question, ResponseOption, SubmitRequest, SubmitResponse, Submitted, TestDefinition, TestDetail,
    TestList, TestResult, TestResults, TestSummary,
};

use crate::{
    auth::AuthUser,
    domain::assessments::{self, Answer, Instrument, crisis_support},
    error::{ApiError, ApiResult},
    extract::{JsonBody, QueryParams},
    routes::owner,
    state::AppState,
    store::{
        self,
        results::{self, NewResult},
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
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct LanguageQuery {
    /// `en` or `my`; anything else, and `my` for now, falls back to English.
    pub language: Option<String>,
}

/// `?test_id=` of the history route; a value that is not an id is ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct HistoryQuery {
    pub test_id: Option<String>,
}

#[utoipa::path(get, path = "/api/tests", tag = "tests", params(LanguageQuery),
    responses((status = 200, body = TestList)))]
pub async fn list_tests(QueryParams(_language): QueryParams<LanguageQuery>) -> Json<TestList> {
    let tests: Vec<TestSummary> = assessments::listing()
        .iter()
        .map(|i| TestSummary::from(*i))
        .collect();
    Json(TestList {
        success: true,
        tests,
    })
}

#[utoipa::path(get, path = "/api/tests/{id}", tag = "tests", params(("id" = i64, Path, minimum = 1, maximum = 4, description = "1 PHQ-9, 2 GAD-7, 3 Big Five, 4 PSS-10"), LanguageQuery),
    responses((status = 200, body = TestDetail),
              (status = 404, description = "Test not found")))]
pub async fn get_test(
    Path(id): Path<String>,
    QueryParams(_language): QueryParams<LanguageQuery>,
) -> ApiResult<Json<TestDetail>> {
    let instrument = instrument(&id)?;
    let questions = (1..=instrument.total_questions())
        .zip(instrument.items)
        .map(|(number, text)| Question {
            id: question_id(instrument, number),
            question_number: number,
            question_text: text,
        })
        .collect();
    let response_options = instrument
        .options
        .iter()
        .map(|o| ResponseOption {
            text: o.text,
            value: o.value,
        })
        .collect();
    let summary = TestSummary::from(instrument);
    let test = TestDefinition {
        id: summary.id,
        test_type: summary.test_type,
        test_name: summary.test_name,
        description: summary.description,
        total_questions: summary.total_questions,
        max_score: summary.max_score,
        category: summary.category,
        source: instrument.source,
        questions,
        response_options,
    };
    Ok(Json(TestDetail {
        success: true,
        test,
    }))
}

#[utoipa::path(post, path = "/api/tests/{id}/submit", tag = "tests", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, maximum = 4, description = "1 PHQ-9, 2 GAD-7, 3 Big Five, 4 PSS-10")),
    request_body = SubmitRequest,
    responses((status = 200, body = SubmitResponse),
              (status = 400, description = "Answers missing, incomplete, repeated or out of range; nothing stored"),
              (status = 401, description = "No valid token"), (status = 404, description = "Test not found")))]
pub async fn submit_test(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Json<SubmitResponse>> {
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
    let result = Submitted {
        id: result_id,
        test_id: instrument.id,
        total_score: outcome.total_score,
        max_score: instrument.max_score,
        severity_level: outcome.severity_level,
        description: outcome.description,
        recommendations: outcome.recommendations,
        has_crisis_indicators: outcome.crisis,
        trait_scores: outcome.trait_scores,
        crisis: outcome.crisis.then(crisis_support),
    };
    Ok(Json(SubmitResponse {
        success: true,
        result,
    }))
}

#[utoipa::path(get, path = "/api/users/{user_id}/test-results", tag = "tests", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The caller's own id"), HistoryQuery),
    responses((status = 200, body = TestResults),
              (status = 401, description = "No valid token"), (status = 403, description = "Another user's id"),
              (status = 404, description = "Unknown user")))]
pub async fn test_results(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> ApiResult<Json<TestResults>> {
    owner::own_account(&state, &user, &user_id).await?;
    let test_id = query.test_id.and_then(|t| t.trim().parse::<i64>().ok());
    let rows = results::for_user(&state.db, &user.id, test_id).await?;
    let results: Vec<TestResult> = rows.iter().map(TestResult::from).collect();
    Ok(Json(TestResults {
        success: true,
        total: results.len(),
        results,
    }))
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
