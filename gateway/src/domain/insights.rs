//! The insight, coping-strategy and pattern rules of `GET /api/notifications/insights`
//! (contract section 6), and the per-test trend of the mental-health-insights route (2.18).
//!
//! Inputs are plain values gathered by the route, newest first; nothing here reads a clock or a
//! database, so the worked example in the contract is a unit test.

use std::collections::BTreeMap;

use serde::Serialize;

use super::analytics::{self, EntryFacts};
use super::assessments::{BIGFIVE_ID, GAD7_ID, PHQ9_ID, PSS10_ID};
use super::coping::{self, CopingStrategy};
use super::sentiment::{Sentiment, round};

/// At most this many strategies are suggested.
const MAX_STRATEGIES: usize = 8;
/// Patterns look at this many of the newest entries.
const RECENT: usize = 10;

/// What insights need from one test result.
#[derive(Debug, Clone, Copy)]
pub struct ResultSignal<'a> {
    pub test_id: i64,
    pub severity_level: &'a str,
}

/// The sentiment trend over the newest entries (the journal analytics' rule, shared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    InsufficientData,
    Improving,
    Declining,
    Stable,
}

/// The mood-score pattern over the newest entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoodPattern {
    InsufficientData,
    Positive,
    Concerning,
    Neutral,
}

/// The contract's `insight` object.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Insight {
    pub title: &'static str,
    pub message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// Everything the insights route returns besides `success`.
#[derive(Debug, Clone, PartialEq)]
pub struct Insights {
    pub insight: Insight,
    pub coping_strategies: Vec<CopingStrategy>,
    pub patterns: serde_json::Value,
}

/// Fewer than 3 scored entries: insufficient; else among the 5 newest, ≥3 Positive improving,
/// ≥3 Negative declining, otherwise stable. Entries still pending a score are skipped.
pub fn sentiment_trend(newest_first: &[EntryFacts<'_>]) -> Trend {
    let sentiments: Vec<Option<Sentiment>> = newest_first.iter().map(|e| e.sentiment).collect();
    match analytics::sentiment_trend(&sentiments) {
        "improving" => Trend::Improving,
        "declining" => Trend::Declining,
        "stable" => Trend::Stable,
        _ => Trend::InsufficientData,
    }
}

/// Fewer than 2 scored entries: insufficient; else the mean mood of the 7 newest, ≥7 positive,
/// ≤4 concerning, otherwise neutral.
pub fn mood_pattern(newest_first: &[EntryFacts<'_>]) -> MoodPattern {
    let moods: Vec<f64> = newest_first
        .iter()
        .filter_map(|e| e.mood_score)
        .take(7)
        .collect();
    if moods.len() < 2 {
        return MoodPattern::InsufficientData;
    }
    let mean = moods.iter().sum::<f64>() / moods.len() as f64;
    if mean >= 7.0 {
        MoodPattern::Positive
    } else if mean <= 4.0 {
        MoodPattern::Concerning
    } else {
        MoodPattern::Neutral
    }
}

/// The headline, from the journal alone (test results never change it).
pub fn insight(trend: Trend, pattern: MoodPattern) -> Insight {
    if trend == Trend::Declining || pattern == MoodPattern::Concerning {
        Insight {
            title: "Wellness Check-In",
            message: "Your recent entries suggest things have been challenging lately. That is worth noticing, and you don't have to handle it alone: consider reaching out to someone you trust, and try one of the strategies below.",
            confidence: Some(0.85),
        }
    } else if trend == Trend::Improving || pattern == MoodPattern::Positive {
        Insight {
            title: "Positive Progress",
            message: "Your recent entries show a positive pattern. Noticing what has been helping makes it easier to keep it going.",
            confidence: Some(0.90),
        }
    } else {
        Insight {
            title: "Steady Progress",
            message: "Your mood has been fairly steady recently. Keep journaling to build a clearer picture of your patterns over time.",
            confidence: Some(0.75),
        }
    }
}

/// The greeting for someone with no entries and no results yet.
pub fn welcome() -> Insight {
    Insight {
        title: "Start Your Journey",
        message: "Welcome! Write your first journal entry or take a self-assessment, and personalised insights and coping strategies will appear here.",
        confidence: None,
    }
}

/// The latest severity per test id (results are newest first, so the first one wins).
fn latest_severity<'a>(results: &[ResultSignal<'a>], test_id: i64) -> Option<&'a str> {
    results
        .iter()
        .find(|r| r.test_id == test_id)
        .map(|r| r.severity_level)
}

