//! Back-dated, self-rated entries; the profile's time zone; streaks and the calendar.

use chrono::{Days, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{post_entry, set_timezone};
use crate::helpers::{Backend, Session, TestApp, assert_error, spawn_app};

async fn entries_take_a_date_and_a_self_mood(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("dates@example.com").await;
    let entry = post_entry(&app, &user, json!({
        "text": "Late entry about last night", "date": "2025-03-01T23:30:00-05:00", "self_mood": 4,
    }))
    .await;
    assert_eq!(entry["date"], "2025-03-02T04:30:00.000Z");
    assert_eq!(entry["self_mood"], 4);
    assert_eq!(entry["status"], "pending");
    assert_ne!(entry["created_at"], entry["date"]);

    let future = (Utc::now() + chrono::Duration::hours(49)).to_rfc3339();
    for (body, message) in [
        (
            json!({ "text": "x", "date": future }),
            "date must not be more than a day in the future",
        ),
        (
            json!({ "text": "x", "date": "1999-12-31T23:00:00Z" }),
            "date must not be before the year 2000",
        ),
        (
            json!({ "text": "x", "date": "2025-03-01T10:00:00" }),
            "date must be an RFC 3339 timestamp with an offset, such as 2025-03-01T08:30:00+01:00",
        ),
        (
            json!({ "text": "x", "self_mood": 6 }),
            "self_mood must be a whole number from 1 (awful) to 5 (great)",
        ),
        (
            json!({ "text": "x", "self_mood": "3" }),
            "self_mood must be a whole number from 1 (awful) to 5 (great)",
        ),
    ] {
        let response = app
            .post("/api/journal/entries", &body, Some(&user.token))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, message).await;
    }
    let list = app
        .get_json("/api/journal/entries", Some(&user.token))
        .await;
    assert_eq!(
        list["total"], 1,
        "nothing was stored from the refused bodies"
    );

    let path = format!("/api/journal/entries/{}", entry["id"]);
    let moved = app
        .patch(
            &path,
            &json!({ "date": "2025-03-05T12:00:00+01:00", "self_mood": null }),
            Some(&user.token),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["entry"]["date"], "2025-03-05T11:00:00.000Z");
    assert_eq!(moved["entry"]["self_mood"], Value::Null);
    assert_eq!(moved["entry"]["text"], "Late entry about last night");
}

#[tokio::test]
async fn entries_take_a_date_and_a_self_mood_on_sqlite() {
    entries_take_a_date_and_a_self_mood(Backend::Sqlite).await;
}

#[tokio::test]
async fn entries_take_a_date_and_a_self_mood_on_postgres() {
    entries_take_a_date_and_a_self_mood(Backend::Postgres).await;
}

/// Entries at Tokyo wall-clock times: T-4 12:00, T-2 07:00, T-1 08:00 and T-1 20:00, T being
/// today in Tokyo. In UTC they fall on T-4, T-3, T-2 and T-1; in Tokyo on T-4, T-2 and T-1.
async fn streaks_follow_the_persons_time_zone(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("tokyo@example.com").await;
    let tokyo = chrono_tz::Asia::Tokyo;
    let today = Utc::now().with_timezone(&tokyo).date_naive();
    let day = |back: u64| today.checked_sub_days(Days::new(back)).unwrap();
    for (back, hour) in [(4, 12), (2, 7), (1, 8), (1, 20)] {
        let at = tokyo
            .from_local_datetime(&day(back).and_hms_opt(hour, 0, 0).unwrap())
            .unwrap();
        post_entry(
            &app,
            &user,
            json!({ "text": "a day", "date": at.to_rfc3339(), "self_mood": 3 }),
        )
        .await;
    }
    let utc = app
        .get_json("/api/journal/streaks", Some(&user.token))
        .await;
    assert_eq!(utc["longest"], 4, "{utc}");
    assert_eq!(
        (utc["current"].clone(), utc["days_with_entries"].clone()),
        (json!(4), json!(4))
    );
    assert_eq!(contract_streaks(&app, &user).await, [4, 4, 4]);

    assert_eq!(
        set_timezone(&app, &user, "Asia/Tokyo").await.status(),
        StatusCode::OK
    );
    let local = app
        .get_json("/api/journal/streaks", Some(&user.token))
        .await;
    let date = |d: NaiveDate| json!(d.to_string());
    assert_eq!(
        local,
        json!({ "current": 2, "longest": 2, "days_with_entries": 3,
                "first_day": date(day(4)), "last_day": date(day(1)) })
    );
    // The original API's streaks (profile, dashboard, analytics) count the same days.
    assert_eq!(contract_streaks(&app, &user).await, [2, 2, 2]);
}

