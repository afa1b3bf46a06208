//! `GET /api/dashboard/stats` (contract §2.20): the caller's journal and test statistics,
//! computed from their data, in app.py's `{success, stats}` shape plus the blueprint's flat keys
//! computed correctly.

use std::collections::BTreeMap;

use axum::{Json, Router, extract::State, routing::get};
use chrono::{Duration, Utc};
use serde::Serialize;

use crate::{
    auth::AuthUser,
    domain::{analytics, history::zone, sentiment::Sentiment},
    error::ApiResult,
    routes::{insights::entry_facts, journal::Entry, owner},
    state::AppState,
    store::{journal, results},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/dashboard/stats", get(dashboard_stats))
}

/// `GET /api/dashboard/stats`: app.py's `{success, stats}` plus the blueprint's flat keys.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DashboardResponse {
    /// Always `true`.
    pub success: bool,
    pub stats: DashboardStats,
    /// Consecutive days with an entry, ending today or yesterday (UTC).
    pub current_streak: u32,
    pub total_entries: usize,
    pub total_tests_completed: i64,
    /// `improving`, `declining`, `stable`, `insufficient_data` or `no_data`.
    pub recent_mood_trend: &'static str,
    pub last_entry_date: Option<String>,
    pub account_created: String,
}

/// The `stats` of a [`DashboardResponse`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DashboardStats {
    pub total_entries: usize,
    /// Mean mood score of scored entries; 0 without any.
    pub average_mood: f64,
    pub entries_this_week: usize,
    pub streak: u32,
    /// Scored entries per sentiment (`Positive`, `Neutral`, `Negative`; absent when none).
    pub sentiment_distribution: BTreeMap<&'static str, usize>,
    /// The newest entry.
    pub last_entry: Option<Entry>,
}

#[utoipa::path(get, path = "/api/dashboard/stats", tag = "dashboard", security(("bearer" = [])),
    responses((status = 200, body = DashboardResponse),
              (status = 401, description = "No valid token")))]
pub async fn dashboard_stats(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<DashboardResponse>> {
    let account = owner::live_account(&state, &user).await?;
    let entries = journal::all_for_user(&state.db, &user.id).await?;
    let tests_completed = results::count_for_user(&state.db, &user.id).await?;
    let now = Utc::now();
    let facts = entry_facts(&entries);
    let zone = zone::stored_timezone(&account.timezone);
    let streak = analytics::streak(facts.iter().map(|f| f.at), now, zone);
    let mut distribution: BTreeMap<&str, usize> = BTreeMap::new();
    for sentiment in facts.iter().filter_map(|f| f.sentiment) {
        *distribution.entry(sentiment.as_str()).or_default() += 1;
    }
    let sentiments: Vec<Option<Sentiment>> = facts.iter().map(|f| f.sentiment).collect();
    let trend = match entries.is_empty() {
        true => "no_data",
        false => analytics::sentiment_trend(&sentiments),
    };
    let last = entries.first();
    let stats = DashboardStats {
        total_entries: entries.len(),
        average_mood: analytics::average_mood(facts.iter()).unwrap_or(0.0),
        entries_this_week: facts
            .iter()
            .filter(|f| f.at >= now - Duration::days(7))
            .count(),
        streak,
        sentiment_distribution: distribution,
        last_entry: last.map(Entry::from),
    };
    Ok(Json(DashboardResponse {
        success: true,
        stats,
        current_streak: streak,
        total_entries: entries.len(),
        total_tests_completed: tests_completed,
        recent_mood_trend: trend,
        last_entry_date: last.map(|e| e.date.clone()),
        account_created: account.created_at,
    }))
}
