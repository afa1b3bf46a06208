//! Health endpoints: `/livez` (the process answers), `/readyz` (start-up complete, not
//! draining, database reachable) and `/api/health` (the contract's simple keys).
//!
//! A minimal first version from the core; the platform work replaces `/api/health` with the
//! cached, probe-fed report.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

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

/// 200 once start-up is complete and the database answers; 503 while starting or draining.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let ready = state.lifecycle.is_ready() && state.db.ping().await.is_ok();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "status": if ready { "ready" } else { "not_ready" } })),
    )
}

/// The contract's simple keys, with a real status.
async fn health(State(state): State<AppState>) -> Json<Value> {
    let models = state.inference.models().await.unwrap_or_default();
    let loaded = |m| models.iter().any(|d| d.model == m);
    let roberta = loaded(crate::inference::Model::Roberta);
    let lstm = loaded(crate::inference::Model::Lstm);
    let db = state.db.ping().await.is_ok();
    let status = if db && (roberta || lstm) {
        "healthy"
    } else {
        "degraded"
    };
    Json(json!({ "status": status, "roberta_loaded": roberta, "lstm_loaded": lstm }))
}
