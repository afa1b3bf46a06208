//! Both formats, every Daylio field form, and the rows and files that are refused.

use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Every field form: 24 h and 12 h times (with Android's narrow space), each mood, several
/// activities, title only, note only, both, `<br>` forms, a mood-only row, and bad rows. One
/// file, shared with the API tests (tests/api/history/transfer.rs).
pub const DAYLIO: &str = include_str!("../../../../tests/fixtures/daylio_export.csv");

#[test]
fn reads_every_daylio_field_form_in_the_persons_time_zone() {
    let parsed = parse(DAYLIO.as_bytes(), chrono_tz::Europe::Paris, now()).unwrap();
    let rows = &parsed.rows;
    assert_eq!(rows.len(), 5, "{:?}", parsed.rejected);
    // Paris is UTC+2 in May.
    assert_eq!(rows[0].at, utc(2025, 5, 1, 19, 30));
    assert_eq!(rows[0].self_mood, Some(5));
    assert_eq!(rows[0].tags, ["running", "friends"]);
    assert_eq!(rows[0].text, "Great run\n\nRan 5k.\nFelt \nstrong");
    assert_eq!(
        (rows[1].at, rows[1].self_mood),
        (utc(2025, 5, 2, 6, 5), Some(4))
    );
    assert_eq!(rows[1].text, "Busy morning");
    assert_eq!(
        (rows[2].at, rows[2].text.as_str()),
        (utc(2025, 5, 3, 10, 15), "Just a title")
    );
    assert_eq!(
        (rows[3].at, rows[3].self_mood, rows[3].text.as_str()),
        (utc(2025, 5, 4, 21, 59), Some(2), "")
    );
    assert_eq!(
        (rows[4].at, rows[4].self_mood),
        (utc(2025, 5, 4, 22, 10), Some(1))
    );
    assert_eq!(rows[4].text, "line one\nline two");
    let rejected: Vec<usize> = parsed.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rejected, [7, 8, 9, 10, 11, 12]);
    assert!(parsed.rejected[0].reason.contains("time"));
    assert!(parsed.rejected[1].reason.contains("ecstatic"));
    assert!(parsed.rejected[4].reason.contains("note or a mood"));
    assert!(parsed.rejected[5].reason.contains("8 fields"));
}

#[test]
fn reads_our_own_export() {
    let json = r#"{"success": true, "journal_entries": [
        {"text": "A calm day", "tags": ["walk"], "date": "2025-04-01T09:00:00.000Z", "self_mood": 4, "mood_score": 9.9},
        {"text": "", "date": "2025-04-02T09:00:00+02:00", "self_mood": 2},
        {"text": "no date"},
        {"text": "mood out of range", "date": "2025-04-03T09:00:00Z", "self_mood": 9}
    ]}"#;
    let parsed = parse(json.as_bytes(), chrono_tz::UTC, now()).unwrap();
    assert_eq!(parsed.rows.len(), 2);
    assert_eq!(parsed.rows[0].tags, ["walk"]);
    assert_eq!(parsed.rows[1].at, utc(2025, 4, 2, 7, 0));
    let rejected: Vec<usize> = parsed.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rejected, [3, 4]);
}

#[test]
fn refuses_files_of_neither_kind_and_files_too_long() {
    for bad in [
        "",
        "name,age\nx,1\n",
        "{\"entries\": []}",
        "{not json",
        "\u{0}\u{1}",
    ] {
        assert_eq!(
            parse(bad.as_bytes(), chrono_tz::UTC, now()),
            Err(FileError::NotRecognised),
            "{bad:?}"
        );
    }
    let mut long = DAYLIO_HEADER.join(",");
    long.push('\n');
    long.push_str(&"2025-05-01,x,x,10:00,good,,,hi\n".repeat(MAX_ROWS + 1));
    assert_eq!(
        parse(long.as_bytes(), chrono_tz::UTC, now()),
        Err(FileError::TooManyRows(MAX_ROWS + 1))
    );
}

#[test]
fn the_same_row_has_the_same_key() {
    let parsed = parse(DAYLIO.as_bytes(), chrono_tz::UTC, now()).unwrap();
    let again = parse(DAYLIO.as_bytes(), chrono_tz::UTC, now()).unwrap();
    assert_eq!(parsed.rows[0].key("a"), again.rows[0].key("a"));
    assert_ne!(parsed.rows[0].key("a"), parsed.rows[1].key("a"));
    assert_ne!(parsed.rows[0].key("a"), parsed.rows[0].key("b"));
}
