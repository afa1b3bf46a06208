//! The probes themselves: the database and the inference service, each bounded by a timeout.
//!
//! Inference is probed over its own lazily connected channel rather than the handlers' client,
//! so a probe never queues behind (or competes with) user traffic, and the standard
//! `grpc.health.v1` service tells "up but models not loaded" (`NOT_SERVING`) from "down".

use std::time::{Duration, Instant};

use moodtracker_proto::inference::v1::{
    ListModelsRequest, ModelKind, SERVICE_NAME, inference_client::InferenceClient,
};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use super::{Component, ModelHealth, Snapshot};
use crate::store::Db;

/// Longest a single probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// What the probe loop checks.
#[derive(Debug, Clone)]
pub struct Probes {
    db: Db,
    channel: Channel,
}

impl Probes {
    /// Probes for `db` and the inference service at `inference_url` (connecting lazily).
    pub fn new(
        db: Db,
        inference_url: &str,
        connect_timeout: Duration,
    ) -> Result<Self, tonic::transport::Error> {
        let channel = Endpoint::from_shared(inference_url.to_owned())?
            .connect_timeout(connect_timeout)
            .timeout(PROBE_TIMEOUT)
            .connect_lazy();
        Ok(Self { db, channel })
    }

    /// One round of every probe, concurrently.
    pub async fn round(&self) -> Snapshot {
        let (database, (inference, models)) = tokio::join!(self.database(), self.inference());
        crate::metrics::record_db_pool(self.db.pool().size(), self.db.pool().num_idle());
        Snapshot {
            checked_at: Some(chrono::Utc::now()),
            database,
            inference,
            models,
        }
    }

    async fn database(&self) -> Component {
        let started = Instant::now();
        match tokio::time::timeout(PROBE_TIMEOUT, self.db.ping()).await {
            Ok(Ok(())) => up("up", started),
            Ok(Err(e)) => down("down", format!("database error: {}", kind_of(&e))),
            Err(_) => down("down", "database probe timed out".into()),
        }
    }

    async fn inference(&self) -> (Component, Vec<ModelHealth>) {
        let started = Instant::now();
        let mut client = HealthClient::new(self.channel.clone());
        let check = client.check(HealthCheckRequest {
            service: SERVICE_NAME.to_owned(),
        });
        let status = match tokio::time::timeout(PROBE_TIMEOUT, check).await {
            Ok(Ok(reply)) => reply.into_inner().status(),
            Ok(Err(status)) => return (unreachable(&status), Vec::new()),
            Err(_) => {
                return (
                    down("unreachable", "health check timed out".into()),
                    Vec::new(),
                );
            }
        };
        if status != ServingStatus::Serving {
            let component = down(
                "not_serving",
                format!("inference reports {}", status.as_str_name()),
            );
            return (component, Vec::new());
        }
        let component = up("serving", started);
        (component, self.models().await)
    }

    async fn models(&self) -> Vec<ModelHealth> {
        let mut client = InferenceClient::new(self.channel.clone());
        let call = client.list_models(ListModelsRequest {});
        let Ok(Ok(reply)) = tokio::time::timeout(PROBE_TIMEOUT, call).await else {
            return Vec::new();
        };
        reply
            .into_inner()
            .models
            .into_iter()
            .filter_map(|m| {
                let kind = match m.kind() {
                    ModelKind::Roberta => "roberta",
                    ModelKind::Lstm => "lstm",
                    ModelKind::Unspecified => return None,
                };
                Some(ModelHealth {
                    kind,
                    name: m.name,
                    version: m.version,
                    device: m.device,
                    architecture: m.architecture,
                })
            })
            .collect()
    }
}

fn up(status: &'static str, started: Instant) -> Component {
    Component {
        status,
        latency_ms: Some(millis(started.elapsed())),
        error: None,
    }
}

fn down(status: &'static str, error: String) -> Component {
    Component {
        status,
        latency_ms: None,
        error: Some(error),
    }
}

fn unreachable(status: &tonic::Status) -> Component {
    down("unreachable", format!("gRPC {:?}", status.code()))
}

/// The error's kind only: sqlx messages can carry the connection URL.
fn kind_of(err: &sqlx::Error) -> &'static str {
    match err {
        sqlx::Error::PoolTimedOut => "pool timed out",
        sqlx::Error::PoolClosed => "pool closed",
        sqlx::Error::Io(_) => "I/O error",
        sqlx::Error::Tls(_) => "TLS error",
        sqlx::Error::Database(_) => "database refused the query",
        _ => "query failed",
    }
}

/// Milliseconds with microsecond precision.
pub fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}
