//! Insights over HTTP: the contract's worked example end to end (entries and results in a
//! real database, strategies chosen by the rules of §6), the welcome for a new person, and
//! the per-test trends of the mental-health-insights route.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    assessments::submit_ok,
    helpers::{Backend, TestApp, spawn_app},
    users::database,
};

/// Stores `count` scored entries for `user_id` directly: the sentiments must be known, and
/// the fixture models' sentiments are not chosen by the test.
async fn store_entries(app: &TestApp, user_id: &str, count: usize, sentiment: &str, mood: f64) {
    let pool = database(app).await;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for n in 0..count {
        sqlx::query(
            "INSERT INTO journal_entries (user_id, text, tags, status, sentiment, confidence, mood_score, \
             scores, date, created_at, updated_at) VALUES ($1, $2, '[]', 'scored', $3, 0.9, $4, '{}', $5, $5, $5)",
        )
        .bind(user_id)
        .bind(format!("a hard day at work, number {n}"))
        .bind(sentiment)
        .bind(mood)
        .bind(&now)
        .execute(&pool)
        .await
        .expect("insert an entry");
    }
}

fn ids(body: &Value) -> Vec<&str> {
    body["copingStrategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

async fn the_contracts_worked_example_chooses_its_eight_strategies(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let user = app.register("example@example.com").await;
    store_entries(&app, &user.user_id, 5, "Negative", 3.0).await;
    submit_ok(&app, &user, 1, &[3, 3, 3, 3, 3, 3, 2, 0, 0]).await; // 20: severe
    submit_ok(&app, &user, 2, &[2, 2, 2, 2, 2, 0, 0]).await; // 10: moderate
    submit_ok(&app, &user, 4, &[4, 4, 4, 0, 0, 4, 0, 0, 4, 4]).await; // 40: high
    submit_ok(&app, &user, 3, &[3; 50]).await;

    let response = app
        .get("/api/notifications/insights", Some(&user.token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(cache, "no-cache, no-store, must-revalidate");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        ids(&body),
        [
            "behavioral_activation",
            "progressive_muscle_relaxation",
            "box_breathing",
            "values_clarification",
            "grounding_54321",
            "gratitude_three_good_things",
            "thought_record",
            "time_management",
        ]
    );
    assert_eq!(body["insight"]["title"], "Wellness Check-In");
    assert_eq!(body["insight"]["confidence"], 0.85);
    let breathing = &body["copingStrategies"][2];
    assert_eq!(
        (
            breathing["category"].as_str(),
            breathing["duration_minutes"].as_i64()
        ),
        (Some("Stress"), Some(5))
    );
    assert!(breathing["instructions"].as_str().unwrap().contains('\n'));
    assert_eq!(body["patterns"]["common_themes"]["work"], 5);
}

#[tokio::test]
async fn the_contracts_worked_example_chooses_its_eight_strategies_on_sqlite() {
    the_contracts_worked_example_chooses_its_eight_strategies(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_contracts_worked_example_chooses_its_eight_strategies_on_postgres() {
    the_contracts_worked_example_chooses_its_eight_strategies(Backend::Postgres).await;
}

#[tokio::test]
async fn a_new_person_is_welcomed_and_a_positive_journal_gets_three_good_things() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let user = app.register("new@example.com").await;
    let body: Value = app
        .get_json("/api/notifications/insights", Some(&user.token))
        .await;
    assert_eq!(body["insight"]["title"], "Start Your Journey");
    assert!(body["insight"].get("confidence").is_none());
    assert_eq!(body["copingStrategies"].as_array().unwrap().len(), 0);

    store_entries(&app, &user.user_id, 3, "Positive", 8.5).await;
    let body: Value = app
        .get_json("/api/notifications/insights", Some(&user.token))
        .await;
    assert_eq!(body["insight"]["title"], "Positive Progress");
    assert_eq!(ids(&body), ["gratitude_three_good_things"]);
    assert_eq!(
        body["patterns"]["message"],
        "More entries needed to identify patterns"
    );
    assert_eq!(
        app.get("/api/notifications/insights", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn mental_health_insights_report_each_tests_latest_result_and_trend() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let user = app.register("trends@example.com").await;
    let path = format!("/api/users/{}/mental-health-insights", user.user_id);
    let none: Value = app.get_json(&path, Some(&user.token)).await;
    assert_eq!(none["message"], "No test results available yet");

    submit_ok(&app, &user, 1, &[2; 9]).await; // 18
    submit_ok(&app, &user, 2, &[1; 7]).await; // 7
    submit_ok(&app, &user, 1, &[1; 9]).await; // 9: lower is improving
    let body: Value = app.get_json(&path, Some(&user.token)).await;
    assert_eq!(body["total_assessments"], 3);
    let tests = body["tests"].as_array().unwrap();
    assert_eq!(
        (
            tests[0]["test_type"].as_str(),
            tests[0]["latest_score"].as_i64()
        ),
        (Some("PHQ9"), Some(9))
    );
    assert_eq!(
        (
            tests[0]["trend"].as_str(),
            tests[0]["history_count"].as_i64()
        ),
        (Some("improving"), Some(2))
    );
    assert_eq!(
        (tests[1]["test_type"].as_str(), tests[1]["trend"].clone()),
        (Some("GAD7"), Value::Null)
    );
    assert_eq!(tests[1]["max_score"], 21);
    assert_eq!(body["recommendations"].as_array().unwrap().len(), 8);
}
