//! Health endpoints for Kubernetes and people.
//!
//! - `/livez`: the process answers; nothing else (a dependency outage must not restart pods).
//! - `/readyz`: start-up complete, not draining, and the database answered the latest probe.
//!   Redis and inference are left out on purpose: their outage would take every replica out of
//!   service at once, when the gateway can still serve (memory limits, pending entries).
//! - `/api/health`: the original's enhanced report plus the contract's simple keys, built from
//!   the probes' cached snapshot and in-process state: a health request never fans out.

use std::sync::OnceLock;
use std::time::Instant;

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::health::{Component, Snapshot};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/api/health", get(health))
}

/// Depends on the process alone.
async fn livez() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 once start-up is complete and the database answers; 503 while starting, while the
/// database is down, and from the moment a shutdown drain starts.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database_up = state.platform.health.latest().database.is_up();
    let ready = state.lifecycle.is_ready() && database_up;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let reason = match (state.lifecycle.is_draining(), database_up) {
        (true, _) => Some("draining"),
        (false, false) => Some("database unavailable"),
        _ if !ready => Some("starting"),
        _ => None,
    };
    let body = json!({ "status": if ready { "ready" } else { "not_ready" }, "reason": reason });
    (status, Json(body))
}

/// The enhanced report: 200 when healthy or degraded, 503 when unhealthy (no database).
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let started = Instant::now();
    let snapshot = state.platform.health.latest();
    let mut report = report(&state, &snapshot);
    let elapsed_ms = started.elapsed().as_micros() as f64 / 1000.0;
    report["response_time_ms"] = json!(elapsed_ms);
    let code = match report["status"].as_str() {
        Some("unhealthy") => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    (code, Json(report))
}

fn report(state: &AppState, snapshot: &Snapshot) -> Value {
    let platform = &state.platform;
    let redis = redis_report(state);
    let (cache_storage, cache_degraded) = platform.cache.status();
    let limiter = &platform.rate_limit.limiter;
    let (limit_storage, limit_degraded) = limiter.storage_status();
    let roberta = snapshot.has_model("roberta");
    let lstm = snapshot.has_model("lstm");
    let status = overall(
        snapshot,
        roberta && lstm,
        redis["status"] == "down" || cache_degraded || limit_degraded,
    );
    json!({
        "status": status,
        "roberta_loaded": roberta,
        "lstm_loaded": lstm,
        "timestamp": crate::store::now(),
        "version": env!("CARGO_PKG_VERSION"),
        "environment": state.config.environment.as_str(),
        "uptime_seconds": platform.started.elapsed().as_secs(),
        "route_count": route_count(),
        "models": snapshot.models,
        "services": {
            "ml_models": { "status": if roberta || lstm { "up" } else { "down" }, "roberta": roberta, "lstm": lstm },
            "inference": component(&snapshot.inference),
            "database": with(component(&snapshot.database), "backend", state.db.backend().as_str()),
            "redis": redis,
            "cache": {
                "status": if cache_degraded { "degraded" } else { "up" },
                "storage": cache_storage,
                "default_timeout": state.config.cache_default_timeout.as_secs(),
            },
            "rate_limit": {
                "status": if limit_degraded { "degraded" } else { "up" },
                "storage": limit_storage,
                "enabled": state.config.ratelimit_enabled,
            },
        },
        "details": { "checked_at": snapshot.checked_at, "probe_interval_ms": crate::health::PROBE_INTERVAL.as_millis() as u64 },
    })
}

/// `unhealthy` without a database (nothing can be served); `degraded` when a model, inference,
/// or Redis (configured but down) is missing; else `healthy`.
fn overall(snapshot: &Snapshot, both_models: bool, redis_degraded: bool) -> &'static str {
    if !snapshot.database.is_up() {
        "unhealthy"
    } else if !snapshot.inference.is_up() || !both_models || redis_degraded {
        "degraded"
    } else {
        "healthy"
    }
}

fn component(c: &Component) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}

fn with(mut value: Value, key: &str, item: &str) -> Value {
    value[key] = json!(item);
    value
}

/// Redis as the shared link sees it: status, latest ping latency and the URL without password.
fn redis_report(state: &AppState) -> Value {
    match &state.platform.redis {
        None => json!({ "status": "not_configured", "latency_ms": null, "url": null }),
        Some(link) => json!({
            "status": if link.is_up() { "up" } else { "down" },
            "latency_ms": link.latency().filter(|_| link.is_up()).map(|d| d.as_micros() as f64 / 1000.0),
            "url": link.redacted_url(),
        }),
    }
}

/// The number of documented API operations plus these three health routes.
fn route_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let doc = crate::openapi::ApiDoc::openapi();
        let operations: usize = doc
            .paths
            .paths
            .values()
            .map(|item| {
                [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                    .iter()
                    .filter(|op| op.is_some())
                    .count()
            })
            .sum();
        operations + 3
    })
}
