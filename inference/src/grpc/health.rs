//! Readiness as a latch over `grpc.health.v1.Health`: the overall service `""` is SERVING while
//! the process runs; `moodtracker.inference.v1.Inference` is NOT_SERVING until the models are
//! loaded and warm, then SERVING, then NOT_SERVING for good when the drain starts.
//!
//! The same latch is also published on a `watch` channel, so the Open Inference Protocol's
//! `ServerReady` answers from exactly the state the health service reports.

use moodtracker_proto::inference::v1::SERVICE_NAME;
use tokio::sync::watch;
use tonic_health::{
    ServingStatus,
    pb::health_server::{Health, HealthServer},
    server::{HealthReporter, health_reporter},
};

/// The writer side of the health service.
#[derive(Debug, Clone)]
pub struct Readiness {
    reporter: HealthReporter,
    /// `true` exactly while the health service reports the inference service SERVING.
    ready: watch::Sender<bool>,
}

impl Readiness {
    /// The health service to mount, with the inference service registered as NOT_SERVING.
    pub async fn new() -> (Self, HealthServer<impl Health>) {
        let (reporter, server) = health_reporter();
        reporter
            .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
            .await;
        let (ready, _) = watch::channel(false);
        (Self { reporter, ready }, server)
    }

    /// Follows the latch: `true` once ready, `false` again from the start of the drain.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    pub async fn ready(&self) {
        self.reporter
            .set_service_status(SERVICE_NAME, ServingStatus::Serving)
            .await;
        self.ready.send_replace(true);
        tracing::info!(service = SERVICE_NAME, "ready: health is SERVING");
    }

    /// Publishes NOT_SERVING to every `Check` and `Watch` caller, then unregisters both
    /// services: that ends open `Watch` streams (after they deliver NOT_SERVING), which would
    /// otherwise hold the graceful drain open until its deadline.
    pub async fn draining(mut self) {
        self.ready.send_replace(false);
        self.reporter
            .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
            .await;
        tracing::info!(service = SERVICE_NAME, "draining: health is NOT_SERVING");
        self.reporter.clear_service_status(SERVICE_NAME).await;
        self.reporter.clear_service_status("").await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The latch's `watch` side (the Open Inference Protocol's `ServerReady`) flips with the
    /// health status: not ready, ready, and not ready again once draining.
    #[tokio::test]
    async fn the_watched_latch_flips_with_ready_and_draining() {
        let (readiness, _health) = Readiness::new().await;
        let latch = readiness.subscribe();
        assert!(!*latch.borrow());

        readiness.ready().await;
        assert!(*latch.borrow());

        readiness.draining().await;
        assert!(!*latch.borrow());
    }
}
