//! Prometheus metrics, every name prefixed `moodtracker_inference_`, served at `/metrics` on the
//! metrics listener by a tiny axum app.
//!
//! The metrics live in one `prometheus::Registry` behind a process-global [`METRICS`]: the
//! batcher's threads and the gRPC handlers record without threading a handle through every
//! constructor, and a test process that runs the service twice shares one registry, as it
//! shared the `metrics` facade's single recorder before.

use std::{future::Future, sync::LazyLock, time::Duration};

use axum::{Router, extract::State, routing::get};
use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use tokio::net::TcpListener;

use crate::{Error, model::Kind};

/// Latency buckets from 0.5 ms to 10 s: a tiny LSTM batch and a long RoBERTa batch on CPU.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BATCH_SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
const TOKEN_BUCKETS: &[f64] = &[16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0];

/// Every metric the service records, registered once in the process.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::register);

/// The service's metrics, typed, with the registry that serves them.
pub struct Metrics {
    registry: Registry,
    /// By `api`, `rpc`, `method`, `model` and `code`.
    pub requests: IntCounterVec,
    /// By `api`, `rpc` and `method`.
    pub request_seconds: HistogramVec,
    /// These five by `model`.
    pub tokenize_seconds: HistogramVec,
    pub queue_seconds: HistogramVec,
    pub forward_seconds: HistogramVec,
    pub batch_size: HistogramVec,
    pub batch_tokens: HistogramVec,
    pub queue_depth: IntGaugeVec,
    pub in_flight: IntGauge,
    /// Unlabelled and registered at zero, so an alert on its rate has a series from the first
    /// scrape.
    pub rejected: IntCounter,
}

// By hand: the metric vectors do not all implement `Debug`, and their values would say little.
impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    fn register() -> Self {
        let registry = Registry::new();
        let model = &["model"];
        let seconds = |name: &str, help: &str, labels: &[&str]| {
            histogram(&registry, name, help, SECONDS_BUCKETS, labels)
        };
        Self {
            requests: counter(
                &registry,
                "moodtracker_inference_requests_total",
                "Inference RPCs answered, by api (native or oip), rpc, method (classify, explain, list_models), model and gRPC code.",
                &["api", "rpc", "method", "model", "code"],
            ),
            request_seconds: seconds(
                "moodtracker_inference_request_duration_seconds",
                "Inference RPC latency, by api, rpc and method.",
                &["api", "rpc", "method"],
            ),
            tokenize_seconds: seconds(
                "moodtracker_inference_tokenize_duration_seconds",
                "Time spent tokenizing a request.",
                model,
            ),
            queue_seconds: seconds(
                "moodtracker_inference_queue_duration_seconds",
                "Time a request waited for its batch.",
                model,
            ),
            forward_seconds: seconds(
                "moodtracker_inference_forward_duration_seconds",
                "Duration of one batched forward pass.",
                model,
            ),
            batch_size: histogram(
                &registry,
                "moodtracker_inference_batch_size",
                "Texts in one forward pass, by model.",
                BATCH_SIZE_BUCKETS,
                model,
            ),
            batch_tokens: histogram(
                &registry,
                "moodtracker_inference_batch_padded_tokens",
                "Padded tokens (texts x longest) in one forward pass.",
                TOKEN_BUCKETS,
                model,
            ),
            queue_depth: registered(
                &registry,
                IntGaugeVec::new(
                    Opts::new(
                        "moodtracker_inference_queue_depth",
                        "Requests queued for a model's batcher, by model.",
                    ),
                    model,
                ),
            ),
            in_flight: registered(
                &registry,
                IntGauge::new(
                    "moodtracker_inference_in_flight_requests",
                    "Admitted requests not yet answered (bounded by max queue).",
                ),
            ),
            rejected: registered(
                &registry,
                IntCounter::new(
                    "moodtracker_inference_rejected_requests_total",
                    "Requests refused with RESOURCE_EXHAUSTED (overloaded).",
                ),
            ),
            registry,
        }
    }
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    registered(registry, IntCounterVec::new(Opts::new(name, help), labels))
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    buckets: &[f64],
    labels: &[&str],
) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    registered(registry, HistogramVec::new(opts, labels))
}

/// Registers a metric built from constant names and buckets, which can only fail on a
/// programming error (a duplicate or malformed name), caught by the first test that scrapes.
fn registered<M>(registry: &Registry, metric: prometheus::Result<M>) -> M
where
    M: prometheus::core::Collector + Clone + 'static,
{
    let metric = metric.expect("metric names, labels and buckets are valid constants");
    registry
        .register(Box::new(metric.clone()))
        .expect("each metric is registered once");
    metric
}

/// The registry to serve; creating it on first call registers every metric.
pub fn install() -> Registry {
    METRICS.registry.clone()
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
        METRICS
            .requests
            .with_label_values(&[api, rpc, method, model, code.as_str()])
            .inc();
    }
    METRICS
        .request_seconds
        .with_label_values(&[api, rpc, method])
        .observe(elapsed.as_secs_f64());
}

/// Serves `GET /metrics` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    registry: Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    axum::serve(listener, router(registry))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::Internal(format!("metrics server: {e}")))
}

fn router(registry: Registry) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(registry)
}

async fn scrape(State(registry): State<Registry>) -> String {
    let mut text = String::new();
    TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut text)
        .expect("writing to a String cannot fail");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_scrape_names_each_metric_with_its_help_text() {
        let registry = install();
        METRICS.rejected.inc();
        METRICS
            .forward_seconds
            .with_label_values(&["lstm"])
            .observe(0.01);
        let request = axum::http::Request::get("/metrics")
            .body(Body::empty())
            .unwrap();
        let response = router(registry).oneshot(request).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(text.contains("# HELP moodtracker_inference_rejected_requests_total"));
        assert!(text.contains("moodtracker_inference_forward_duration_seconds_bucket"));
    }
}
