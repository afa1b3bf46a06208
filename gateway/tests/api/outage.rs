//! An inference outage loses no journal entry and invents no score: entries written while it
//! is down are saved pending, and scored once it is back.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, eventually, spawn_app_with, spawn_inference};

#[tokio::test]
async fn entries_written_during_an_inference_outage_are_kept_and_scored_after_recovery() {
    let mut inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let user = app.register("outage@example.com").await;

    inference.stop().await;
    let created = app
        .post(
            "/api/journal/entries",
            &json!({ "text": "written while the models were down" }),
            Some(&user.token),
        )
        .await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "the entry is saved anyway"
    );
    let body: Value = created.json().await.unwrap();
    let entry = &body["entry"];
    assert_eq!(entry["status"], "pending");
    assert!(
        entry["sentiment"].is_null() && entry["confidence"].is_null(),
        "no made-up score: {entry}"
    );
    assert!(entry["roberta"].is_null() && entry["lstm"].is_null());
    let path = format!("/api/journal/entries/{}", entry["id"]);

    let prediction = app
        .post("/api/predict/both", &json!({ "text": "hello" }), None)
        .await;
    assert_eq!(
        prediction.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "no fake predictions either"
    );

    inference.restart().await;
    let scored = eventually(Duration::from_secs(30), || async {
        let e: Value = app.get_json(&path, Some(&user.token)).await;
        e["entry"]["status"] == "scored"
    })
    .await;
    assert!(
        scored,
        "the pending entry was scored after inference came back"
    );
    let e: Value = app.get_json(&path, Some(&user.token)).await;
    assert!(e["entry"]["roberta"].is_object() && e["entry"]["lstm"].is_object());
    assert_eq!(e["entry"]["text"], "written while the models were down");
}

/// An entry the service refuses does not hold up the entries after it: the re-scorer tries
/// each alone, marks the refused one failed (shown to its owner, never retried for ever), and
/// an edit makes it pending again.
async fn an_entry_inference_refuses_is_marked_failed_and_stalls_nothing(backend: Backend) {
    // This service refuses texts over 40 characters, which the gateway's own check lets by.
    let mut inference =
        crate::helpers::spawn_inference_with(&[("INFERENCE_MAX_TEXT_CHARS", "40")]).await;
    let Some(app) = spawn_app_with(backend, &[("INFERENCE_URL", &inference.url())]).await else {
        return;
    };
    let user = app.register("stall@example.com").await;
    let token = Some(user.token.as_str());
    inference.stop().await;
    let texts = [
        "a calm morning",
        "a sentence that is longer than forty characters, as it goes on",
        "an awful commute",
    ];
    let mut paths = Vec::new();
    for text in texts {
        let created = app
            .post("/api/journal/entries", &json!({ "text": text }), token)
            .await;
        let body: Value = created.json().await.unwrap();
        assert_eq!(body["entry"]["status"], "pending");
        paths.push(format!("/api/journal/entries/{}", body["entry"]["id"]));
    }
    inference.restart().await;
    let status = |i: usize| {
        let path = paths[i].clone();
        let app = &app;
        async move { app.get_json(&path, token).await["entry"]["status"].clone() }
    };
    let settled = eventually(Duration::from_secs(30), || async {
        status(0).await == "scored" && status(1).await == "failed" && status(2).await == "scored"
    })
    .await;
    assert!(
        settled,
        "statuses: {} {} {}",
        status(0).await,
        status(1).await,
        status(2).await
    );
    let failed: Value = app.get_json(&paths[1], token).await;
    assert!(
        failed["entry"]["sentiment"].is_null(),
        "no made-up score: {failed}"
    );

    // The owner shortens it: pending again, then scored.
    let edited = app
        .patch(&paths[1], &json!({ "text": "shorter now" }), token)
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let rescored = eventually(Duration::from_secs(30), || async {
        status(1).await == "scored"
    })
    .await;
    assert!(rescored, "the edited entry was scored: {}", status(1).await);
}

#[tokio::test]
async fn an_entry_inference_refuses_is_marked_failed_and_stalls_nothing_on_sqlite() {
    an_entry_inference_refuses_is_marked_failed_and_stalls_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_entry_inference_refuses_is_marked_failed_and_stalls_nothing_on_postgres() {
    an_entry_inference_refuses_is_marked_failed_and_stalls_nothing(Backend::Postgres).await;
}
