//! Extension point for the platform work: rate limiting, the model-result cache, health
//! probes, metrics and telemetry plug in here without touching the core.
//!
//! - [`Platform::build`] runs inside `AppState::build` (after migrations): create Redis clients,
//!   limiters, caches and probe state here and keep them as fields.
//! - [`Platform::wrap_inference`] may decorate the inference client (trace injection).
//! - [`Platform::layers`] wraps the whole API router: route-level rate-limit rules key on the
//!   method and `axum::extract::MatchedPath` (for example `POST /api/auth/login`), available in
//!   request extensions there because the layers run after routing.
//! - [`Platform::spawn_background`] starts background tasks (health probes); they should stop
//!   when `state.lifecycle.draining()` resolves.
//! - [`init_telemetry`] installs the global tracing subscriber (called by `main` only).

use axum::Router;

use crate::{StartError, config::Config, inference::InferenceClient, state::AppState, store::Db};

/// Platform services shared by every request. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Platform {}

impl Platform {
    pub async fn build(
        _config: &Config,
        _db: &Db,
        _inference: &InferenceClient,
    ) -> Result<Self, StartError> {
        Ok(Self {})
    }

    /// The inference client every handler uses.
    pub fn wrap_inference(&self, client: InferenceClient) -> InferenceClient {
        client
    }

    /// Layers around the API routes (inside CORS, security headers and the error envelope).
    pub fn layers(&self, router: Router) -> Router {
        router
    }

    /// Starts the platform's background tasks.
    pub fn spawn_background(&self, _state: &AppState) {}
}

/// Installs the global tracing subscriber: `LOG_LEVEL` as the filter, `LOG_FORMAT` json or text.
pub fn init_telemetry(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match config.log_format.as_str() {
        "json" => builder.json().try_init(),
        _ => builder.try_init(),
    };
    // A second initialisation (tests starting several gateways) keeps the first subscriber.
    drop(result);
}
