//! The history benchmark (ignored by default; run with
//! `cargo test --release -p moodtracker-gateway --test api history::bench -- --ignored --nocapture`):
//! a person with five years of daily entries, `effects`, `calendar` and `forecast` timed over
//! HTTP (median and p99) on SQLite and PostgreSQL, and an import of 10,000 Daylio rows.

use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use reqwest::StatusCode;
use serde_json::Value;

use super::import;
use crate::helpers::{Backend, TestApp, spawn_app};

const YEARS_OF_DAYS: i64 = 5 * 365 + 1;
const REQUESTS: usize = 100;

/// Five years of one entry a day ending yesterday: self-rated moods with a weekly rhythm,
/// model scores on most days, and a few tags, written in one transaction.
async fn five_years(app: &TestApp, user_id: &str) {
    let pool = crate::users::database(app).await;
    let mut tx = pool.begin().await.unwrap();
    let first = chrono::Utc::now().date_naive() - Days::days(YEARS_OF_DAYS);
    for i in 0..YEARS_OF_DAYS {
        let date = (first + Days::days(i))
            .and_hms_opt(20, 0, 0)
            .unwrap()
            .and_utc();
        let date = date.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let own = 1 + (i * 7 + i / 7) % 5;
        let tags = match i % 4 {
            0 => r#"["run"]"#,
            1 => r#"["work","friends"]"#,
            2 => r#"["sleep"]"#,
            _ => "[]",
        };
        let scored = i % 5 != 0;
        let mood = scored.then(|| ((i * 37) % 100) as f64 / 10.0);
        let result = mood.map(|m| format!(r#"{{"sentiment":"Neutral","mood_score":{m}}}"#));
        sqlx::query(
            "INSERT INTO journal_entries (user_id, text, tags, status, sentiment, confidence, mood_score, \
             scores, roberta, lstm, self_mood, date, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 0.8, $6, '{}', $7, $7, $8, $9, $9, $9)",
        )
        .persistent(false)
        .bind(user_id)
        .bind(format!("Day {i}: a walk, some work, dinner with friends"))
        .bind(tags)
        .bind(if scored { "scored" } else { "pending" })
        .bind(scored.then_some("Neutral"))
        .bind(mood)
        .bind(result)
        .bind(own)
        .bind(date)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Median and p99 (nearest rank) of `samples`.
fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = samples[(samples.len() * 99).div_ceil(100) - 1];
    (ms(samples[samples.len() / 2]), ms(p99))
}

async fn time_route(app: &TestApp, token: &str, path: &str) -> (f64, f64) {
    let mut samples = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let response = app.get(path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.bytes().await.unwrap();
        samples.push(started.elapsed());
    }
    summary(samples)
}

/// A Daylio file of `rows` rows, two a day (morning and evening) back from 2025-01-01: 10,000 rows
/// reach back to 2011, inside the dates an entry may carry (from 2000; one a day would not be).
fn daylio(rows: usize) -> String {
    let mut file = String::from("full_date,date,weekday,time,mood,activities,note_title,note\n");
    let moods = ["rad", "good", "meh", "bad", "awful"];
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..rows {
        let day = start - Days::days(i as i64 / 2);
        let half = if i % 2 == 0 { "am" } else { "pm" };
        let note = if i % 3 == 0 {
            String::new()
        } else {
            format!("Note {i}<br>with a second line")
        };
        file.push_str(&format!(
            "{day},x,x,8:{:02} {half},{},sport | family,,{note}\n",
            i % 60,
            moods[i % 5]
        ));
    }
    file
}

async fn bench(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("bench@example.com").await;
    five_years(&app, &user.user_id).await;
    let year = (chrono::Utc::now().date_naive() - Days::days(365))
        .format("%Y")
        .to_string();
    for path in [
        "/api/journal/effects".to_owned(),
        format!("/api/journal/calendar?year={year}"),
        "/api/journal/forecast?days=14".to_owned(),
    ] {
        let (median, p99) = time_route(&app, &user.token, &path).await;
        println!(
            "{backend:?} {path}: median {median:.1} ms, p99 {p99:.1} ms ({REQUESTS} requests, {YEARS_OF_DAYS} entries)"
        );
    }
    let importer = app.register("bench-import@example.com").await;
    let file = daylio(10_000);
    let started = Instant::now();
    let response = import(&app, &importer, "daylio.csv", &file).await;
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    let first = started.elapsed();
    assert_eq!(summary["created"], 10_000, "{summary}");
    let started = Instant::now();
    let again: Value = import(&app, &importer, "daylio.csv", &file)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["duplicates"], 10_000);
    println!(
        "{backend:?} import of 10,000 Daylio rows ({} KB, inference down: texts saved pending): {:.2} s; again (all duplicates): {:.2} s",
        file.len() / 1024,
        first.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn history_benchmark_on_sqlite() {
    bench(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn history_benchmark_on_postgres() {
    bench(Backend::Postgres).await;
}
