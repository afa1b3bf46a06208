//! The requests and responses of `/api/tests*` and `/api/users/{user_id}/test-results`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    domain::assessments::{self, Answer, CATEGORY, CrisisSupport, Instrument, TraitScores},
    store::results::ResultRow,
};

/// `POST /api/tests/{id}/submit` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SubmitRequest {
    /// One answer per question of the test, each question exactly once, each value one of the
    /// test's `response_options`.
    #[schema(min_items = 1)]
    pub answers: Vec<Answer>,
}

/// `GET /api/tests`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestList {
    /// Always `true`.
    pub success: bool,
    /// Big Five, GAD-7, PHQ-9, PSS-10.
    pub tests: Vec<TestSummary>,
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

/// `GET /api/tests/{id}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestDetail {
    /// Always `true`.
    pub success: bool,
    pub test: TestDefinition,
}

/// A test with its questions and answer scale.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestDefinition {
    pub id: i64,
    pub test_type: &'static str,
    pub test_name: &'static str,
    pub description: &'static str,
    pub total_questions: i64,
    pub max_score: i64,
    pub category: &'static str,
    /// Where the items and their scoring come from.
    pub source: &'static str,
    pub questions: Vec<Question>,
    pub response_options: Vec<ResponseOption>,
}

/// One item of a test.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Question {
    /// The original's global question id (unused by the frontend).
    pub id: i64,
    /// 1-based, within the test; what an answer names.
    pub question_number: i64,
    pub question_text: &'static str,
}

/// One point of a test's answer scale.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResponseOption {
    pub text: &'static str,
    pub value: i64,
}

/// `POST /api/tests/{id}/submit`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmitResponse {
    /// Always `true`.
    pub success: bool,
    pub result: Submitted,
}

/// A stored submission's score and what it means.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Submitted {
    pub id: i64,
    pub test_id: i64,
    pub total_score: i64,
    pub max_score: i64,
    pub severity_level: &'static str,
    pub description: &'static str,
    pub recommendations: &'static [&'static str],
    pub has_crisis_indicators: bool,
    /// Big Five only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trait_scores: Option<TraitScores>,
    /// Only when `has_crisis_indicators`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crisis: Option<CrisisSupport>,
}

/// `GET /api/users/{user_id}/test-results`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestResults {
    /// Always `true`.
    pub success: bool,
    pub total: usize,
    /// Newest first.
    pub results: Vec<TestResult>,
}

/// The contract's `TestResult`, plus `max_score` and, for the Big Five, `trait_scores`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestResult {
    pub id: i64,
    pub test_id: i64,
    pub test_name: Option<&'static str>,
    pub test_type: Option<&'static str>,
    /// The same as `total_score` (the original's name).
    pub score: i64,
    pub total_score: i64,
    pub max_score: Option<i64>,
    pub severity_level: String,
    #[schema(value_type = Vec<Answer>)]
    pub answers: Value,
    pub has_crisis_indicators: bool,
    pub completed_at: String,
    pub interpretation: Option<&'static str>,
    /// Big Five only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<TraitScores>)]
    pub trait_scores: Option<Value>,
}

impl From<&ResultRow> for TestResult {
    fn from(row: &ResultRow) -> Self {
        let instrument = assessments::find(row.test_id);
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        Self {
            id: row.id,
            test_id: row.test_id,
            test_name: instrument.map(|i| i.name),
            test_type: instrument.map(|i| i.test_type),
            score: row.total_score,
            total_score: row.total_score,
            max_score: instrument.map(|i| i.max_score),
            severity_level: row.severity_level.clone(),
            answers: parse(&row.answers),
            has_crisis_indicators: row.has_crisis_indicators != 0,
            completed_at: row.completed_at.clone(),
            interpretation: instrument.map(|i| i.band_for(row.total_score).description),
            trait_scores: row.trait_scores.as_deref().map(parse),
        }
    }
}
