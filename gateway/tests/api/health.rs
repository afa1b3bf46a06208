//! `/livez`, `/readyz` (including the drain) and the `/api/health` report.

use std::collections::HashMap;

use axum::body::Body;
use http::Request;
use moodtracker_gateway::{AppState, Config, app};
use reqwest::StatusCode;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::{Backend, TEST_JWT_SECRET, free_port, spawn_app_with, spawn_inference};
use crate::limits::health;

#[tokio::test]
async fn livez_answers_without_any_dependency() {
    let app = spawn_app_with(Backend::Sqlite, &[]).await.unwrap();
    assert_eq!(app.get("/livez", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_fails_as_soon_as_the_drain_starts() {
    let dir = tempfile::tempdir().unwrap();
    let vars: HashMap<String, String> = [
        ("APP_ENV", "testing"),
        ("JWT_SECRET_KEY", TEST_JWT_SECRET),
        (
            "DATABASE_URL",
            &format!("sqlite://{}", dir.path().join("g.db").display()),
        ),
        (
            "INFERENCE_URL",
            &format!("http://127.0.0.1:{}", free_port()),
        ),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let state = AppState::build(&Config::from_iter(vars).unwrap())
        .await
        .unwrap();
    let readyz = || async {
        let request = Request::get("/readyz").body(Body::empty()).unwrap();
        app(state.clone()).oneshot(request).await.unwrap().status()
    };
    assert_eq!(
        readyz().await,
        StatusCode::SERVICE_UNAVAILABLE,
        "not ready before start-up completes"
    );
    state.lifecycle.mark_ready();
    assert_eq!(readyz().await, StatusCode::OK);
    state.lifecycle.start_drain();
    assert_eq!(readyz().await, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_health_report_has_the_contract_keys_and_every_service() {
    let inference = spawn_inference().await;
    let app = spawn_app_with(Backend::Sqlite, &[("INFERENCE_URL", &inference.url())])
        .await
        .unwrap();
    let report = health(&app).await;
    assert_eq!(report["status"], "healthy", "{report}");
    assert_eq!(report["roberta_loaded"], true);
    assert_eq!(report["lstm_loaded"], true);
    for key in [
        "timestamp",
        "version",
        "environment",
        "response_time_ms",
        "route_count",
        "models",
    ] {
        assert!(!report[key].is_null(), "{key} missing: {report}");
    }
    let services = &report["services"];
    assert_eq!(services["inference"]["status"], "serving");
    assert_eq!(services["database"]["status"], "up");
    assert_eq!(services["redis"]["status"], "not_configured");
    assert_eq!(services["cache"]["storage"], "memory");
    assert_eq!(
        services["rate_limit"]["enabled"], false,
        "testing disables limits by default"
    );
    let models = report["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    assert!(
        models
            .iter()
            .all(|m| !m["version"].as_str().unwrap().is_empty())
    );
}

#[tokio::test]
async fn an_inference_outage_degrades_health_but_not_readiness() {
    let app = spawn_app_with(Backend::Sqlite, &[]).await.unwrap();
    let report = health(&app).await;
    assert_eq!(report["status"], "degraded");
    assert_eq!(report["services"]["inference"]["status"], "unreachable");
    assert_eq!(report["roberta_loaded"], false);
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_redis_password_never_appears_in_the_report() {
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}/0", free_port());
    let app = spawn_app_with(Backend::Sqlite, &[("REDIS_URL", &url)])
        .await
        .unwrap();
    let text = app.get("/api/health", None).await.text().await.unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    let redacted = format!(
        "redis://:***@127.0.0.1:{}",
        &url[url.rfind(':').unwrap() + 1..]
    );
    assert_eq!(report["services"]["redis"]["url"], redacted);
    assert_eq!(report["services"]["redis"]["status"], "down");
}
