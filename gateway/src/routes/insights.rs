//! `GET /api/notifications/insights` (contract §2.11, rules in §6) and
//! `GET /api/users/{user_id}/mental-health-insights` (§2.18): what a person's own entries and
//! results suggest, with coping strategies, and a gentle check-in after a clearly lower week
//! (`domain::history::checkin`). Both read only the caller's data.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    routing::get,
};
use chrono::Utc;

mod wire;

pub use wire::{AssessmentInsights, NotificationInsights, Patterns, PeriodShare, TestInsight};

use crate::{
    auth::AuthUser,
    domain::{
        analytics::EntryFacts,
        assessments,
        history::{self, checkin},
        insights::{self, GENERAL_RECOMMENDATIONS, ResultSignal},
        sentiment::Sentiment,
    },
    error::ApiResult,
    extract::QueryParams,
    routes::{
        history::{history_entry_of, user_zone},
        owner,
        tests::LanguageQuery,
    },
    state::AppState,
    store::{self, journal, results},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notifications/insights", get(notification_insights))
        .route(
            "/api/users/{user_id}/mental-health-insights",
            get(mental_health_insights),
        )
}

#[utoipa::path(get, path = "/api/notifications/insights", tag = "insights", security(("bearer" = [])),
    responses((status = 200, body = NotificationInsights, description = "Not cacheable"),
              (status = 401, description = "No valid token")))]
pub async fn notification_insights(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<impl IntoResponse> {
    owner::live_account(&state, &user).await?;
    let entries = journal::all_for_user(&state.db, &user.id).await?;
    let rows = results::for_user(&state.db, &user.id, None).await?;
    let facts = entry_facts(&entries);
    let signals: Vec<ResultSignal<'_>> = rows
        .iter()
        .map(|r| ResultSignal {
            test_id: r.test_id,
            severity_level: &r.severity_level,
        })
        .collect();
    let found = insights::insights(&facts, &signals);
    let tz = user_zone(&state, &user).await?;
    let days = history::by_day(
        &entries.iter().map(history_entry_of).collect::<Vec<_>>(),
        tz,
    );
    let body = NotificationInsights {
        success: true,
        insight: found.insight,
        coping_strategies: found.coping_strategies,
        patterns: found.patterns,
        check_in: checkin::checkin(&days, history::local_date(Utc::now(), tz)),
    };
    // A person's insights change with every entry and must not sit in shared caches.
    let headers = [
        (header::CACHE_CONTROL, "no-cache, no-store, must-revalidate"),
        (header::PRAGMA, "no-cache"),
        (header::EXPIRES, "0"),
    ];
    Ok((headers, Json(body)))
}

#[utoipa::path(get, path = "/api/users/{user_id}/mental-health-insights", tag = "insights",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The caller's own id"), LanguageQuery),
    responses((status = 200, body = AssessmentInsights),
              (status = 401, description = "No valid token"), (status = 403, description = "Another user's id"),
              (status = 404, description = "Unknown user")))]
pub async fn mental_health_insights(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    QueryParams(_language): QueryParams<LanguageQuery>,
) -> ApiResult<Json<AssessmentInsights>> {
    owner::own_account(&state, &user, &user_id).await?;
    let rows = results::for_user(&state.db, &user.id, None).await?;
    if rows.is_empty() {
        return Ok(Json(AssessmentInsights {
            success: true,
            message: Some("No test results available yet"),
            tests: Vec::new(),
            recommendations: &[],
            total_assessments: None,
        }));
    }
    // One entry per test, in order of each test's most recent submission (rows are newest first).
    let mut order: Vec<i64> = Vec::new();
    for row in &rows {
        if !order.contains(&row.test_id) {
            order.push(row.test_id);
        }
    }
    Ok(Json(AssessmentInsights {
        success: true,
        message: None,
        tests: order.iter().map(|id| test_summary(*id, &rows)).collect(),
        recommendations: &GENERAL_RECOMMENDATIONS,
        total_assessments: Some(rows.len()),
    }))
}

/// What the domain rules need of each stored entry (newest first, as stored).
pub(crate) fn entry_facts(rows: &[journal::EntryRow]) -> Vec<EntryFacts<'_>> {
    rows.iter()
        .map(|e| EntryFacts {
            at: store::parse_timestamp(&e.date),
            sentiment: e.sentiment.as_deref().and_then(Sentiment::parse),
            mood_score: e.mood_score,
            text: &e.text,
        })
        .collect()
}

/// One test's latest result, history size and trend.
fn test_summary(test_id: i64, newest_first: &[results::ResultRow]) -> TestInsight {
    let mine: Vec<&results::ResultRow> = newest_first
        .iter()
        .filter(|r| r.test_id == test_id)
        .collect();
    let totals: Vec<i64> = mine.iter().map(|r| r.total_score).collect();
    let latest = mine[0];
    let instrument = assessments::find(test_id);
    TestInsight {
        test_id,
        test_name: instrument.map(|i| i.name),
        test_type: instrument.map(|i| i.test_type),
        latest_score: latest.total_score,
        max_score: instrument.map(|i| i.max_score),
        severity_level: latest.severity_level.clone(),
        last_taken: latest.completed_at.clone(),
        history_count: mine.len(),
        trend: insights::test_trend(test_id, &totals),
    }
}
