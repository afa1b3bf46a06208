//! A user's whole journey, on SQLite and on PostgreSQL, with the real inference service:
//! register, log in, write entries, list, analytics, delete, refresh, log out.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestApp, session, spawn_app_with, spawn_inference};

#[tokio::test]
async fn a_whole_journey_on_sqlite() {
    whole_journey(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_whole_journey_on_postgres() {
    whole_journey(Backend::Postgres).await;
}

async fn whole_journey(backend: Backend) {
    let inference = spawn_inference().await;
    let Some(app) = spawn_app_with(backend, &[("INFERENCE_URL", &inference.url())]).await else {
        return;
    };
    let registered = app.register("  Journey@Example.COM ").await;
    assert_eq!(
        registered.email, "journey@example.com",
        "emails are lower-cased"
    );

    let login = app.login("JOURNEY@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let me = session(login.json().await.unwrap());
    assert_eq!(me.user_id, registered.user_id);

    let ids = write_entries(&app, &me.token).await;
    list_and_page(&app, &me.token, &ids).await;
    check_analytics(&app, &me.token).await;
    patch_entry(&app, &me.token, ids[2]).await;
    delete_one(&app, &me.token, ids[0]).await;
    refresh_rotates(&app, &me).await;
    logout_ends_the_session(&app).await;
}

async fn write_entries(app: &TestApp, token: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for text in [
        "I had a wonderful day with friends",
        "Work was stressful",
        "Just an ordinary day",
    ] {
        let body = json!({ "text": text, "tags": ["daily"] });
        let response = app.post("/api/journal/entries", &body, Some(token)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        let entry = &body["entry"];
        assert_eq!(entry["status"], "scored");
        assert_eq!(entry["text"], text);
        assert_eq!(entry["tags"], json!(["daily"]));
        assert!(
            ["Positive", "Neutral", "Negative"].contains(&entry["sentiment"].as_str().unwrap())
        );
        assert!(
            entry["roberta"].is_object() && entry["lstm"].is_object(),
            "both models scored it"
        );
        assert_eq!(
            entry["sentiment"], entry["lstm"]["sentiment"],
            "the LSTM is the primary result"
        );
        let mood = entry["mood_score"].as_f64().unwrap();
        assert!((2.0..=10.0).contains(&mood));
        assert!(entry["date"].as_str().unwrap().contains('T'));
        assert_eq!(body["entry_id"], entry["id"]);
        ids.push(entry["id"].as_i64().unwrap());
    }
    ids
}

async fn list_and_page(app: &TestApp, token: &str, ids: &[i64]) {
    let body: Value = app.get_json("/api/journal/entries", Some(token)).await;
    assert_eq!(body["total"], 3);
    let listed: Vec<i64> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        listed,
        ids.iter().rev().copied().collect::<Vec<_>>(),
        "newest first"
    );

    let page: Value = app
        .get_json("/api/journal/entries?page=2&per_page=2", Some(token))
        .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 3);

    let future: Value = app
        .get_json("/api/journal/entries?from=2999-01-01", Some(token))
        .await;
    assert_eq!(future["total"], 0);

    let one: Value = app
        .get_json(&format!("/api/journal/entries/{}", ids[1]), Some(token))
        .await;
    assert_eq!(one["entry"]["text"], "Work was stressful");
}

async fn check_analytics(app: &TestApp, token: &str) {
    let response = app.get("/api/journal/analytics", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let analytics = &body["analytics"];
    assert_eq!(analytics["overview"]["total_entries"], 3);
    assert_eq!(analytics["overview"]["entries_this_week"], 3);
    assert_eq!(analytics["overview"]["streak"], 1);
    assert_eq!(analytics["weekly_mood_trend"].as_array().unwrap().len(), 7);
    let d = &analytics["sentiment_distribution"];
    let sum = d["positive"].as_f64().unwrap()
        + d["neutral"].as_f64().unwrap()
        + d["negative"].as_f64().unwrap();
    assert!((sum - 100.0).abs() < 0.2, "percentages add up: {d}");
    assert_eq!(analytics["keywords"]["work"], 1);
}

async fn patch_entry(app: &TestApp, token: &str, id: i64) {
    let path = format!("/api/journal/entries/{id}");
    let before: Value = app.get_json(&path, Some(token)).await;
    let tags_only = app
        .patch(&path, &json!({ "tags": ["calm"] }), Some(token))
        .await;
    assert_eq!(tags_only.status(), StatusCode::OK);
    let after: Value = tags_only.json().await.unwrap();
    assert_eq!(after["entry"]["tags"], json!(["calm"]));
    assert_eq!(
        after["entry"]["lstm"], before["entry"]["lstm"],
        "same text, same scores"
    );

    let retext = json!({ "text": "An ordinary day that ended well" });
    let rewritten: Value = app
        .patch(&path, &retext, Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        rewritten["entry"]["text"],
        "An ordinary day that ended well"
    );
    assert_eq!(
        rewritten["entry"]["status"], "scored",
        "a new text is scored anew"
    );
    assert_eq!(rewritten["entry"]["tags"], json!(["calm"]));
    let empty = app.patch(&path, &json!({}), Some(token)).await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
}

async fn delete_one(app: &TestApp, token: &str, id: i64) {
    let response = app
        .delete(&format!("/api/journal/entries/{id}"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let again = app
        .get(&format!("/api/journal/entries/{id}"), Some(token))
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let body: Value = app.get_json("/api/journal/entries", Some(token)).await;
    assert_eq!(body["total"], 2);
}

async fn refresh_rotates(app: &TestApp, first: &crate::helpers::Session) {
    let refreshed = app.refresh(&first.refresh_token).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let second = session(refreshed.json().await.unwrap());
    assert_ne!(second.refresh_token, first.refresh_token);
    let me = app.get("/api/auth/me", Some(&second.token)).await;
    assert_eq!(me.status(), StatusCode::OK);

    // Replaying the spent token revokes the family: the newer token dies with it.
    let replay = app.refresh(&first.refresh_token).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let newer = app.refresh(&second.refresh_token).await;
    assert_eq!(newer.status(), StatusCode::UNAUTHORIZED);
}

async fn logout_ends_the_session(app: &TestApp) {
    let login = app.login("journey@example.com", PASSWORD).await;
    let s = session(login.json().await.unwrap());
    let body = json!({ "refresh_token": s.refresh_token });
    let out = app.post("/api/auth/logout", &body, Some(&s.token)).await;
    assert_eq!(out.status(), StatusCode::OK);
    let after = app.refresh(&s.refresh_token).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}
