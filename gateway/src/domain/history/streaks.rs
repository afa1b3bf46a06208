//! `GET /api/journal/streaks`: runs of consecutive days with at least one entry.

use chrono::{Days, NaiveDate};
use serde::Serialize;

/// The person's streaks, in days of their own time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Streaks {
    /// Consecutive days with entries ending today or yesterday (0 when neither has one).
    pub current: u32,
    /// The longest run ever.
    pub longest: u32,
    pub days_with_entries: usize,
    /// `YYYY-MM-DD`, null without entries.
    #[schema(value_type = Option<String>, format = Date)]
    pub first_day: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub last_day: Option<NaiveDate>,
}

/// The streaks of `days` (dates with entries, ascending, no repeats) as of `today`.
pub fn streaks(days: &[NaiveDate], today: NaiveDate) -> Streaks {
    let (mut longest, mut run) = (0u32, 0u32);
    let mut previous: Option<NaiveDate> = None;
    for &day in days {
        run = match previous {
            Some(p) if p.checked_add_days(Days::new(1)) == Some(day) => run + 1,
            _ => 1,
        };
        longest = longest.max(run);
        previous = Some(day);
    }
    let yesterday = today.pred_opt().unwrap_or(today);
    let current = match previous {
        Some(last) if last == today || last == yesterday => run,
        _ => 0,
    };
    Streaks {
        current,
        longest,
        days_with_entries: days.len(),
        first_day: days.first().copied(),
        last_day: previous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, day).unwrap()
    }

    #[test]
    fn the_current_streak_ends_today_or_yesterday() {
        let days = [d(1), d(2), d(3), d(4), d(8), d(9)];
        let s = streaks(&days, d(10));
        assert_eq!((s.current, s.longest, s.days_with_entries), (2, 4, 6));
        assert_eq!((s.first_day, s.last_day), (Some(d(1)), Some(d(9))));
        assert_eq!(streaks(&days, d(9)).current, 2);
        assert_eq!(streaks(&days, d(11)).current, 0);
    }

    #[test]
    fn no_entries_means_no_streak() {
        let s = streaks(&[], d(1));
        assert_eq!((s.current, s.longest, s.first_day), (0, 0, None));
    }
}
