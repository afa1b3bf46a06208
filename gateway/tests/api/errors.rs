//! Every error speaks the contract's JSON envelope, including the ones no handler produces.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, assert_error, spawn_app};

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app.get("/api/nothing-here", None).await;
    assert_error(response, StatusCode::NOT_FOUND, "Not found").await;
}

#[tokio::test]
async fn delete_on_the_entry_collection_is_a_json_405() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app.delete("/api/journal/entries", None).await;
    assert!(response.headers().contains_key("allow"));
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
    )
    .await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_json_413() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let body = json!({ "text": "x".repeat(2 * 1024 * 1024) });
    let response = app.post("/api/predict/both", &body, None).await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request body too large",
    )
    .await;
}

#[tokio::test]
async fn a_cors_preflight_from_the_dev_frontend_is_allowed_without_auth() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/api/journal/entries"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,authorization,user-id",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("user-id") && allowed.contains("authorization"));
}

#[tokio::test]
async fn an_unknown_origin_gets_no_cors_grant() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app
        .client
        .get(app.url("/livez"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn responses_carry_security_headers_but_no_hsts_outside_production() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app.get("/livez", None).await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.contains_key("content-security-policy"));
    assert!(
        headers.contains_key("x-request-id"),
        "every response has a request id"
    );
    assert!(!headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served_offline() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let doc: serde_json::Value = app.get_json("/api/openapi.json", None).await;
    assert!(doc["paths"]["/api/journal/entries"]["post"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let ui = app.get("/api/docs/", None).await;
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn a_plain_options_request_is_answered_without_auth() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/api/journal/entries"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn production_responses_carry_hsts() {
    let vars = [
        ("APP_ENV", "production"),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("FRONTEND_URL", "https://moodtracker.example"),
    ];
    let app = crate::helpers::spawn_app_with(Backend::Sqlite, &vars)
        .await
        .unwrap();
    let response = app.get("/livez", None).await;
    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.starts_with("max-age="), "{hsts}");
}
