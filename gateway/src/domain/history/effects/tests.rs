//! Five weeks of self-rated days (the same history the API test posts), against SciPy's
//! `ttest_ind(equal_var=False).confidence_interval(0.95)` on the same days.

use chrono::{Days, NaiveTime};

use super::*;
use crate::domain::history::{HistoryEntry, by_day};

/// Day i of 35 from Monday 2025-03-03: self-rated mood 1 + (3i + i/7) mod 5, tagged `run`
/// when i mod 3 = 0, `Work` on the week's days 0, 2 and 4, `friends` when the mood is 4 or 5,
/// and a second entry rated 5 (no tags) when i mod 4 = 0.
fn five_weeks() -> Vec<HistoryEntry> {
    let start = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let mut entries = Vec::new();
    for i in 0..35u64 {
        let at = (start + Days::new(i))
            .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
            .and_utc();
        let own = 1 + (i * 3 + i / 7) % 5;
        let mut tags = Vec::new();
        if i % 3 == 0 {
            tags.push("run".to_owned())
        }
        if [0, 2, 4].contains(&(i % 7)) {
            tags.push("Work".to_owned())
        }
        if own >= 4 {
            tags.push("friends".to_owned())
        }
        entries.push(HistoryEntry {
            at,
            mood_score: None,
            self_mood: Some(own as i64),
            sentiment: None,
            tags,
        });
        if i % 4 == 0 {
            entries.push(HistoryEntry {
                at,
                mood_score: None,
                self_mood: Some(5),
                sentiment: None,
                tags: vec![],
            });
        }
    }
    entries
}

fn assert_comparison(c: &Comparison, expected: [f64; 7]) {
    let got = [
        c.days_with as f64,
        c.days_without as f64,
        c.mean_with,
        c.mean_without,
        c.difference,
        c.ci95[0],
        c.ci95[1],
    ];
    for (g, e) in got.iter().zip(expected) {
        assert!((g - e).abs() < 0.0015, "{got:?} vs {expected:?}");
    }
}

#[test]
fn tag_and_weekday_effects_match_a_reference_computation() {
    let effects = effects(&by_day(&five_weeks(), chrono_tz::UTC), &[]);
    let tags: Vec<&str> = effects.tags.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tags, ["friends", "run", "work"]);
    assert_comparison(
        &effects.tags[0].effect,
        [14.0, 21.0, 8.839, 4.048, 4.792, 3.616, 5.967],
    );
    assert_comparison(
        &effects.tags[1].effect,
        [12.0, 23.0, 6.667, 5.598, 1.069, -1.019, 3.157],
    );
    assert_comparison(
        &effects.tags[2].effect,
        [15.0, 20.0, 6.25, 5.75, 0.5, -1.556, 2.556],
    );
    assert_eq!(
        effects
            .tags
            .iter()
            .map(|t| t.effect.uncertain)
            .collect::<Vec<_>>(),
        [false, true, true]
    );
    let weekdays: Vec<u32> = effects.weekdays.iter().map(|w| w.weekday).collect();
    assert_eq!(weekdays, [4, 5, 6, 0, 1, 2, 3]);
    assert_comparison(
        &effects.weekdays[0].effect,
        [5.0, 30.0, 6.5, 5.875, 0.625, -2.832, 4.082],
    );
    assert_comparison(
        &effects.weekdays[1].effect,
        [5.0, 30.0, 5.5, 6.042, -0.542, -5.558, 4.475],
    );
    assert!(effects.agreement.is_none());
}

#[test]
fn a_tag_needs_five_days_with_it_and_five_without() {
    let mut entries = five_weeks();
    entries.truncate(9); // days 0-6: too few days without `friends`, too few with `run`
    let effects = effects(&by_day(&entries, chrono_tz::UTC), &[]);
    assert!(effects.tags.is_empty());
    assert!(effects.weekdays.is_empty());
}

#[test]
fn agreement_needs_ten_rated_entries() {
    const LSTM_TEN: f64 = 0.954;
    // Reference: scipy.stats.spearmanr (ties averaged).
    let own = [1, 2, 2, 3, 5, 4, 4, 1, 3, 5, 2];
    let scores = [2.0, 3.5, 3.1, 5.0, 9.2, 6.1, 7.7, 2.2, 4.4, 8.8, 1.0];
    let rated: Vec<Rated> = own
        .iter()
        .zip(scores)
        .enumerate()
        .map(|(i, (&o, s))| Rated {
            self_mood: o,
            roberta: Some(s),
            lstm: (i > 0).then_some(s),
        })
        .collect();
    let a = agreement(&rated).unwrap();
    assert_eq!((a.roberta, a.entries), (Some(0.935), 11));
    assert_eq!(a.lstm, Some(LSTM_TEN), "the ten entries the LSTM scored");
    assert!(agreement(&rated[..9]).is_none());
    let ten = agreement(&rated[1..]).unwrap();
    assert_eq!(
        (ten.roberta, ten.lstm, ten.entries),
        (Some(LSTM_TEN), Some(LSTM_TEN), 10)
    );
}
