//! The Prometheus endpoint on its own port, checked by `promtool` when it is installed.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, free_port, must_have_services, spawn_app_with};

#[tokio::test]
async fn metrics_are_served_on_their_own_port_and_pass_promtool() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("METRICS_ADDR", addr.as_str()),
            ("RATELIMIT_ENABLED", "true"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        app.get("/api/journal/entries", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/health", None).await.status(), StatusCode::OK);
    // Inference is down in this test: the call still records its latency, as `Unavailable`.
    let prediction = app
        .post("/api/predict/both", &json!({ "text": "hello" }), None)
        .await;
    assert_eq!(prediction.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::NOT_FOUND,
        "not on the API port"
    );

    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "moodtracker_gateway_http_requests_total{",
        "route=\"/api/journal/entries\"",
        "moodtracker_gateway_http_request_duration_seconds_bucket{",
        "moodtracker_gateway_rate_limit_decisions_total{",
        "moodtracker_gateway_inference_request_duration_seconds_bucket{",
        "moodtracker_gateway_db_pool_connections{",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    promtool_check(&text);
}

/// Runs `promtool check metrics`; without promtool a loud skip, or a failure under CI=true.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        assert!(
            !must_have_services(),
            "CI=true and promtool is missing: apt-get install --no-install-recommends prometheus"
        );
        eprintln!(
            "\n!!!!!!!! SKIPPED promtool check: promtool not installed (apt-get install --no-install-recommends prometheus) !!!!!!!!\n"
        );
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