/// Candidate strategies in the contract's insertion order.
pub fn candidates(
    results: &[ResultSignal<'_>],
    trend: Trend,
    pattern: MoodPattern,
) -> Vec<CopingStrategy> {
    let severity_in =
        |id, levels: &[&str]| latest_severity(results, id).is_some_and(|s| levels.contains(&s));
    let mut out = Vec::new();
    if severity_in(PHQ9_ID, &["moderate", "moderately_severe", "severe"]) {
        out.extend([coping::BEHAVIORAL_ACTIVATION, coping::THOUGHT_RECORD]);
    }
    if severity_in(GAD7_ID, &["moderate", "severe"]) {
        out.extend([coping::PROGRESSIVE_MUSCLE_RELAXATION, coping::WORRY_TIME]);
    }
    if severity_in(PSS10_ID, &["moderate", "high"]) {
        out.extend([coping::TIME_MANAGEMENT, coping::BOX_BREATHING]);
    }
    if latest_severity(results, BIGFIVE_ID).is_some() {
        out.push(coping::VALUES_CLARIFICATION);
    }
    if trend == Trend::Declining || pattern == MoodPattern::Concerning {
        out.push(coping::GROUNDING_54321);
    }
    out.push(coping::THREE_GOOD_THINGS);
    out
}

/// At most 8: the best of each category in order of first appearance, then the leftovers by
/// effectiveness (stable), so every category is represented before any gets a second slot.
pub fn select(candidates: Vec<CopingStrategy>) -> Vec<CopingStrategy> {
    let mut groups: Vec<(&str, Vec<CopingStrategy>)> = Vec::new();
    for strategy in candidates {
        match groups.iter_mut().find(|(c, _)| *c == strategy.category) {
            Some((_, group)) => group.push(strategy),
            None => groups.push((strategy.category, vec![strategy])),
        }
    }
    let mut chosen = Vec::new();
    let mut leftovers = Vec::new();
    for (_, mut group) in groups {
        chosen.push(group.remove(best_index(&group)));
        leftovers.extend(group);
    }
    leftovers.sort_by_key(|s| std::cmp::Reverse(s.effectiveness_score));
    chosen.extend(leftovers);
    chosen.truncate(MAX_STRATEGIES);
    chosen
}

/// Index of the highest effectiveness, the first one on ties.
fn best_index(group: &[CopingStrategy]) -> usize {
    let best = group
        .iter()
        .map(|s| s.effectiveness_score)
        .max()
        .unwrap_or_default();
    group
        .iter()
        .position(|s| s.effectiveness_score == best)
        .unwrap_or_default()
}

/// Time-of-day and theme patterns over the 10 newest entries (5 at least).
pub fn patterns(newest_first: &[EntryFacts<'_>]) -> serde_json::Value {
    let recent = &newest_first[..newest_first.len().min(RECENT)];
    if recent.len() < 5 {
        return serde_json::json!({ "message": "More entries needed to identify patterns" });
    }
    serde_json::json!({
        "time_of_day": time_of_day(recent),
        "common_themes": analytics::keywords(recent.iter().map(|e| e.text)),
    })
}

/// Per period with at least two scored entries: their count and share of Positive (2 dp).
fn time_of_day(entries: &[EntryFacts<'_>]) -> serde_json::Value {
    let mut periods: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.sentiment.is_some()) {
        let (total, positive) = periods.entry(analytics::period_of(entry.at)).or_default();
        *total += 1;
        *positive += usize::from(entry.sentiment == Some(Sentiment::Positive));
    }
    periods
        .into_iter()
        .filter(|(_, (total, _))| *total >= 2)
        .map(|(name, (total, positive))| {
            let ratio = round(positive as f64 / total as f64, 2);
            (
                name.to_owned(),
                serde_json::json!({ "total_entries": total, "positive_ratio": ratio }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The whole response body: the welcome when there is nothing at all to go on.
pub fn insights(entries: &[EntryFacts<'_>], results: &[ResultSignal<'_>]) -> Insights {
    if entries.is_empty() && results.is_empty() {
        return Insights {
            insight: welcome(),
            coping_strategies: Vec::new(),
            patterns: serde_json::json!({}),
        };
    }
    let trend = sentiment_trend(entries);
    let pattern = mood_pattern(entries);
    Insights {
        insight: insight(trend, pattern),
        coping_strategies: select(candidates(results, trend, pattern)),
        patterns: patterns(entries),
    }
}

/// Section 2.18's trend between a test's two newest totals: none with fewer than two; for the
/// symptom scales a lower total is "improving"; the Big Five has no direction, so "stable".
pub fn test_trend(test_id: i64, newest_first_totals: &[i64]) -> Option<&'static str> {
    let [latest, previous, ..] = newest_first_totals else {
        return None;
    };
    Some(match (test_id, latest.cmp(previous)) {
        (BIGFIVE_ID, _) => "stable",
        (_, std::cmp::Ordering::Less) => "improving",
        (_, std::cmp::Ordering::Greater) => "increasing",
        (_, std::cmp::Ordering::Equal) => "stable",
    })
}

/// Section 2.18's general recommendations (the original's eight `rec_*` topics, our wording).
pub const GENERAL_RECOMMENDATIONS: [&str; 8] = [
    "Keep journaling regularly: it helps you notice patterns in your mood.",
    "Aim for some physical activity most days, even a short walk.",
    "Keep regular sleep and wake times, and wind down before bed.",
    "Stay in touch with friends and family, even briefly.",
    "Try a few minutes of mindfulness or slow breathing each day.",
    "Eat regular, balanced meals and drink enough water.",
    "Retake these check-ins every few weeks to follow changes over time.",
    "If your results worry you or things feel hard, talk to a doctor or a mental health professional.",
];

#[cfg(test)]
mod tests;
