//! `GET /api/journal/calendar?year=YYYY`: one item per day of the year that has entries.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::Day;
use crate::domain::sentiment::round;

/// Entries per sentiment on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SentimentCounts {
    pub positive: usize,
    pub neutral: usize,
    pub negative: usize,
}

/// One day with entries.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CalendarDay {
    /// `YYYY-MM-DD` in the person's time zone.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub entries: usize,
    /// The day's mood (0-10, two decimals): models' scores, else self-rated moods; null when
    /// every entry is still pending.
    pub mean_mood: Option<f64>,
    /// The mean self-rated mood (1-5, two decimals), null when none was given.
    pub mean_self_mood: Option<f64>,
    pub sentiments: SentimentCounts,
}

/// The calendar of one year.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Calendar {
    pub year: i32,
    pub days: Vec<CalendarDay>,
}

/// The days of `year`, in date order.
pub fn calendar(days: &BTreeMap<NaiveDate, Day>, year: i32) -> Calendar {
    let days = days
        .iter()
        .filter(|(date, _)| date.year() == year)
        .map(|(date, day)| CalendarDay {
            date: *date,
            entries: day.entries,
            mean_mood: day.mood().map(|m| round(m, 2)),
            mean_self_mood: day.self_mood().map(|m| round(m, 2)),
            sentiments: SentimentCounts {
                positive: day.sentiments[0],
                neutral: day.sentiments[1],
                negative: day.sentiments[2],
            },
        })
        .collect();
    Calendar { year, days }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::{HistoryEntry, by_day};
    use crate::domain::sentiment::Sentiment;

    #[test]
    fn a_day_counts_its_entries_moods_and_sentiments() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let entries = [
            HistoryEntry {
                at: at("2024-12-31T23:00:00Z"),
                mood_score: Some(9.0),
                self_mood: None,
                sentiment: Some(Sentiment::Positive),
                tags: vec![],
            },
            HistoryEntry {
                at: at("2025-02-03T08:00:00Z"),
                mood_score: Some(8.2),
                self_mood: Some(4),
                sentiment: Some(Sentiment::Positive),
                tags: vec![],
            },
            HistoryEntry {
                at: at("2025-02-03T20:00:00Z"),
                mood_score: None,
                self_mood: Some(1),
                sentiment: None,
                tags: vec![],
            },
            HistoryEntry {
                at: at("2025-02-03T21:00:00Z"),
                mood_score: Some(3.1),
                self_mood: None,
                sentiment: Some(Sentiment::Negative),
                tags: vec![],
            },
        ];
        let cal = calendar(&by_day(&entries, chrono_tz::UTC), 2025);
        assert_eq!(cal.days.len(), 1);
        let day = &cal.days[0];
        assert_eq!(day.date, NaiveDate::from_ymd_opt(2025, 2, 3).unwrap());
        assert_eq!(day.entries, 3);
        // (8.2 + 0 + 3.1) / 3 = 3.7666…
        assert_eq!(day.mean_mood, Some(3.77));
        assert_eq!(day.mean_self_mood, Some(2.5));
        assert_eq!(
            day.sentiments,
            SentimentCounts {
                positive: 1,
                neutral: 0,
                negative: 1
            }
        );
        // In Paris the first entry is already on New Year's Day.
        let paris = calendar(&by_day(&entries, chrono_tz::Europe::Paris), 2025);
        assert_eq!(
            paris.days[0].date,
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
        );
    }
}
