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

mod wire;

pub use wire::{Database, Details, HealthReport, MlModels, RateLimit, Redis, Services, Storage};

use crate::health::Snapshot;
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
#[utoipa::path(get, path = "/api/health", tag = "health",
    responses((status = 200, body = HealthReport, description = "Healthy or degraded"),
              (status = 503, body = HealthReport, description = "Unhealthy: the database is down")))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthReport>) {
    let started = Instant::now();
    let snapshot = state.platform.health.latest();
    let mut report = report(&state, &snapshot);
    report.response_time_ms = started.elapsed().as_micros() as f64 / 1000.0;
    let code = match report.status {
        "unhealthy" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    (code, Json(report))
}

fn report(state: &AppState, snapshot: &Snapshot) -> HealthReport {
    let platform = &state.platform;
    let redis = redis_report(state);
    let (cache_storage, cache_degraded) = platform.cache.status();
    let limiter = &platform.rate_limit.limiter;
    let (limit_storage, limit_degraded) = limiter.storage_status();
    let roberta = snapshot.has_model("roberta");
    let lstm = snapshot.has_model("lstm");
    let degraded = |yes: bool| if yes { "degraded" } else { "up" };
    let services = Services {
        ml_models: MlModels {
            status: if roberta || lstm { "up" } else { "down" },
            roberta,
            lstm,
        },
        inference: snapshot.inference.clone(),
        database: Database {
            probe: snapshot.database.clone(),
            backend: state.db.backend().as_str(),
        },
        cache: Storage {
            status: degraded(cache_degraded),
            storage: cache_storage,
            default_timeout: state.config.cache_default_timeout.as_secs(),
        },
        rate_limit: RateLimit {
            status: degraded(limit_degraded),
            storage: limit_storage,
            enabled: state.config.ratelimit_enabled,
        },
        redis,
    };
    HealthReport {
        status: overall(
            snapshot,
            roberta && lstm,
            services.redis.status == "down" || cache_degraded || limit_degraded,
        ),
        roberta_loaded: roberta,
        lstm_loaded: lstm,
        timestamp: crate::store::now(),
        version: env!("CARGO_PKG_VERSION"),
        environment: state.config.environment.as_str(),
        uptime_seconds: platform.started.elapsed().as_secs(),
        route_count: route_count(),
        models: snapshot.models.clone(),
        services,
        details: Details {
            checked_at: snapshot.checked_at,
            probe_interval_ms: crate::health::PROBE_INTERVAL.as_millis() as u64,
        },
        response_time_ms: 0.0,
    }
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

/// Redis as the shared link sees it: status, latest ping latency and the URL without password.
fn redis_report(state: &AppState) -> Redis {
    match &state.platform.redis {
        None => Redis {
            status: "not_configured",
            latency_ms: None,
            url: None,
        },
        Some(link) => Redis {
            status: if link.is_up() { "up" } else { "down" },
            latency_ms: link
                .latency()
                .filter(|_| link.is_up())
                .map(|d| d.as_micros() as f64 / 1000.0),
            url: Some(link.redacted_url().to_owned()),
        },
    }
}

/// The number of documented API operations (this report among them) plus `/livez` and
/// `/readyz`.
fn route_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let doc = crate::openapi::document();
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
        operations + 2
    })
}
