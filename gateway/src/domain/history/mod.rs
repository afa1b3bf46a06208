//! A person's history, day by day: the entry's day in the person's own time zone, the day's
//! mood, and the figures built on days (streaks, calendar, effects, forecast, check-in).
//!
//! An entry's mood is its models' `mood_score`, or, without one, its self-rated mood on the
//! same 0-10 scale; a day's mood is the mean over its entries that have one. Everything here
//! is pure: entries, the time zone and "today" come in as values.

pub mod calendar;
pub mod checkin;
pub mod effects;
pub mod forecast;
pub mod import;
pub mod stats;
pub mod streaks;
pub mod zone;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::sentiment::Sentiment;

/// The lowest and highest self-rated moods (awful, great).
pub const SELF_MOOD_RANGE: std::ops::RangeInclusive<i64> = 1..=5;

/// What day-based figures need from one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// The models' primary mood score (0-10), `None` while pending or without text.
    pub mood_score: Option<f64>,
    /// The person's own rating, 1 (awful) to 5 (great).
    pub self_mood: Option<i64>,
    pub sentiment: Option<Sentiment>,
    pub tags: Vec<String>,
}

impl HistoryEntry {
    /// The models' mood, else the self-rated mood on the 0-10 scale.
    pub fn mood(&self) -> Option<f64> {
        self.mood_score
            .or_else(|| self.self_mood.map(self_mood_score))
    }
}

/// A self-rated mood on the models' 0-10 scale: 1, 2, 3, 4, 5 give 0, 2.5, 5, 7.5, 10.
pub fn self_mood_score(self_mood: i64) -> f64 {
    (self_mood - 1) as f64 * 2.5
}

/// The calendar day of `at` in `tz`.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// One day of a person's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Day {
    pub entries: usize,
    mood_sum: f64,
    mood_count: usize,
    self_sum: f64,
    self_count: usize,
    /// Entries per sentiment (positive, neutral, negative).
    pub sentiments: [usize; 3],
    /// The day's tags, trimmed and lower-cased, so "Run" and "run" are one tag.
    pub tags: BTreeSet<String>,
}

impl Day {
    /// The mean mood of the day's entries that have one.
    pub fn mood(&self) -> Option<f64> {
        (self.mood_count > 0).then(|| self.mood_sum / self.mood_count as f64)
    }

    /// The mean self-rated mood (1-5) of the entries that carry one.
    pub fn self_mood(&self) -> Option<f64> {
        (self.self_count > 0).then(|| self.self_sum / self.self_count as f64)
    }

    fn add(&mut self, entry: &HistoryEntry) {
        self.entries += 1;
        if let Some(mood) = entry.mood() {
            self.mood_sum += mood;
            self.mood_count += 1;
        }
        if let Some(own) = entry.self_mood {
            self.self_sum += own as f64;
            self.self_count += 1;
        }
        if let Some(sentiment) = entry.sentiment {
            self.sentiments[sentiment_index(sentiment)] += 1;
        }
        let tags = entry.tags.iter().map(|t| t.trim().to_lowercase());
        self.tags.extend(tags.filter(|t| !t.is_empty()));
    }
}

fn sentiment_index(sentiment: Sentiment) -> usize {
    match sentiment {
        Sentiment::Positive => 0,
        Sentiment::Neutral => 1,
        Sentiment::Negative => 2,
    }
}

/// The entries grouped by their day in `tz`, in date order.
pub fn by_day(entries: &[HistoryEntry], tz: Tz) -> BTreeMap<NaiveDate, Day> {
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for entry in entries {
        days.entry(local_date(entry.at, tz)).or_default().add(entry);
    }
    days
}

/// The days that have a mood, with it, in date order.
pub fn daily_moods(days: &BTreeMap<NaiveDate, Day>) -> Vec<(NaiveDate, f64)> {
    days.iter()
        .filter_map(|(date, day)| day.mood().map(|m| (*date, m)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn entry(at: &str, mood_score: Option<f64>, self_mood: Option<i64>) -> HistoryEntry {
        HistoryEntry {
            at: DateTime::parse_from_rfc3339(at)
                .unwrap()
                .with_timezone(&Utc),
            mood_score,
            self_mood,
            sentiment: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn a_self_rated_mood_stands_in_only_where_the_models_have_none() {
        assert_eq!(self_mood_score(1), 0.0);
        assert_eq!(self_mood_score(4), 7.5);
        assert_eq!(
            entry("2025-01-01T12:00:00Z", Some(6.0), Some(1)).mood(),
            Some(6.0)
        );
        assert_eq!(
            entry("2025-01-01T12:00:00Z", None, Some(5)).mood(),
            Some(10.0)
        );
        assert_eq!(entry("2025-01-01T12:00:00Z", None, None).mood(), None);
    }

    #[test]
    fn an_entry_belongs_to_its_day_in_the_persons_time_zone() {
        // 03:30 UTC on the 2nd is still the 1st in New York (UTC-5 in January).
        let entries = [
            entry("2025-01-02T03:30:00Z", Some(4.0), None),
            entry("2025-01-01T15:00:00Z", None, Some(5)),
            entry("2025-01-02T15:00:00Z", None, None),
        ];
        let days = by_day(&entries, chrono_tz::America::New_York);
        let first = &days[&NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()];
        assert_eq!(
            (first.entries, first.mood(), first.self_mood()),
            (2, Some(7.0), Some(5.0))
        );
        let utc = by_day(&entries, chrono_tz::UTC);
        assert_eq!(
            utc[&NaiveDate::from_ymd_opt(2025, 1, 2).unwrap()].entries,
            2
        );
        assert_eq!(daily_moods(&utc).len(), 2);
    }
}
