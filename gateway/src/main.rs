//! `moodtracker-gateway`: reads configuration, sets up telemetry and serves until SIGTERM.
//!
//! Configuration errors (including production's safety checks) end the process with status 2
//! before any port is bound.

use std::process::ExitCode;

use moodtracker_gateway::{Config, platform, run};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_iter(std::env::vars()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("moodtracker-gateway: {err}");
            return ExitCode::from(2);
        }
    };
    platform::init_telemetry(&config);
    let listener = match TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!(addr = %config.listen, %err, "cannot bind");
            return ExitCode::FAILURE;
        }
    };
    match run(config, listener, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(%err, "gateway stopped");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM (Kubernetes) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => drop(signal.recv().await),
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
