//! Background health probes whose latest results are published on a `watch` channel, so
//! `/api/health` reads a snapshot and never fans out to the database or inference.
//!
//! The probe loop runs every [`PROBE_INTERVAL`] until the shutdown drain starts: one database
//! round trip, and against inference the standard `grpc.health.v1.Health/Check` of
//! `moodtracker.inference.v1.Inference` plus `ListModels` (names and versions). Redis is not
//! probed here: [`crate::redis_link::RedisLink`] already pings it and keeps its latency.

mod probes;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

pub use probes::Probes;

/// How often the probes run.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// The state of one dependency at the latest probe.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Component {
    /// `up`, `down`, or for inference `serving`, `not_serving`, `unreachable`.
    pub status: &'static str,
    /// Round-trip time of the probe, when it answered.
    pub latency_ms: Option<f64>,
    /// Why it is not up, in words safe to show (no addresses with credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Component {
    /// Not probed yet.
    pub fn unknown() -> Self {
        Self {
            status: "unknown",
            latency_ms: None,
            error: None,
        }
    }

    /// Whether the dependency answered and can serve.
    pub fn is_up(&self) -> bool {
        matches!(self.status, "up" | "serving")
    }
}

/// One model as the inference service lists it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelHealth {
    /// `roberta` or `lstm`.
    pub kind: &'static str,
    /// The model's name.
    pub name: String,
    /// The weights' version (a hash); caches key on it.
    pub version: String,
    /// Where it runs (`cpu`, `cuda:0`).
    pub device: String,
    /// The architecture, as the service reports it.
    pub architecture: String,
}

/// Everything the probes learned in one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// When the round finished (`None` before the first).
    pub checked_at: Option<DateTime<Utc>>,
    /// `SELECT 1` against the pool.
    pub database: Component,
    /// The gRPC health check of the inference service.
    pub inference: Component,
    /// The loaded models (empty when inference is unreachable).
    pub models: Vec<ModelHealth>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            checked_at: None,
            database: Component::unknown(),
            inference: Component::unknown(),
            models: Vec::new(),
        }
    }
}

impl Snapshot {
    /// Whether a model of `kind` (`roberta`, `lstm`) is loaded.
    pub fn has_model(&self, kind: &str) -> bool {
        self.models.iter().any(|m| m.kind == kind)
    }
}

/// The latest snapshot, cheap to clone into every request.
#[derive(Debug, Clone)]
pub struct HealthWatch {
    rx: watch::Receiver<Snapshot>,
}

impl HealthWatch {
    /// The latest results; no I/O.
    pub fn latest(&self) -> Snapshot {
        self.rx.borrow().clone()
    }

    /// A watch that always reports `snapshot` (for tests of the report).
    pub fn fixed(snapshot: Snapshot) -> Self {
        Self {
            rx: watch::channel(snapshot).1,
        }
    }
}

/// Runs one probe round now, then returns the watch and the loop to spawn. The first round is
/// awaited so the report is meaningful from the first request (each probe is time-bounded).
pub async fn start(probes: Probes) -> (HealthWatch, impl Future<Output = ()>) {
    let (tx, rx) = watch::channel(probes.round().await);
    let run = async move {
        loop {
            tokio::time::sleep(PROBE_INTERVAL).await;
            let snapshot = probes.round().await;
            if tx.send(snapshot).is_err() {
                return;
            }
        }
    };
    (HealthWatch { rx }, run)
}
