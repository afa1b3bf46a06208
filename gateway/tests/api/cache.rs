//! The model-result cache through `/api/predict/both`, with the real inference service.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Inference, TestApp, free_port, spawn_app_with, spawn_inference};
use crate::limits::{local_redis_up, unique_prefix};

async fn predict(app: &TestApp, text: &str) -> (String, Value) {
    let response = app
        .post("/api/predict/both", &json!({ "text": text }), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cached = response.headers()["x-cache"].to_str().unwrap().to_owned();
    (cached, response.json().await.unwrap())
}

/// A gateway on SQLite that caches model results in the local Redis, calling `inference`.
pub async fn spawn_cached_app(inference: &Inference) -> TestApp {
    spawn_app_with(
        Backend::Sqlite,
        &[
            ("INFERENCE_URL", &inference.url()),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("CACHE_TYPE", "redis"),
            // A slow reply on a loaded test machine would (rightly) bypass the cache.
            ("REDIS_TIMEOUT_MS", "1000"),
        ],
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_second_identical_prediction_is_served_from_redis() {
    if !local_redis_up().await {
        return;
    }
    let inference = spawn_inference().await;
    let app = spawn_cached_app(&inference).await;
    // A text no other run has cached.
    let text = format!("a calm and pleasant evening {}", unique_prefix());
    let (first, computed) = predict(&app, &text).await;
    let (second, cached) = predict(&app, &text).await;
    assert_eq!((first.as_str(), second.as_str()), ("MISS", "HIT"));
    assert_eq!(computed, cached);
}

#[tokio::test]
async fn an_unreachable_redis_bypasses_the_cache_and_the_prediction_still_answers() {
    let inference = spawn_inference().await;
    let dead = format!("redis://127.0.0.1:{}", free_port());
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("INFERENCE_URL", &inference.url()),
            ("REDIS_URL", &dead),
            ("CACHE_TYPE", "redis"),
        ],
    )
    .await
    .unwrap();
    for _ in 0..2 {
        let (cached, body) = predict(&app, "rain again, but the tea is warm").await;
        assert_eq!(cached, "BYPASS");
        assert!(
            body["roberta"].is_object() && body["lstm"].is_object(),
            "{body}"
        );
    }
}
