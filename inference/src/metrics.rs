//! Prometheus metrics, every name prefixed `moodtracker_inference_`, served at `/metrics` on the
//! metrics listener by a tiny axum app.
//!
//! The recorder is process-global (the `metrics` facade allows one), so [`install`] is
//! idempotent: a test process that runs the service twice shares one registry.

use std::{future::Future, sync::OnceLock, time::Duration};

use axum::{Router, extract::State, routing::get};
use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::{Error, model::Kind};

pub const REQUESTS: &str = "moodtracker_inference_requests_total";
pub const REQUEST_SECONDS: &str = "moodtracker_inference_request_duration_seconds";
pub const TOKENIZE_SECONDS: &str = "moodtracker_inference_tokenize_duration_seconds";
pub const QUEUE_SECONDS: &str = "moodtracker_inference_queue_duration_seconds";
pub const FORWARD_SECONDS: &str = "moodtracker_inference_forward_duration_seconds";
pub const BATCH_SIZE: &str = "moodtracker_inference_batch_size";
pub const BATCH_TOKENS: &str = "moodtracker_inference_batch_padded_tokens";
pub const QUEUE_DEPTH: &str = "moodtracker_inference_queue_depth";
pub const IN_FLIGHT: &str = "moodtracker_inference_in_flight_requests";
pub const REJECTED: &str = "moodtracker_inference_rejected_requests_total";

/// Latency buckets from 0.5 ms to 10 s: a tiny LSTM batch and a long RoBERTa batch on CPU.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BATCH_SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
const TOKEN_BUCKETS: &[f64] = &[16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder once and describes every metric.
pub fn install() -> PrometheusHandle {
    HANDLE.get_or_init(build).clone()
}

fn build() -> PrometheusHandle {
    let buckets = |builder: PrometheusBuilder, matcher: Matcher, values: &[f64]| {
        builder
            .set_buckets_for_metric(matcher, values)
            .expect("bucket lists are non-empty constants")
    };
    let builder = PrometheusBuilder::new();
    let builder = buckets(builder, Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS);
    let builder = buckets(
        builder,
        Matcher::Full(BATCH_SIZE.into()),
        BATCH_SIZE_BUCKETS,
    );
    let builder = buckets(builder, Matcher::Full(BATCH_TOKENS.into()), TOKEN_BUCKETS);
    let handle = builder
        .install_recorder()
        .expect("no other metrics recorder is installed in this process");
    describe();
    handle
}

fn describe() {
    describe_counter!(
        REQUESTS,
        "Inference RPCs answered, by api (native or oip), rpc, method (classify, explain, list_models), model and gRPC code."
    );
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "Inference RPC latency, by api, rpc and method."
    );
    describe_histogram!(
        TOKENIZE_SECONDS,
        Unit::Seconds,
        "Time spent tokenizing a request."
    );
    describe_histogram!(
        QUEUE_SECONDS,
        Unit::Seconds,
        "Time a request waited for its batch."
    );
    describe_histogram!(
        FORWARD_SECONDS,
        Unit::Seconds,
        "Duration of one batched forward pass."
    );
    describe_histogram!(BATCH_SIZE, "Texts in one forward pass, by model.");
    describe_histogram!(
        BATCH_TOKENS,
        "Padded tokens (texts x longest) in one forward pass."
    );
    describe_gauge!(
        QUEUE_DEPTH,
        "Requests queued for a model's batcher, by model."
    );
    describe_gauge!(
        IN_FLIGHT,
        "Admitted requests not yet answered (bounded by max queue)."
    );
    describe_counter!(
        REJECTED,
        "Requests refused with RESOURCE_EXHAUSTED (overloaded)."
    );
    // Present from the first scrape, so an alert on its rate has a series to read.
    counter!(REJECTED).absolute(0);
}

/// The `model` label value.
pub fn model_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Roberta => "roberta",
        Kind::Lstm => "lstm",
    }
}

/// The `method` label: what an RPC asked the models to do, so dashboards can split explanations
/// (a pass over every word's variant) from classifications whichever RPC carried them.
fn method(rpc: &str) -> &'static str {
    match rpc {
        "Explain" => "explain",
        "ListModels" => "list_models",
        _ => "classify",
    }
}

/// The `api` label: which protocol a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `moodtracker.inference.v1.Inference`.
    Native,
    /// The Open Inference Protocol, `inference.GRPCInferenceService`.
    Oip,
}

impl Api {
    fn label(self) -> &'static str {
        match self {
            Api::Native => "native",
            Api::Oip => "oip",
        }
    }
}

/// Counts one answered RPC under each model it asked for (`none` when it named no valid one).
pub fn record_request(
    api: Api,
    rpc: &'static str,
    models: &[Kind],
    code: tonic::Code,
    elapsed: Duration,
) {
    let api = api.label();
    let method = method(rpc);
    // gRPC's own spelling of the codes ("OK", "InvalidArgument"), as grpc-go's metrics use.
    let code = match code {
        tonic::Code::Ok => "OK".to_string(),
        other => format!("{other:?}"),
    };
    let names: Vec<&'static str> = match models {
        [] => vec!["none"],
        kinds => kinds.iter().map(|k| model_label(*k)).collect(),
    };
    for model in names {
        let labels = [
            ("api", api.to_string()),
            ("rpc", rpc.to_string()),
            ("method", method.to_string()),
            ("model", model.to_string()),
            ("code", code.clone()),
        ];
        counter!(REQUESTS, &labels).increment(1);
    }
    histogram!(REQUEST_SECONDS, "api" => api, "rpc" => rpc, "method" => method)
        .record(elapsed.as_secs_f64());
}

/// Serves `GET /metrics` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    axum::serve(listener, router(handle))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::Internal(format!("metrics server: {e}")))
}

fn router(handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(handle)
}

async fn scrape(State(handle): State<PrometheusHandle>) -> String {
    // Upkeep drains histogram samples recorded since the last scrape into their buckets.
    handle.run_upkeep();
    handle.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_scrape_names_each_metric_with_its_help_text() {
        let handle = install();
        metrics::counter!(REJECTED).increment(1);
        histogram!(FORWARD_SECONDS, "model" => "lstm").record(0.01);
        let request = axum::http::Request::get("/metrics")
            .body(Body::empty())
            .unwrap();
        let response = router(handle).oneshot(request).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(text.contains("# HELP moodtracker_inference_rejected_requests_total"));
        assert!(text.contains("moodtracker_inference_forward_duration_seconds_bucket"));
    }
}