/// The `streak` of the profile, the dashboard and the journal analytics, in that order.
async fn contract_streaks(app: &TestApp, user: &Session) -> [Value; 3] {
    let profile = app
        .get_json(
            &format!("/api/users/{}/profile", user.user_id),
            Some(&user.token),
        )
        .await;
    let dashboard = app
        .get_json("/api/dashboard/stats", Some(&user.token))
        .await;
    let analytics = app
        .get_json("/api/journal/analytics", Some(&user.token))
        .await;
    [
        profile["user"]["streak"].clone(),
        dashboard["current_streak"].clone(),
        analytics["analytics"]["overview"]["streak"].clone(),
    ]
}

#[tokio::test]
async fn streaks_follow_the_persons_time_zone_on_sqlite() {
    streaks_follow_the_persons_time_zone(Backend::Sqlite).await;
}

#[tokio::test]
async fn streaks_follow_the_persons_time_zone_on_postgres() {
    streaks_follow_the_persons_time_zone(Backend::Postgres).await;
}

async fn the_calendar_of_a_known_set_of_entries(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("calendar@example.com").await;
    for (date, mood) in [
        ("2024-02-29T03:00:00Z", 5),      // New York: Feb 28, 22:00
        ("2024-02-28T15:00:00Z", 2),      // Feb 28
        ("2024-02-29T15:00:00Z", 3),      // Feb 29
        ("2023-12-31T23:30:00-05:00", 4), // New York: Dec 31, 2023; UTC: Jan 1, 2024
    ] {
        post_entry(
            &app,
            &user,
            json!({ "text": "a day", "date": date, "self_mood": mood }),
        )
        .await;
    }
    // A scored entry (the fixture models' sentiments are not the test's to choose).
    let pool = crate::users::database(&app).await;
    sqlx::query(
        "INSERT INTO journal_entries (user_id, text, tags, status, sentiment, confidence, mood_score, \
         scores, date, created_at, updated_at) VALUES ($1, 'scored', '[]', 'scored', 'Positive', 0.9, 8.0, \
         '{}', '2024-02-29T16:00:00.000Z', '2024-02-29T16:00:00.000Z', '2024-02-29T16:00:00.000Z')",
    )
    .bind(&user.user_id)
    .execute(&pool)
    .await
    .unwrap();

    let none = json!({ "positive": 0, "neutral": 0, "negative": 0 });
    let one = json!({ "positive": 1, "neutral": 0, "negative": 0 });
    let utc = app
        .get_json("/api/journal/calendar?year=2024", Some(&user.token))
        .await;
    assert_eq!(
        utc,
        json!({ "year": 2024, "days": [
            { "date": "2024-01-01", "entries": 1, "mean_mood": 7.5, "mean_self_mood": 4.0, "sentiments": none },
            { "date": "2024-02-28", "entries": 1, "mean_mood": 2.5, "mean_self_mood": 2.0, "sentiments": none },
            // (10 + 5 + 8) / 3; self-rated (5 + 3) / 2
            { "date": "2024-02-29", "entries": 3, "mean_mood": 7.67, "mean_self_mood": 4.0, "sentiments": one },
        ]})
    );

    assert_eq!(
        set_timezone(&app, &user, "America/New_York").await.status(),
        StatusCode::OK
    );
    let local = app
        .get_json("/api/journal/calendar?year=2024", Some(&user.token))
        .await;
    assert_eq!(
        local,
        json!({ "year": 2024, "days": [
            { "date": "2024-02-28", "entries": 2, "mean_mood": 6.25, "mean_self_mood": 3.5, "sentiments": none },
            { "date": "2024-02-29", "entries": 2, "mean_mood": 6.5, "mean_self_mood": 3.0, "sentiments": one },
        ]})
    );
    let last_year = app
        .get_json("/api/journal/calendar?year=2023", Some(&user.token))
        .await;
    assert_eq!(last_year["days"][0]["date"], "2023-12-31");
    for bad in ["?year=1999", "?year=3000", "?year=soon"] {
        let response = app
            .get(&format!("/api/journal/calendar{bad}"), Some(&user.token))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_error(
        set_timezone(&app, &user, "Mars/Olympus_Mons").await,
        StatusCode::BAD_REQUEST,
        "Unknown time zone \"Mars/Olympus_Mons\": use an IANA name such as \"Europe/Paris\" or \"UTC\"",
    )
    .await;
    let profile = app
        .get_json(
            &format!("/api/users/{}/profile", user.user_id),
            Some(&user.token),
        )
        .await;
    assert_eq!(profile["user"]["timezone"], "America/New_York");
}

#[tokio::test]
async fn the_calendar_of_a_known_set_of_entries_on_sqlite() {
    the_calendar_of_a_known_set_of_entries(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_calendar_of_a_known_set_of_entries_on_postgres() {
    the_calendar_of_a_known_set_of_entries(Backend::Postgres).await;
}
