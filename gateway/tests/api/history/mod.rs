//! A person's history over HTTP, on SQLite and PostgreSQL: back-dated and self-rated entries,
//! the profile's time zone, streaks, the calendar, effects, the forecast, search, import and
//! export, and the check-in; another user's token sees none of it.
//!
//! Inference is down in these tests, so texts stay pending and days get their mood from the
//! self-rated moods, which the tests choose.

mod bench;
mod days;
mod figures;
mod search;
mod transfer;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, StatusCode, multipart};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

/// Posts an entry; returns its JSON.
pub async fn post_entry(app: &TestApp, user: &Session, body: Value) -> Value {
    let response = app
        .post("/api/journal/entries", &body, Some(&user.token))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "{body}");
    response.json::<Value>().await.unwrap()["entry"].clone()
}

/// Sets the caller's profile time zone.
pub async fn set_timezone(app: &TestApp, user: &Session, timezone: &str) -> reqwest::Response {
    let path = format!("/api/users/{}/profile", user.user_id);
    let body = json!({ "timezone": timezone });
    app.send(Method::PUT, &path, Some(&body), Some(&user.token))
        .await
}

/// Uploads `content` as the multipart field `file` to the import route.
pub async fn import(app: &TestApp, user: &Session, name: &str, content: &str) -> reqwest::Response {
    let part = multipart::Part::bytes(content.as_bytes().to_vec()).file_name(name.to_owned());
    app.client
        .post(app.url("/api/journal/import"))
        .bearer_auth(&user.token)
        .multipart(multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("request")
}

/// Imports `entries` as our own export JSON and asserts they were all created.
pub async fn import_entries(app: &TestApp, user: &Session, entries: Vec<Value>) {
    let count = entries.len();
    let file = json!({ "journal_entries": entries }).to_string();
    let response = import(app, user, "export.json", &file).await;
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["created"], count, "{summary}");
}

/// An export-format entry with only a self-rated mood.
pub fn rated(at: DateTime<Utc>, self_mood: i64, tags: &[&str]) -> Value {
    json!({
        "text": "", "tags": tags, "self_mood": self_mood,
        "date": at.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}
