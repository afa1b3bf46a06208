//! Predictions through the real inference service: both models, nulls never faked.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app_with, spawn_inference};

#[tokio::test]
async fn predict_both_returns_each_model_and_a_real_consensus() {
    let inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let response = app
        .post(
            "/api/predict/both",
            &json!({ "text": "What a lovely morning" }),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["text"], "What a lovely morning");
    for model in ["roberta", "lstm"] {
        let result = &body[model];
        let scores = &result["scores"];
        let sum: f64 = ["positive", "neutral", "negative"]
            .iter()
            .map(|k| scores[k].as_f64().unwrap())
            .sum();
        assert!(
            (sum - 1.0).abs() < 1e-3,
            "{model} scores sum to one: {scores}"
        );
        assert!(
            ["Positive", "Neutral", "Negative"].contains(&result["sentiment"].as_str().unwrap())
        );
    }
    let agree = body["roberta"]["sentiment"] == body["lstm"]["sentiment"];
    assert_eq!(body["consensus"], agree);
    assert_eq!(body["sentiment"], body["lstm"]["sentiment"]);

    let single = app
        .post("/api/predict/roberta", &json!({ "text": "fine" }), None)
        .await;
    assert_eq!(single.status(), StatusCode::OK);
    let single: Value = single.json().await.unwrap();
    assert!(single["confidence"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn a_csv_is_analysed_row_by_row() {
    let inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let csv = format!(
        "id,review\n1,great stuff\n2,\n3,{}\n4,awful\n",
        "z".repeat(5001)
    );
    let part = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("reviews.CSV");
    let form = reqwest::multipart::Form::new().part("file", part);
    let response = app
        .client
        .post(app.url("/api/analyze/csv"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["text_column"], "review");
    let rows: Vec<i64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [1, 3, 4], "the empty row is dropped, numbering kept");
    assert_eq!(body["results"][1]["sentiment"], "Error");
    assert!(body["results"][0]["roberta"].is_object() && body["results"][2]["lstm"].is_object());
}

async fn upload_csv(app: &crate::helpers::TestApp, csv: String) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("rows.csv");
    let form = reqwest::multipart::Form::new().part("file", part);
    app.client
        .post(app.url("/api/analyze/csv"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_csv_of_only_overlong_rows_gets_an_error_per_row() {
    let inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let long = "z".repeat(5001);
    let response = upload_csv(&app, format!("text\n{long}\n{long}\n")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let errors: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["Text too long (max 5000 characters)"; 2]);
}

#[tokio::test]
async fn a_row_inference_refuses_fails_alone_and_its_message_stays_inside() {
    // This service refuses texts over 40 characters, which the gateway's own check lets by.
    let inference =
        crate::helpers::spawn_inference_with(&[("INFERENCE_MAX_TEXT_CHARS", "40")]).await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let refused = "a sentence that is longer than forty characters, as it goes on";
    let response = upload_csv(&app, format!("text\ngreat stuff\n{refused}\nawful\n")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(
        results[0]["roberta"].is_object() && results[2]["lstm"].is_object(),
        "{body}"
    );
    assert_eq!(results[1]["sentiment"], "Error");
    assert_eq!(results[1]["error"], "The model could not analyse this text");
    assert!(
        !body.to_string().contains("texts["),
        "an internal message leaked: {body}"
    );

    let single = app
        .post("/api/predict/both", &json!({ "text": refused }), None)
        .await;
    assert_eq!(single.status(), StatusCode::BAD_REQUEST);
    let single: Value = single.json().await.unwrap();
    assert_eq!(single["error"], "The model could not analyse this text");
}
