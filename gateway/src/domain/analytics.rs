//! Journal analytics in the shape the frontend reads (`GET /api/journal/analytics`, contract
//! §2.10): pure functions of the entries and the current time.
//!
//! Entries still pending a score count towards totals, this week's count and the streak, but
//! not towards moods or sentiments: they have none yet, and none is invented for them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use serde::Serialize;

use chrono_tz::Tz;

use super::history::local_date;
use super::sentiment::{Sentiment, round};

/// The longest streak reported, as in the original.
const MAX_STREAK: u32 = 30;

/// Theme keywords, matched as substrings of the lower-cased text (the original's rule).
const THEMES: &[(&str, &[&str])] = &[
    (
        "work",
        &[
            "work",
            "job",
            "office",
            "meeting",
            "project",
            "deadline",
            "boss",
            "colleague",
        ],
    ),
    (
        "relationships",
        &[
            "friend",
            "family",
            "partner",
            "relationship",
            "love",
            "date",
            "social",
        ],
    ),
    (
        "health",
        &[
            "tired", "energy", "sleep", "exercise", "health", "doctor", "sick",
        ],
    ),
];

/// What analytics needs of an entry.
#[derive(Debug, Clone, Copy)]
pub struct EntryFacts<'a> {
    pub at: DateTime<Utc>,
    /// `None` while the entry is pending.
    pub sentiment: Option<Sentiment>,
    pub mood_score: Option<f64>,
    pub text: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Analytics {
    pub overview: Overview,
    pub sentiment_distribution: Distribution,
    pub weekly_mood_trend: Vec<DayMood>,
    #[schema(value_type = BTreeMap<String, Period>)]
    pub daily_patterns: BTreeMap<&'static str, Period>,
    #[schema(value_type = BTreeMap<String, usize>)]
    pub keywords: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub total_entries: usize,
    pub average_mood: f64,
    /// `Positive`, `Neutral`, `Negative`, or `None` without scored entries.
    pub dominant_sentiment: &'static str,
    pub entries_this_week: usize,
    /// `improving`, `declining`, `stable`, `insufficient_data` or `no_data`.
    pub mood_trend: &'static str,
    pub streak: u32,
}

/// Percentages (0 to 100, one decimal) of scored entries.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Distribution {
    pub positive: f64,
    pub neutral: f64,
    pub negative: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayMood {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub average_mood: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub average_mood: f64,
    pub entry_count: usize,
    #[schema(value_type = BTreeMap<String, usize>)]
    pub sentiment_counts: BTreeMap<&'static str, usize>,
}

/// Analytics of `entries` (newest first) as of `now`, days counted in `tz`.
pub fn analytics(entries: &[EntryFacts<'_>], now: DateTime<Utc>, tz: Tz) -> Analytics {
    let scored: Vec<&EntryFacts<'_>> = entries.iter().filter(|e| e.sentiment.is_some()).collect();
    Analytics {
        overview: Overview {
            total_entries: entries.len(),
            average_mood: average_mood(scored.iter().copied()).unwrap_or(0.0),
            dominant_sentiment: dominant_sentiment(&scored).map_or("None", Sentiment::as_str),
            entries_this_week: entries
                .iter()
                .filter(|e| e.at >= now - Duration::days(7))
                .count(),
            mood_trend: mood_trend(entries.len(), &scored),
            streak: streak(entries.iter().map(|e| e.at), now, tz),
        },
        sentiment_distribution: distribution(&scored),
        weekly_mood_trend: weekly_mood_trend(&scored, entries.is_empty(), now),
        daily_patterns: daily_patterns(&scored),
        keywords: keywords(entries.iter().map(|e| e.text)),
    }
}

/// Mean mood, one decimal; `None` without entries.
pub fn average_mood<'a, 'b: 'a>(entries: impl Iterator<Item = &'a EntryFacts<'b>>) -> Option<f64> {
    let moods: Vec<f64> = entries.filter_map(|e| e.mood_score).collect();
    (!moods.is_empty()).then(|| round(moods.iter().sum::<f64>() / moods.len() as f64, 1))
}

