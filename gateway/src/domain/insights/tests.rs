//! Unit tests for the insight rules, including the contract's worked example.

use chrono::{DateTime, TimeZone, Utc};

use super::*;

fn at_hour(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 17, hour, 0, 0).unwrap()
}

fn entry(sentiment: &str, mood_score: f64) -> EntryFacts<'static> {
    EntryFacts {
        at: at_hour(9),
        sentiment: Sentiment::parse(sentiment),
        mood_score: Some(mood_score),
        text: "",
    }
}

fn ids(strategies: &[CopingStrategy]) -> Vec<&str> {
    strategies.iter().map(|s| s.id).collect()
}

#[test]
fn the_contracts_worked_example_picks_its_eight_strategies_in_order() {
    let results = [
        ResultSignal {
            test_id: PHQ9_ID,
            severity_level: "severe",
        },
        ResultSignal {
            test_id: GAD7_ID,
            severity_level: "moderate",
        },
        ResultSignal {
            test_id: PSS10_ID,
            severity_level: "high",
        },
        ResultSignal {
            test_id: BIGFIVE_ID,
            severity_level: "moderate_high",
        },
    ];
    let entries = vec![entry("Negative", 3.0); 5];
    let insights = insights(&entries, &results);
    assert_eq!(
        ids(&insights.coping_strategies),
        [
            "behavioral_activation",
            "progressive_muscle_relaxation",
            "box_breathing",
            "values_clarification",
            "grounding_54321",
            "gratitude_three_good_things",
            "thought_record",
            "time_management",
        ]
    );
    assert_eq!(insights.insight.title, "Wellness Check-In");
    assert_eq!(insights.insight.confidence, Some(0.85));
}

#[test]
fn no_tests_and_a_non_negative_journal_suggest_only_three_good_things() {
    let entries = vec![entry("Positive", 8.0); 4];
    let insights = insights(&entries, &[]);
    assert_eq!(
        ids(&insights.coping_strategies),
        ["gratitude_three_good_things"]
    );
    assert_eq!(insights.insight.title, "Positive Progress");
}

#[test]
fn nothing_at_all_gives_the_welcome_with_no_strategies() {
    let insights = insights(&[], &[]);
    assert_eq!(insights.insight.title, "Start Your Journey");
    assert_eq!(insights.insight.confidence, None);
    assert!(insights.coping_strategies.is_empty());
    assert_eq!(insights.patterns, serde_json::json!({}));
}

#[test]
fn only_the_latest_result_per_test_counts() {
    let results = [
        ResultSignal {
            test_id: PHQ9_ID,
            severity_level: "minimal",
        },
        ResultSignal {
            test_id: PHQ9_ID,
            severity_level: "severe",
        },
    ];
    let chosen = select(candidates(&results, Trend::Stable, MoodPattern::Neutral));
    assert_eq!(ids(&chosen), ["gratitude_three_good_things"]);
}

#[test]
fn trend_needs_three_entries_and_reads_the_five_newest() {
    assert_eq!(
        sentiment_trend(&[entry("Positive", 9.0); 2]),
        Trend::InsufficientData
    );
    let mut entries = vec![entry("Negative", 2.0); 3];
    entries.extend(vec![entry("Positive", 9.0); 5]);
    assert_eq!(sentiment_trend(&entries), Trend::Declining);
    let mixed = [
        entry("Positive", 9.0),
        entry("Negative", 2.0),
        entry("Neutral", 5.0),
        entry("Positive", 9.0),
        entry("Negative", 2.0),
    ];
    assert_eq!(sentiment_trend(&mixed), Trend::Stable);
}

#[test]
fn mood_pattern_averages_the_seven_newest() {
    assert_eq!(
        mood_pattern(&[entry("Neutral", 2.0)]),
        MoodPattern::InsufficientData
    );
    assert_eq!(
        mood_pattern(&[entry("Neutral", 7.0), entry("Neutral", 7.0)]),
        MoodPattern::Positive
    );
    assert_eq!(
        mood_pattern(&[entry("Neutral", 4.0), entry("Neutral", 4.0)]),
        MoodPattern::Concerning
    );
    let mut entries = vec![entry("Neutral", 5.5); 7];
    entries.push(entry("Neutral", 10.0));
    assert_eq!(mood_pattern(&entries), MoodPattern::Neutral);
}

#[test]
fn patterns_need_five_entries_then_report_periods_and_themes() {
    let short = patterns(&[entry("Positive", 9.0); 4]);
    assert_eq!(short["message"], "More entries needed to identify patterns");
    let texts = [
        "Long meeting at work",
        "Slept badly, tired",
        "Dinner with a friend",
        "update",
        "work work",
    ];
    let entries: Vec<_> = texts
        .iter()
        .zip([8, 9, 14, 20, 21])
        .map(|(text, hour)| EntryFacts {
            text,
            at: at_hour(hour),
            ..entry("Positive", 8.0)
        })
        .collect();
    let found = patterns(&entries);
    assert_eq!(found["time_of_day"]["morning"]["total_entries"], 2);
    assert_eq!(found["time_of_day"]["morning"]["positive_ratio"], 1.0);
    // One afternoon entry is below the two-entry minimum.
    assert!(found["time_of_day"].get("afternoon").is_none());
    // Substring counts, as the journal analytics: "update" counts as "date".
    assert_eq!(
        found["common_themes"],
        serde_json::json!({"work": 4, "health": 1, "relationships": 2})
    );
}

#[test]
fn test_trend_compares_the_two_newest_totals() {
    assert_eq!(test_trend(PHQ9_ID, &[7]), None);
    assert_eq!(test_trend(PHQ9_ID, &[5, 9, 20]), Some("improving"));
    assert_eq!(test_trend(GAD7_ID, &[9, 5]), Some("increasing"));
    assert_eq!(test_trend(PSS10_ID, &[9, 9]), Some("stable"));
    assert_eq!(test_trend(BIGFIVE_ID, &[200, 100]), Some("stable"));
}
