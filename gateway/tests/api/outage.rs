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