/// The most frequent sentiment; ties go to the first alphabetically (the original's rule).
fn dominant_sentiment(scored: &[&EntryFacts<'_>]) -> Option<Sentiment> {
    let counts = counts(scored);
    // Alphabetical order: Negative, Neutral, Positive; `max_by_key` keeps the last maximum,
    // so iterate in reverse to keep the first.
    [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative]
        .into_iter()
        .filter(|s| counts.get(s.as_str()).copied().unwrap_or(0) > 0)
        .max_by_key(|s| counts.get(s.as_str()).copied().unwrap_or(0))
}

/// The sentiment trend over the ten newest scored entries: fewer than three → insufficient;
/// among the five newest, three positive → improving, else three negative → declining.
pub fn sentiment_trend(scored_newest_first: &[Option<Sentiment>]) -> &'static str {
    let recent: Vec<Sentiment> = scored_newest_first
        .iter()
        .flatten()
        .take(10)
        .copied()
        .collect();
    if recent.len() < 3 {
        return "insufficient_data";
    }
    let newest = &recent[..recent.len().min(5)];
    let count = |s: Sentiment| newest.iter().filter(|x| **x == s).count();
    match (count(Sentiment::Positive), count(Sentiment::Negative)) {
        (p, _) if p >= 3 => "improving",
        (_, n) if n >= 3 => "declining",
        _ => "stable",
    }
}

