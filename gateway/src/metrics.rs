//! Prometheus metrics, served on their own address (`METRICS_ADDR`, default port 9091) so
//! the public port never exposes them.
//!
//! Every name starts with `moodtracker_gateway_`. Requests are labelled by the *matched* route
//! (`/api/journal/entries/{id}`), never the raw path, which would give one series per entry id.
//!
//! The metrics live in one `prometheus::Registry` behind a process-global [`METRICS`], so the
//! middleware, the cache, the limiter and the probes record without a handle passed through
//! each of them; several gateways in one test process therefore share it, as they shared the
//! `metrics` facade's single recorder before.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// Latency buckets in seconds: 1 ms to 10 s, dense where an API call usually lands.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every metric the gateway records, registered once in the process.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::register);

/// The gateway's metrics, typed, with the registry that serves them.
pub struct Metrics {
    registry: Registry,
    /// By `method`, `route` and `status`, like the latency below.
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    /// By `policy`, `outcome` and `storage`.
    rate_limit_decisions: IntCounterVec,
    /// By `result`.
    cache_requests: IntCounterVec,
    /// By `method` and `outcome`.
    inference_seconds: HistogramVec,
    /// By `state`.
    db_pool: IntGaugeVec,
    /// A vector with no labels rather than a plain gauge: its one series appears when Redis is
    /// first probed, as before, so a gateway without Redis never reports it down.
    redis_up: IntGaugeVec,
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
        let counter = |name: &str, help: &str, labels: &[&str]| {
            registered(&registry, IntCounterVec::new(Opts::new(name, help), labels))
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            registered(&registry, IntGaugeVec::new(Opts::new(name, help), labels))
        };
        let seconds = |name: &str, help: &str, labels: &[&str]| {
            let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
            registered(&registry, HistogramVec::new(opts, labels))
        };
        let request = &["method", "route", "status"];
        Self {
            http_requests: counter(
                "moodtracker_gateway_http_requests_total",
                "HTTP requests by matched route, method and status.",
                request,
            ),
            http_seconds: seconds(
                "moodtracker_gateway_http_request_duration_seconds",
                "HTTP request latency by matched route, method and status.",
                request,
            ),
            rate_limit_decisions: counter(
                "moodtracker_gateway_rate_limit_decisions_total",
                "Rate-limit decisions by policy, outcome and storage.",
                &["policy", "outcome", "storage"],
            ),
            cache_requests: counter(
                "moodtracker_gateway_cache_requests_total",
                "Model-result cache lookups by result (hit, miss, bypass).",
                &["result"],
            ),
            inference_seconds: seconds(
                "moodtracker_gateway_inference_request_duration_seconds",
                "Inference gRPC call latency by method and outcome.",
                &["method", "outcome"],
            ),
            db_pool: gauge(
                "moodtracker_gateway_db_pool_connections",
                "Database pool connections by state (idle, in_use).",
                &["state"],
            ),
            redis_up: gauge(
                "moodtracker_gateway_redis_up",
                "1 while the Redis circuit is closed, 0 while open.",
                &[],
            ),
            registry,
        }
    }
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

/// Serves `GET /metrics` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    registry: Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(registry);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn render(State(registry): State<Registry>) -> Response {
    let content_type = [(
        http::header::CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8",
    )];
    let mut text = String::new();
    prometheus::TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut text)
        .expect("writing to a String cannot fail");
    (content_type, text).into_response()
}

/// Middleware recording every request's count and latency; add it with `Router::layer` so the
/// matched route is known.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [method.as_str(), route.as_str(), status.as_str()];
    METRICS.http_requests.with_label_values(&labels).inc();
    METRICS
        .http_seconds
        .with_label_values(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Records one inference call; `outcome` is `ok` or the gRPC code name (`Unavailable`).
pub fn record_inference(method: &'static str, outcome: String, elapsed: Duration) {
    METRICS
        .inference_seconds
        .with_label_values(&[method, outcome.as_str()])
        .observe(elapsed.as_secs_f64());
}

/// Publishes the database pool's state.
pub fn record_db_pool(size: u32, idle: usize) {
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    let gauge = |state: &str, value: i64| METRICS.db_pool.with_label_values(&[state]).set(value);
    gauge("idle", idle);
    gauge("in_use", (i64::from(size) - idle).max(0));
}

/// Publishes whether Redis is reachable.
pub fn record_redis_up(up: bool) {
    let no_labels: [&str; 0] = [];
    METRICS
        .redis_up
        .with_label_values(&no_labels)
        .set(i64::from(up));
}

/// Counts one model-result cache lookup; `result` is `hit`, `miss` or `bypass`.
pub fn record_cache(result: &str) {
    METRICS.cache_requests.with_label_values(&[result]).inc();
}

/// Counts one rate-limit decision.
pub fn record_rate_limit(policy: &str, outcome: &str, storage: &str) {
    METRICS
        .rate_limit_decisions
        .with_label_values(&[policy, outcome, storage])
        .inc();
}
