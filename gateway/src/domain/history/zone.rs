//! Time zones and dates people send: the profile's IANA `timezone` and an entry's back-dated
//! `date`.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The time zone of a profile that never set one.
pub const DEFAULT_TIMEZONE: &str = "UTC";

/// An IANA time zone name (`Europe/Paris`), exactly as the IANA database spells it.
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("Unknown time zone {name:?}: use an IANA name such as \"Europe/Paris\" or \"UTC\"")
    })
}

/// A stored time zone; one no longer known (never written by this code) reads as UTC.
pub fn stored_timezone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The earliest date an entry may carry.
fn earliest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// An entry date: RFC 3339 with an offset, from 2000 on and at most a day after `now`.
pub fn parse_entry_date(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            "date must be an RFC 3339 timestamp with an offset, such as 2025-03-01T08:30:00+01:00"
                .to_owned()
        })?
        .with_timezone(&Utc);
    check_entry_date(at, now)
}

/// `at` when it lies between 2000-01-01 and a day after `now`.
pub fn check_entry_date(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if at < earliest() {
        return Err("date must not be before the year 2000".to_owned());
    }
    if at > now + Duration::days(1) {
        return Err("date must not be more than a day in the future".to_owned());
    }
    Ok(at)
}

/// A wall-clock time in `tz` as an instant. In the hour skipped when clocks go forward the
/// time is read one hour later; in the hour repeated when they go back, the first one.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let at = tz.from_local_datetime(&local).earliest().or_else(|| {
        tz.from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
    });
    at.map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn accepts_iana_names_only() {
        assert_eq!(
            parse_timezone("Europe/Paris").unwrap(),
            chrono_tz::Europe::Paris
        );
        assert_eq!(parse_timezone("UTC").unwrap(), Tz::UTC);
        for bad in ["Mars/Olympus", "", "+02:00", "europe/paris"] {
            assert!(parse_timezone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_entry_date_needs_an_offset_and_a_sensible_year() {
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
        let at = parse_entry_date("2025-05-01T08:30:00+02:00", now).unwrap();
        assert_eq!(at, Utc.with_ymd_and_hms(2025, 5, 1, 6, 30, 0).unwrap());
        assert!(parse_entry_date("2025-06-02T11:59:00Z", now).is_ok());
        for bad in [
            "2025-06-02T12:00:01Z",
            "1999-12-31T23:59:59Z",
            "2025-05-01T08:30:00",
            "2025-05-01",
        ] {
            assert!(parse_entry_date(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn wall_clock_times_in_the_clock_change_hours_still_have_an_instant() {
        let paris = chrono_tz::Europe::Paris;
        let day = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap();
        // 02:30 does not exist on that day in Paris: read as 03:30 CEST, 01:30 UTC.
        let skipped = local_to_utc(day.and_hms_opt(2, 30, 0).unwrap(), paris);
        assert_eq!(
            skipped,
            Utc.with_ymd_and_hms(2025, 3, 30, 1, 30, 0).unwrap()
        );
        let autumn = NaiveDate::from_ymd_opt(2025, 10, 26)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_to_utc(autumn, paris),
            Utc.with_ymd_and_hms(2025, 10, 26, 0, 30, 0).unwrap()
        );
    }
}