fn mood_trend(total: usize, scored: &[&EntryFacts<'_>]) -> &'static str {
    if total == 0 {
        return "no_data";
    }
    sentiment_trend(&scored.iter().map(|e| e.sentiment).collect::<Vec<_>>())
}

/// Consecutive days with at least one entry, counting back from today (from yesterday when today
/// has none yet), at most 30. Days are the person's own (`tz`), as everywhere in their history:
/// an entry written at 23:30 in New York belongs to that evening, not to the next UTC day.
pub fn streak(dates: impl Iterator<Item = DateTime<Utc>>, now: DateTime<Utc>, tz: Tz) -> u32 {
    let days: std::collections::HashSet<NaiveDate> = dates.map(|d| local_date(d, tz)).collect();
    let today = local_date(now, tz);
    let mut day = if days.contains(&today) {
        today
    } else {
        today - Duration::days(1)
    };
    let mut count = 0;
    while count < MAX_STREAK && days.contains(&day) {
        count += 1;
        day -= Duration::days(1);
    }
    count
}

fn counts(scored: &[&EntryFacts<'_>]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for sentiment in scored.iter().filter_map(|e| e.sentiment) {
        *counts.entry(sentiment.as_str()).or_insert(0) += 1;
    }
    counts
}

fn distribution(scored: &[&EntryFacts<'_>]) -> Distribution {
    let counts = counts(scored);
    let pct = |s: Sentiment| match scored.len() {
        0 => 0.0,
        n => round(
            100.0 * counts.get(s.as_str()).copied().unwrap_or(0) as f64 / n as f64,
            1,
        ),
    };
    Distribution {
        positive: pct(Sentiment::Positive),
        neutral: pct(Sentiment::Neutral),
        negative: pct(Sentiment::Negative),
    }
}

/// The last seven UTC days, oldest first, each with its mean mood (`null` without entries);
/// empty when the user has no entries at all.
fn weekly_mood_trend(
    scored: &[&EntryFacts<'_>],
    no_entries: bool,
    now: DateTime<Utc>,
) -> Vec<DayMood> {
    if no_entries {
        return Vec::new();
    }
    (0..7)
        .rev()
        .map(|back| {
            let day = now.date_naive() - Duration::days(back);
            let same_day = scored.iter().copied().filter(|e| e.at.date_naive() == day);
            DayMood {
                date: day.to_string(),
                average_mood: average_mood(same_day),
            }
        })
        .collect()
}

/// Morning (before 12:00 UTC), afternoon (before 18:00), evening; only periods with entries.
fn daily_patterns(scored: &[&EntryFacts<'_>]) -> BTreeMap<&'static str, Period> {
    let mut groups: BTreeMap<&'static str, Vec<&EntryFacts<'_>>> = BTreeMap::new();
    for entry in scored {
        groups.entry(period_of(entry.at)).or_default().push(entry);
    }
    groups
        .into_iter()
        .map(|(period, entries)| {
            let pattern = Period {
                average_mood: average_mood(entries.iter().copied()).unwrap_or(0.0),
                entry_count: entries.len(),
                sentiment_counts: counts(&entries),
            };
            (period, pattern)
        })
        .collect()
}

/// The period of the day an entry was written in: morning, afternoon or evening.
pub fn period_of(at: DateTime<Utc>) -> &'static str {
    match at.hour() {
        h if h < 12 => "morning",
        h if h < 18 => "afternoon",
        _ => "evening",
    }
}

/// Theme counts over the texts: every occurrence of every keyword, as substrings (so "update"
/// counts as "date", as in the original); only themes that occur.
pub fn keywords<'a>(texts: impl Iterator<Item = &'a str>) -> BTreeMap<&'static str, usize> {
    let all = texts.map(str::to_lowercase).collect::<Vec<_>>().join(" ");
    THEMES
        .iter()
        .map(|(theme, words)| (*theme, words.iter().map(|w| all.matches(w).count()).sum()))
        .filter(|(_, count)| *count > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn entry(when: &str, sentiment: Option<Sentiment>, mood: Option<f64>) -> EntryFacts<'static> {
        EntryFacts {
            at: at(when),
            sentiment,
            mood_score: mood,
            text: "work with a friend",
        }
    }

    #[test]
    fn no_entries_give_the_documented_empty_shape() {
        let a = analytics(&[], at("2025-11-17T10:00:00Z"), Tz::UTC);
        assert_eq!(a.overview.dominant_sentiment, "None");
        assert_eq!(a.overview.mood_trend, "no_data");
        assert!(
            a.weekly_mood_trend.is_empty() && a.daily_patterns.is_empty() && a.keywords.is_empty()
        );
    }

    #[test]
    fn pending_entries_count_but_carry_no_mood() {
        let entries = [
            entry("2025-11-17T09:00:00Z", None, None),
            entry("2025-11-16T15:00:00Z", Some(Sentiment::Positive), Some(9.0)),
        ];
        let a = analytics(&entries, at("2025-11-17T10:00:00Z"), Tz::UTC);
        assert_eq!(a.overview.total_entries, 2);
        assert_eq!(a.overview.average_mood, 9.0);
        assert_eq!(a.overview.streak, 2);
        assert_eq!(a.sentiment_distribution.positive, 100.0);
        assert_eq!(a.weekly_mood_trend.len(), 7);
        assert_eq!(a.weekly_mood_trend[5].average_mood, Some(9.0));
        assert_eq!(a.weekly_mood_trend[6].average_mood, None);
        assert_eq!(a.daily_patterns["afternoon"].entry_count, 1);
        assert_eq!(
            a.keywords["work"], 2,
            "one entry each says work; pending text counts too"
        );
    }

    #[test]
    fn trend_reads_the_five_newest_of_ten() {
        use Sentiment::*;
        let s = |v: &[Sentiment]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        assert_eq!(
            sentiment_trend(&s(&[Positive, Positive])),
            "insufficient_data"
        );
        assert_eq!(
            sentiment_trend(&s(&[Positive, Neutral, Positive, Negative, Positive])),
            "improving"
        );
        assert_eq!(
            sentiment_trend(&s(&[Negative, Negative, Neutral, Negative])),
            "declining"
        );
        assert_eq!(
            sentiment_trend(&s(&[
                Negative, Positive, Neutral, Neutral, Neutral, Negative, Negative
            ])),
            "stable"
        );
    }

    #[test]
    fn streak_starts_yesterday_when_today_is_empty_and_stops_at_a_gap() {
        let now = at("2025-11-17T10:00:00Z");
        let dates = [
            "2025-11-16T08:00:00Z",
            "2025-11-15T08:00:00Z",
            "2025-11-13T08:00:00Z",
        ]
        .map(at);
        assert_eq!(streak(dates.into_iter(), now, Tz::UTC), 2);
    }

    #[test]
    fn streak_days_are_the_persons_own() {
        // 01:30 UTC on the 17th is still the 16th in New York, so "today" there is the 16th.
        // Entries at 02:00 UTC on the 17th and 20:00 UTC on the 15th fall on the 17th and the
        // 15th in UTC (a gap), on the evening of the 16th and the afternoon of the 15th there.
        let now = at("2025-11-17T01:30:00Z");
        let dates = ["2025-11-17T02:00:00Z", "2025-11-15T20:00:00Z"].map(at);
        assert_eq!(streak(dates.into_iter(), now, Tz::UTC), 1);
        assert_eq!(streak(dates.into_iter(), now, Tz::America__New_York), 2);
    }

    #[test]
    fn dominant_sentiment_ties_go_to_the_first_alphabetically() {
        let entries = [
            entry("2025-11-17T09:00:00Z", Some(Sentiment::Positive), Some(9.0)),
            entry("2025-11-17T09:00:00Z", Some(Sentiment::Negative), Some(2.0)),
        ];
        let refs: Vec<_> = entries.iter().collect();
        assert_eq!(dominant_sentiment(&refs), Some(Sentiment::Negative));
    }
}
