//! `/dashboard`: mood over the last 7, 30 or 90 days, the past year's calendar, the sentiment
//! mix, streaks and the insights, all from the API's handlers (so the numbers match what the
//! API reports), each chart with a table or summary for screen readers.

use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use chrono::{Datelike, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::{WebResult, WebUser, as_json, body_json, charts, layout};
use crate::{
    domain::history::{calendar::CalendarDay, streaks::Streaks},
    extract::QueryParams,
    routes::{dashboard as stats, history, insights},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

/// `?days=7|30|90` (default 30).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Span {
    pub days: Option<i64>,
}

async fn dashboard(
    State(state): State<AppState>,
    user: WebUser,
    Query(span): Query<Span>,
) -> WebResult<Markup> {
    let days = span.days.filter(|d| matches!(d, 7 | 30 | 90)).unwrap_or(30);
    let auth = || user.auth.clone();
    let summary = as_json(
        &stats::dashboard_stats(State(state.clone()), auth())
            .await?
            .0,
    )?;
    let streaks = history::journal_streaks(State(state.clone()), auth())
        .await?
        .0;
    let year = year_of_days(&state, &user).await?;
    let found: Value =
        body_json(insights::notification_insights(State(state.clone()), auth()).await?).await?;
    let moods: Vec<(NaiveDate, f64)> = year
        .iter()
        .filter_map(|d| Some((d.date, d.mean_mood?)))
        .collect();
    let today = year.last().map_or_else(
        || Utc::now().date_naive(),
        |d| d.date.max(Utc::now().date_naive()),
    );
    Ok(layout::page(
        "Dashboard",
        Some(&user),
        "/dashboard",
        html! {
            h1 { "Dashboard" }
            (numbers(&summary, &streaks))
            section.card {
                h2 { "Mood over the last " (days) " days" }
                nav.tabs aria-label="Period" {
                    @for d in [7, 30, 90] {
                        a href={ "/dashboard?days=" (d) } aria-current=[(d == days).then_some("page")] { (d) " days" }
                    }
                }
                (charts::mood_line(&moods, today, days, &format!("Line chart of daily mood over the last {days} days")))
                (mood_table(&moods, today, days))
            }
            section.card {
                h2 { "Your year" }
                (charts::heat_map(&moods, today))
                p.muted { (moods.iter().filter(|(d, _)| (today - *d).num_days() < 365).count()) " days with entries in the past year." }
            }
            (mix(&summary))
            (latest(&summary))
            (insight_card(&found))
        },
    ))
}

/// The calendar days of this year and last, through the API's calendar handler.
async fn year_of_days(state: &AppState, user: &WebUser) -> WebResult<Vec<CalendarDay>> {
    let this_year = Utc::now().year();
    let mut days = Vec::new();
    for year in [this_year - 1, this_year] {
        let query = QueryParams(history::CalendarQuery { year: Some(year) });
        let calendar = history::journal_calendar(State(state.clone()), user.auth.clone(), query)
            .await?
            .0;
        days.extend(calendar.days);
    }
    Ok(days)
}

fn numbers(summary: &Value, streaks: &Streaks) -> Markup {
    let stats = &summary["stats"];
    let average = stats["average_mood"].as_f64().unwrap_or(0.0);
    html! {
        section.stats aria-label="Summary" {
            div.stat { span.value { (stats["total_entries"]) } span.label { "entries" } }
            div.stat { span.value { (format!("{average:.1}")) } span.label { "average mood / 10" } }
            div.stat { span.value { (streaks.current) } span.label { "day streak" } }
            div.stat { span.value { (streaks.longest) } span.label { "longest streak" } }
            div.stat { span.value { (stats["entries_this_week"]) } span.label { "entries this week" } }
        }
    }
}

/// The line chart's text alternative: each day's mood in the period.
fn mood_table(moods: &[(NaiveDate, f64)], today: NaiveDate, days: i64) -> Markup {
    let start = today - chrono::Duration::days(days - 1);
    let shown: Vec<_> = moods.iter().filter(|(d, _)| *d >= start).collect();
    html! {
        details {
            summary { "Table of daily mood (" (shown.len()) " days with entries)" }
            table {
                thead { tr { th scope="col" { "Day" } th scope="col" { "Mood (0–10)" } } }
                tbody {
                    @for (d, m) in &shown { tr { td { (d) } td { (format!("{m:.1}")) } } }
                }
            }
        }
    }
}

fn mix(summary: &Value) -> Markup {
    let count = |name: &str| {
        summary["stats"]["sentiment_distribution"][name]
            .as_u64()
            .unwrap_or(0) as usize
    };
    let (p, n, g) = (count("Positive"), count("Neutral"), count("Negative"));
    html! {
        section.card {
            h2 { "Sentiment mix" }
            (charts::mix_bar(p, n, g))
            ul.legend {
                li { span.key.positive {} "Positive: " (p) }
                li { span.key.neutral {} "Neutral: " (n) }
                li { span.key.negative {} "Negative: " (g) }
            }
        }
    }
}

/// The newest entry, as a reminder of where the person left off.
fn latest(summary: &Value) -> Markup {
    let entry = &summary["stats"]["last_entry"];
    html! {
        @if let Some(text) = entry["text"].as_str() {
            section.card {
                h2 { "Latest entry" }
                p.entry-text { (text) }
                p { a href={ "/journal/" (entry["id"]) } { "Open it" } }
            }
        }
    }
}

fn insight_card(found: &Value) -> Markup {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let strategies = found["copingStrategies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    html! {
        section.card {
            h2 { "Insights" }
            h3 { (text(&found["insight"]["title"])) }
            p { (text(&found["insight"]["message"])) }
            @if let Some(check) = found["checkIn"].as_object() {
                p.alert { (text(&check.get("message").cloned().unwrap_or_default())) " " a href="/assessments/1" { "Take the PHQ-9" } }
            }
            @if !strategies.is_empty() {
                h3 { "Things that may help" }
                ul {
                    @for s in strategies.iter().take(4) {
                        li { strong { (text(&s["name"])) } ": " (text(&s["description"])) }
                    }
                }
            }
        }
    }
}
