//! `GET /api/dashboard/stats` (contract §2.20): the caller's journal and test statistics,
//! computed from their data, in app.py's `{success, stats}` shape plus the blueprint's flat keys
//! computed correctly.

use std::collections::BTreeMap;

use axum::{Json, Router, extract::State, routing::get};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::{
    auth::AuthUser,
    domain::{analytics, history::zone, sentiment::Sentiment},
    error::ApiResult,
    routes::{insights::entry_facts, journal::entry_json, owner},
    state::AppState,
    store::{journal, results},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/dashboard/stats", get(dashboard_stats))
}

#[utoipa::path(get, path = "/api/dashboard/stats", tag = "dashboard", security(("bearer" = [])),
    responses((status = 200, description = "{success, stats: {total_entries, average_mood, entries_this_week, streak, sentiment_distribution, last_entry}, current_streak, total_entries, total_tests_completed, recent_mood_trend, last_entry_date, account_created}"),
              (status = 401, description = "No valid token")))]
pub async fn dashboard_stats(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({
        "success": true,
        "stats": {
            "total_entries": entries.len(),
            "average_mood": analytics::average_mood(facts.iter()).unwrap_or(0.0),
            "entries_this_week": facts.iter().filter(|f| f.at >= now - Duration::days(7)).count(),
            "streak": streak,
            "sentiment_distribution": distribution,
            "last_entry": last.map(entry_json),
        },
        "current_streak": streak,
        "total_entries": entries.len(),
        "total_tests_completed": tests_completed,
        "recent_mood_trend": trend,
        "last_entry_date": last.map(|e| e.date.clone()),
        "account_created": account.created_at,
    })))
}
