//! The moodtracker inference service: RoBERTa and LSTM text classifiers on candle, served over
//! gRPC with health, reflection, batching and admission control, through the native API and the
//! Open Inference Protocol v2 on the same port.
//!
//! [`run`] is the whole service: it serves health at once, loads and warms the models, flips
//! readiness, and on shutdown flips it back, drains in-flight calls with a deadline and returns.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub mod batch;
pub mod config;
mod error;
pub mod explain;
pub mod grpc;
pub mod metrics;
pub mod model;
pub mod oip;
mod stats;
pub mod telemetry;

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

pub use config::Config;
pub use error::Error;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    batch::Models,
    grpc::{InferenceService, Readiness},
    oip::OipService,
};

/// Serves gRPC on `grpc_listener` and Prometheus on `metrics_listener` until `shutdown`
/// resolves, then drains. Returns an error when a model fails to load or a server fails.
pub async fn run(
    config: Config,
    grpc_listener: TcpListener,
    metrics_listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    let grpc_addr = local_addr(&grpc_listener)?;
    let metrics_addr = local_addr(&metrics_listener)?;
    // Tests bind port 0 and read the bound addresses from this line.
    tracing::info!(?config, %grpc_addr, %metrics_addr, "starting");
    let (readiness, health) = Readiness::new().await;
    let models = Arc::new(OnceLock::new());
    let service = InferenceService::new(models.clone(), config.limits);
    let oip = OipService::new(service.clone(), readiness.subscribe());
    let (stop, stopped) = watch::channel(false);
    let mut grpc = tokio::spawn(grpc::serve(
        grpc_listener,
        service,
        oip,
        health,
        signalled(stopped.clone()),
    ));
    let metrics = tokio::spawn(metrics::serve(
        metrics_listener,
        metrics::install(),
        signalled(stopped),
    ));
    let started = tokio::select! {
        started = start(&config, &models, &readiness, shutdown) => started,
        joined = &mut grpc => return flatten(joined).and(Err(Error::Internal("the gRPC server stopped".into()))),
    };
    readiness.draining().await;
    let _ = stop.send(true);
    let drained = drain(grpc, config.drain_timeout).await;
    if let Err(e) = flatten(metrics.await) {
        tracing::warn!(error = %e, "metrics server");
    }
    started.and(drained)
}

/// Binds a listener, naming the setting in the error.
pub async fn bind(addr: SocketAddr, setting: &str) -> Result<TcpListener, Error> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Config(format!("{setting}={addr}: cannot bind: {e}")))
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr, Error> {
    listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("listener address: {e}")))
}

/// Loads the models and latches readiness, then waits for `shutdown`; a signal that arrives
/// while the models load ends the wait too.
async fn start(
    config: &Config,
    models: &OnceLock<Models>,
    readiness: &Readiness,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    tokio::pin!(shutdown);
    let load = async {
        tokio::time::sleep(config.load_delay).await;
        let _ = models.set(Models::load(config).await?);
        readiness.ready().await;
        Ok::<_, Error>(())
    };
    tokio::select! {
        () = &mut shutdown => return Ok(()),
        loaded = load => loaded?,
    }
    shutdown.await;
    tracing::info!("shutdown signal received");
    Ok(())
}

/// Waits for in-flight calls up to `deadline`; past it they are abandoned, and the service
/// still exits cleanly (the orchestrator's kill would follow anyway).
async fn drain(mut grpc: JoinHandle<Result<(), Error>>, deadline: Duration) -> Result<(), Error> {
    let started = Instant::now();
    match tokio::time::timeout(deadline, &mut grpc).await {
        Ok(joined) => {
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "drained");
            flatten(joined)
        }
        Err(_) => {
            tracing::warn!(
                deadline_secs = deadline.as_secs(),
                "drain deadline passed; abandoning in-flight calls"
            );
            grpc.abort();
            Ok(())
        }
    }
}

async fn signalled(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens once `run` has returned anyway.
    let _ = stopped.wait_for(|stop| *stop).await;
}

fn flatten(joined: Result<Result<(), Error>, tokio::task::JoinError>) -> Result<(), Error> {
    joined.map_err(|e| Error::Internal(format!("server task: {e}")))?
}
