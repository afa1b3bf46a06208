//! `moodtracker-inference`: reads configuration, sets up telemetry, binds, and serves until
//! SIGTERM or Ctrl-C. Exits non-zero, with the reason on stderr, when the configuration is bad
//! or a model cannot be loaded.

use std::process::ExitCode;

use moodtracker_inference::{Config, Error, bind, run, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    // Non-UTF-8 variables cannot be ours; skip them rather than panic in `env::vars`.
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let config = match Config::from_iter(vars) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    let telemetry = match telemetry::init(&config) {
        Ok(telemetry) => telemetry,
        Err(e) => return fail(&e),
    };
    let result = serve(config).await;
    // Flushing blocks until the exporter task (on the runtime) is done: off the runtime's threads.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped");
            fail(&e)
        }
    }
}

async fn serve(config: Config) -> Result<(), Error> {
    let threads = moodtracker_kernels::init_threads(config.threads);
    // Before any model loads: dense layers pack their weights for the kernel this allows.
    moodtracker_kernels::cap_isa(config.cpu_isa);
    let isa = moodtracker_kernels::isa_in_use();
    tracing::info!(
        threads,
        isa,
        "compute threads and instruction set for CPU forward passes"
    );
    let grpc = bind(config.grpc_addr, "INFERENCE_GRPC_ADDR").await?;
    let metrics = bind(config.metrics_addr, "INFERENCE_METRICS_ADDR").await?;
    run(config, grpc, metrics, shutdown_signal()).await
}

fn fail(e: &Error) -> ExitCode {
    eprintln!("moodtracker-inference: {e}");
    ExitCode::FAILURE
}

/// Resolves on SIGTERM (Kubernetes) or Ctrl-C (a terminal).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => drop(sigterm.recv().await),
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
