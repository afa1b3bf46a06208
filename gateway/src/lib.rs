//! The moodtracker HTTP API gateway: auth, journal, predictions and self-assessments over
//! axum, with SQLite or PostgreSQL storage and a gRPC client of the inference service.
//!
//! [`run`] serves on a bound listener until a shutdown future resolves; `main` binds
//! `HOST:PORT` and passes SIGTERM/Ctrl-C, tests bind port 0. [`app`] builds the router with no
//! socket, for `oneshot` tests.
//!
//! Extension points:
//! - a route module: add `pub mod x;` in `routes/mod.rs` and one `.merge(x::router())` in
//!   `routes::router`; handlers take `State<AppState>`, `AuthUser` and return
//!   `ApiResult<impl IntoResponse>`.
//! - shared state: fields of [`platform::Platform`] (see that module).
//! - a table: a migration in both `migrations/sqlite` and `migrations/postgres` (see [`store`]).
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod audit;
pub mod auth;
pub mod cache;
pub mod config;
pub mod domain;
pub mod drain;
pub mod error;
pub mod extract;
pub mod hardening;
pub mod health;
pub mod inference;
pub mod limit;
pub mod metrics;
pub mod oauth;
pub mod openapi;
pub mod platform;
pub mod redis_link;
pub mod routes;
pub mod scoring;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;

use std::{future::Future, net::SocketAddr};

use axum::Router;
use tokio::net::TcpListener;

pub use config::Config;
pub use error::{ApiError, ApiResult};
pub use state::AppState;

/// Why the gateway could not start (or stopped serving).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Names the variable and what was tried, never the URL (it may hold a password).
    #[error(
        "cannot connect to the {backend} database that DATABASE_URL names (tried for {} s): {cause}",
        store::CONNECT_TIMEOUT.as_secs()
    )]
    Database {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        #[source]
        cause: sqlx::Error,
    },
    #[error("database migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Inference(#[from] inference::InferenceError),
    #[error("{0}")]
    Platform(String),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// The whole HTTP application for `state`: every module's routes and the web app's pages, the
/// platform's layers (so rate limits apply to both), the web app's HTML error pages, then
/// hardening (CORS, security headers, body limit, the JSON error envelope).
pub fn app(state: AppState) -> Router {
    let routes = routes::router(&state)
        .merge(web::router(&state))
        .with_state(state.clone());
    let routes = state.platform.layers(routes);
    hardening::harden(routes, &state.config)
}

/// Builds the state, starts the background tasks and serves `listener` until `shutdown`
/// resolves; then readiness fails at once and in-flight requests get `SHUTDOWN_GRACE_SECS` to
/// finish.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    tracing::info!(config = ?config, "effective configuration");
    let state = AppState::build(&config).await?;
    scoring::spawn_rescorer(state.clone());
    state.platform.spawn_background(&state);
    let lifecycle = state.lifecycle.clone();
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    tracing::info!(addr = %listener.local_addr()?, "gateway listening");
    lifecycle.mark_ready();
    let drain = lifecycle.clone();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutdown requested: draining");
        drain.start_drain();
    });
    let deadline = async {
        lifecycle.draining().await;
        tokio::time::sleep(config.shutdown_grace).await;
    };
    tokio::select! {
        served = server => served?,
        () = deadline => tracing::warn!("drain deadline passed; closing remaining connections"),
    }
    Ok(())
}
