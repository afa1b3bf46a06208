//! The response of `GET /api/health`: the original's enhanced report plus the contract's
//! simple keys (`status`, `roberta_loaded`, `lstm_loaded`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::health::{Component, ModelHealth};

/// `GET /api/health`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    /// `healthy`; `degraded` without a model, inference or a configured Redis; `unhealthy`
    /// (503) without the database.
    pub status: &'static str,
    pub roberta_loaded: bool,
    pub lstm_loaded: bool,
    pub timestamp: String,
    pub version: &'static str,
    /// `APP_ENV`.
    pub environment: &'static str,
    pub uptime_seconds: u64,
    /// Documented API operations plus `/livez` and `/readyz`.
    pub route_count: usize,
    pub models: Vec<ModelHealth>,
    pub services: Services,
    pub details: Details,
    /// Time spent building this report.
    pub response_time_ms: f64,
}

/// Each dependency's state at the latest probe.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Services {
    pub ml_models: MlModels,
    pub inference: Component,
    pub database: Database,
    pub redis: Redis,
    pub cache: Storage,
    pub rate_limit: RateLimit,
}

/// Whether any model is loaded (`up`), and which.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MlModels {
    pub status: &'static str,
    pub roberta: bool,
    pub lstm: bool,
}

/// The database probe and its kind.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Database {
    #[serde(flatten)]
    pub probe: Component,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
}

/// Redis as the shared link sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Redis {
    /// `up`, `down` or `not_configured`.
    pub status: &'static str,
    pub latency_ms: Option<f64>,
    /// The URL without its password; null when not configured.
    pub url: Option<String>,
}

/// The result cache.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Storage {
    /// `up` or `degraded` (Redis lost, serving from memory).
    pub status: &'static str,
    /// `redis`, `memory` or `disabled`.
    pub storage: String,
    /// Seconds a result is kept.
    pub default_timeout: u64,
}

/// The rate limiter.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimit {
    /// `up` or `degraded` (Redis lost: the fail mode applies).
    pub status: &'static str,
    pub storage: String,
    pub enabled: bool,
}

/// When the probes last ran, and how often they run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Details {
    #[schema(value_type = Option<String>, format = DateTime)]
    pub checked_at: Option<DateTime<Utc>>,
    pub probe_interval_ms: u64,
}
