//! The responses of `/api/notifications/insights` and
//! `/api/users/{user_id}/mental-health-insights`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::domain::{coping::CopingStrategy, insights::Insight};

/// `GET /api/notifications/insights`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationInsights {
    /// Always `true`.
    pub success: bool,
    pub insight: Insight,
    /// At most 8.
    #[serde(rename = "copingStrategies")]
    pub coping_strategies: Vec<CopingStrategy>,
    #[schema(value_type = Patterns)]
    pub patterns: Value,
    /// An insight suggesting the PHQ-9 when the past 7 days' mean mood is at least 1.5 below
    /// the 28 days before; else null.
    #[serde(rename = "checkIn")]
    pub check_in: Option<Insight>,
}

/// Time-of-day and theme patterns over the 10 newest entries: `{}` without scored entries,
/// `{message}` with fewer than 5, else `time_of_day` and `common_themes`.
#[allow(dead_code)] // documents `domain::insights::patterns`' JSON
#[derive(Debug, utoipa::ToSchema)]
pub struct Patterns {
    pub message: Option<String>,
    /// Per period of the day (`morning`, `afternoon`, `evening`, UTC) with at least two
    /// scored entries.
    pub time_of_day: Option<BTreeMap<String, PeriodShare>>,
    /// The most frequent words and their counts.
    pub common_themes: Option<BTreeMap<String, usize>>,
}

/// One period's scored entries and the share of them that are Positive.
#[allow(dead_code)] // documents `domain::insights::patterns`' JSON
#[derive(Debug, utoipa::ToSchema)]
pub struct PeriodShare {
    pub total_entries: usize,
    /// 0 to 1, two decimals.
    pub positive_ratio: f64,
}

/// `GET /api/users/{user_id}/mental-health-insights`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssessmentInsights {
    /// Always `true`.
    pub success: bool,
    /// Only without any result: "No test results available yet".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// One per test taken, in the order of each test's newest result.
    pub tests: Vec<TestInsight>,
    pub recommendations: &'static [&'static str],
    /// All results; absent without any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_assessments: Option<usize>,
}

/// A test's latest result and its trend.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestInsight {
    pub test_id: i64,
    pub test_name: Option<&'static str>,
    pub test_type: Option<&'static str>,
    pub latest_score: i64,
    pub max_score: Option<i64>,
    pub severity_level: String,
    pub last_taken: String,
    pub history_count: usize,
    /// Between the two newest totals (`improving`, `increasing`, `stable`); null with a single result.
    pub trend: Option<&'static str>,
}
