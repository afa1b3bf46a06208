//! The state every handler shares, built once by [`AppState::build`].
//!
//! Each field is cheap to clone (an `Arc` or a pool handle), so `AppState` itself is cloned
//! into every request. Platform concerns (rate limiter, cache, health probes, metrics) live in
//! [`Platform`], built inside [`AppState::build`]; add new platform fields there, not here.

use std::sync::Arc;

use tokio::sync::{Notify, watch};

use crate::{
    StartError,
    auth::JwtKeys,
    config::Config,
    inference::InferenceClient,
    platform::Platform,
    store::{Backend, Db},
};

/// Shared state of the gateway.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The database (SQLite or PostgreSQL): `state.db.pool()` for reads, `state.db.writer()` for writes.
    pub db: Db,
    /// Access-token signing and verification.
    pub jwt: Arc<JwtKeys>,
    /// The typed gRPC client of the inference service.
    pub inference: InferenceClient,
    /// Readiness latch and shutdown signal.
    pub lifecycle: Lifecycle,
    /// Wakes the pending-entry scorer as soon as an entry is saved unscored, instead of
    /// waiting for its next tick.
    pub rescore: Arc<Notify>,
    /// Rate limiting, caching, health probes, metrics (the platform work's extension point).
    pub platform: Platform,
}

impl AppState {
    /// Connects the database and runs its migrations, creates the inference client (which
    /// connects lazily) and the platform services.
    pub async fn build(config: &Config) -> Result<Self, StartError> {
        let db = Db::connect(
            config.database_url_or_default(),
            config.database_max_connections,
        )
        .await
        .map_err(|cause| StartError::Database {
            backend: Backend::of_url(config.database_url_or_default()).as_str(),
            cause,
        })?;
        db.migrate().await?;
        let inference = InferenceClient::with_resolver(
            &config.inference_url,
            config.inference_connect_timeout,
            config.inference_timeout,
            config.inference_resolve_interval,
            crate::inference::dns_resolver(),
        )?;
        let platform = Platform::build(config, &db, &inference).await?;
        Ok(Self {
            config: Arc::new(config.clone()),
            jwt: Arc::new(JwtKeys::new(
                config.jwt_secret.expose().as_bytes(),
                config.access_token_ttl,
            )),
            inference: platform.wrap_inference(inference),
            db,
            lifecycle: Lifecycle::new(),
            rescore: Arc::new(Notify::new()),
            platform,
        })
    }
}

/// The process's phases: starting, ready, draining. `/readyz` reads [`Lifecycle::is_ready`];
/// background tasks stop when [`Lifecycle::draining`] fires.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    // `watch` rather than atomics: background tasks can await the change instead of polling.
    ready: Arc<watch::Sender<bool>>,
    draining: Arc<watch::Sender<bool>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    pub fn new() -> Self {
        Self {
            ready: Arc::new(watch::channel(false).0),
            draining: Arc::new(watch::channel(false).0),
        }
    }

    /// Start-up is complete (migrations ran, the listener is serving).
    pub fn mark_ready(&self) {
        self.ready.send_replace(true);
    }

    /// A shutdown began: readiness fails from now on and background tasks stop.
    pub fn start_drain(&self) {
        self.draining.send_replace(true);
    }

    /// Ready and not draining.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow() && !*self.draining.borrow()
    }

    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves when a shutdown begins (at once if it already has).
    pub async fn draining(&self) {
        let mut rx = self.draining.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail while we wait.
        let _ = rx.wait_for(|draining| *draining).await;
    }
}
