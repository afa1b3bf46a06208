//! Explanations end to end: the gateway over HTTP, the real inference binary with the fixture
//! models, Redis for the cache. Ownership, caching, validation and an inference outage.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cache::spawn_cached_app;
use crate::helpers::{Backend, TestApp, assert_error, spawn_app_with, spawn_inference};
use crate::limits::{local_redis_up, unique_prefix};

async fn explain(app: &TestApp, body: &Value) -> (StatusCode, String, Value) {
    let response = app.post("/api/predict/explain", body, None).await;
    let status = response.status();
    let cached = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, cached, response.json().await.unwrap())
}

/// Writes `text` as an entry of the user holding `token`: the entry and its explanation path.
async fn write_entry(app: &TestApp, token: &str, text: &str) -> (Value, String) {
    let created: Value = app
        .post(
            "/api/journal/entries",
            &json!({ "text": text }),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/api/journal/entries/{}/explanation",
        created["entry"]["id"]
    );
    (created, path)
}

/// Every word of `text`, in order, with spans that cut exactly that word out of the text.
fn assert_words_cover(text: &str, explanation: &Value) {
    let chars: Vec<char> = text.chars().collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    let listed = explanation["words"].as_array().unwrap();
    assert_eq!(listed.len(), words.len(), "{explanation}");
    for (word, want) in listed.iter().zip(words) {
        let (start, end) = (
            word["start"].as_u64().unwrap(),
            word["end"].as_u64().unwrap(),
        );
        let span: String = chars[start as usize..end as usize].iter().collect();
        assert_eq!(
            (word["word"].as_str().unwrap(), span.as_str()),
            (want, want)
        );
        assert!(word["attribution"].is_number() && word["mood_delta"].is_number());
        // The fixture models read 32 and 64 tokens, so a long text can pass their limit.
        assert!(word["beyond_limit"].is_boolean());
    }
    let score = explanation["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score) && explanation["label"].is_string());
}

#[tokio::test]
async fn explains_a_text_word_by_word_with_each_model_asked_for() {
    let inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let text = "  Work was awful but dinner with Sam 😊 made up for it ";

    let (status, _, body) = explain(&app, &json!({ "text": text })).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["success"].clone(), body["text"].as_str()),
        (json!(true), Some(text))
    );
    assert_eq!(body["words"], 12);
    assert_words_cover(text, &body["explanations"]["roberta"]);
    assert_words_cover(text, &body["explanations"]["lstm"]);

    let (status, _, only) = explain(&app, &json!({ "text": text, "model": "lstm" })).await;
    assert_eq!(status, StatusCode::OK);
    assert!(only["explanations"]["roberta"].is_null(), "{only}");
    assert_eq!(only["explanations"]["lstm"], body["explanations"]["lstm"]);
}

#[tokio::test]
async fn refuses_bad_input_as_the_predict_routes_do_and_names_the_word_limit() {
    let inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let too_many = vec!["word"; 129].join(" ");
    for (body, message) in [
        (json!({}), "No text provided"),
        (json!({ "text": " \n " }), "Empty text provided"),
        (json!({ "text": 7 }), "Text must be a string"),
        (
            json!({ "text": "x".repeat(5001) }),
            "Text too long. Maximum length is 5000 characters",
        ),
        (
            json!({ "text": "fine", "model": "bert" }),
            "model must be one of \"both\", \"roberta\", \"lstm\"",
        ),
        (
            json!({ "text": too_many }),
            "Text too long to explain: 129 words, at most 128",
        ),
    ] {
        let response = app.post("/api/predict/explain", &body, None).await;
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(message), "{body}: {error}");
    }
}

#[tokio::test]
async fn an_entry_is_explained_for_its_owner_only_and_then_served_from_redis() {
    if !local_redis_up().await {
        return;
    }
    let inference = spawn_inference().await;
    let app = spawn_cached_app(&inference).await;
    let alice = app.register("alice@example.com").await;
    let mallory = app.register("mallory@example.com").await;
    // A text no other run has cached.
    let text = format!("a slow sunday with good coffee {}", unique_prefix());
    let (created, path) = write_entry(&app, &alice.token, &text).await;

    let first = app.get(&path, Some(&alice.token)).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["x-cache"], "MISS");
    let first: Value = first.json().await.unwrap();
    let second = app.get(&path, Some(&alice.token)).await;
    assert_eq!(second.headers()["x-cache"], "HIT");
    let second: Value = second.json().await.unwrap();

    assert_eq!(first, second);
    assert_eq!(first["entry_id"], created["entry"]["id"]);
    assert_eq!(first["text"], text.as_str());
    assert_words_cover(&text, &first["explanations"]["roberta"]);
    assert_words_cover(&text, &first["explanations"]["lstm"]);
    let theirs = app.get(&path, Some(&mallory.token)).await;
    assert_error(
        theirs,
        StatusCode::NOT_FOUND,
        "Entry not found or unauthorized",
    )
    .await;
    let missing = app
        .get(
            "/api/journal/entries/999999/explanation",
            Some(&alice.token),
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&path, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn with_inference_down_both_routes_answer_503_and_nothing_is_cached() {
    if !local_redis_up().await {
        return;
    }
    let mut inference = spawn_inference().await;
    let app = spawn_cached_app(&inference).await;
    let user = app.register("outage@example.com").await;
    let text = format!("the train was late again {}", unique_prefix());
    let (_, path) = write_entry(&app, &user.token, &text).await;

    inference.stop().await;
    let posted = app
        .post("/api/predict/explain", &json!({ "text": text }), None)
        .await;
    assert_error(
        posted,
        StatusCode::SERVICE_UNAVAILABLE,
        "Inference service unavailable",
    )
    .await;
    let entry = app.get(&path, Some(&user.token)).await;
    assert_error(
        entry,
        StatusCode::SERVICE_UNAVAILABLE,
        "Inference service unavailable",
    )
    .await;

    inference.restart().await;
    let (status, cached, _) = explain(&app, &json!({ "text": text })).await;
    assert_eq!(
        (status, cached.as_str()),
        (StatusCode::OK, "MISS"),
        "the failure was not cached"
    );
    let entry = app.get(&path, Some(&user.token)).await;
    assert_eq!(
        entry.headers()["x-cache"],
        "HIT",
        "the entry shares the text's explanation"
    );
}
