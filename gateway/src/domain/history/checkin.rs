//! The gentle check-in: when the past week's mood is clearly below the four weeks before it,
//! the insights offer the PHQ-9, kindly. It never replaces the PHQ-9's own crisis rule.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use super::Day;
use crate::domain::insights::Insight;

/// How far below the four weeks before the past week's mean must be.
pub const DROP: f64 = 1.5;
/// Days with a mood each window needs.
pub const MIN_DAYS: usize = 4;

/// The check-in, when the past 7 days (ending `today`) average at least [`DROP`] below the 28
/// days before them, each window having at least [`MIN_DAYS`] days with a mood.
pub fn checkin(days: &BTreeMap<NaiveDate, Day>, today: NaiveDate) -> Option<Insight> {
    let back = |n: u64| today.checked_sub_days(Days::new(n));
    let recent = window_mean(days, back(6)?, today)?;
    let before = window_mean(days, back(34)?, back(7)?)?;
    (recent <= before - DROP).then_some(Insight {
        title: "A gentle check-in",
        message: "Your entries over the past week have been a little lower than in the weeks \
                  before. That happens to everyone now and then. If you would like, the PHQ-9 \
                  takes about two minutes and can help you put words to how you have been \
                  feeling; it is there whenever it suits you.",
        confidence: None,
    })
}

/// The mean daily mood over `[from, to]`, when enough days have one.
fn window_mean(days: &BTreeMap<NaiveDate, Day>, from: NaiveDate, to: NaiveDate) -> Option<f64> {
    let moods: Vec<f64> = days
        .range(from..=to)
        .filter_map(|(_, d)| d.mood())
        .collect();
    (moods.len() >= MIN_DAYS).then(|| moods.iter().sum::<f64>() / moods.len() as f64)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};

    use super::*;
    use crate::domain::history::{HistoryEntry, by_day};

    fn days(moods: &[(u64, i64)], today: NaiveDate) -> BTreeMap<NaiveDate, Day> {
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        let entries: Vec<HistoryEntry> = moods
            .iter()
            .map(|&(ago, own)| HistoryEntry {
                at: chrono::Utc.from_utc_datetime(&(today - Days::new(ago)).and_time(noon)),
                mood_score: None,
                self_mood: Some(own),
                sentiment: None,
                tags: vec![],
            })
            .collect();
        by_day(&entries, chrono_tz::UTC)
    }

    #[test]
    fn offers_the_check_in_after_a_clearly_lower_week() {
        let today = NaiveDate::from_ymd_opt(2025, 5, 31).unwrap();
        // Before: four days at 7.5. Past week: four days at 5 and one at 7.5: mean 5.5, 2 below.
        let mut moods = vec![(10, 4), (15, 4), (20, 4), (34, 4)];
        moods.extend([(0, 3), (1, 3), (2, 3), (6, 3), (3, 4)]);
        let insight = checkin(&days(&moods, today), today).expect("a check-in");
        assert!(insight.message.contains("PHQ-9"));
        // A day at 7.5 more in the past week: mean 5.83, 1.67 below: still offered.
        moods.push((4, 4));
        assert!(checkin(&days(&moods, today), today).is_some());
        // Two more: 6.25, only 1.25 below: not offered.
        moods.extend([(5, 4), (5, 5)]);
        assert!(checkin(&days(&moods, today), today).is_none());
    }

    #[test]
    fn needs_four_days_in_each_window() {
        let today = NaiveDate::from_ymd_opt(2025, 5, 31).unwrap();
        let few_before = [
            (10, 5),
            (15, 5),
            (35, 5),
            (40, 5),
            (0, 1),
            (1, 1),
            (2, 1),
            (3, 1),
        ];
        assert!(checkin(&days(&few_before, today), today).is_none());
        let few_recent = [
            (10, 5),
            (15, 5),
            (20, 5),
            (30, 5),
            (0, 1),
            (1, 1),
            (2, 1),
            (7, 1),
        ];
        assert!(checkin(&days(&few_recent, today), today).is_none());
    }
}
