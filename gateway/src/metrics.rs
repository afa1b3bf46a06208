//! Prometheus metrics, served on their own address (`METRICS_ADDR`, default port 9091) so
//! the public port never exposes them.
//!
//! Every name starts with `moodtracker_gateway_`. Requests are labelled by the *matched* route
//! (`/api/journal/entries/{id}`), never the raw path, which would give one series per entry id.
//! The recorder is process-global (the `metrics` facade has one slot), so several gateways in
//! one test process share it.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: 1 ms to 10 s, dense where an API call usually lands.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder on first call (later calls return the same handle).
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("latency buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder (a test harness) may already be installed; ours then stays
            // unused, which loses metrics but nothing else.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    describe_counter!(
        "moodtracker_gateway_http_requests_total",
        "HTTP requests by matched route, method and status."
    );
    describe_histogram!(
        "moodtracker_gateway_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by matched route, method and status."
    );
    describe_counter!(
        "moodtracker_gateway_rate_limit_decisions_total",
        "Rate-limit decisions by policy, outcome and storage."
    );
    describe_counter!(
        "moodtracker_gateway_cache_requests_total",
        "Model-result cache lookups by result (hit, miss, bypass)."
    );
    describe_histogram!(
        "moodtracker_gateway_inference_request_duration_seconds",
        Unit::Seconds,
        "Inference gRPC call latency by method and outcome."
    );
    describe_gauge!(
        "moodtracker_gateway_db_pool_connections",
        "Database pool connections by state (idle, in_use)."
    );
    describe_gauge!(
        "moodtracker_gateway_redis_up",
        "1 while the Redis circuit is closed, 0 while open."
    );
}

/// Serves `GET /metrics` on `listener` until `shutdown` resolves; also runs the recorder's
/// upkeep so histogram buckets do not grow unbounded between scrapes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let upkeep = tokio::spawn(upkeep(handle.clone()));
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(handle);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    upkeep.abort();
    served
}

async fn upkeep(handle: PrometheusHandle) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        handle.run_upkeep();
    }
}

async fn render(State(handle): State<PrometheusHandle>) -> Response {
    let content_type = [(
        http::header::CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8",
    )];
    (content_type, handle.render()).into_response()
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
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("moodtracker_gateway_http_requests_total", &labels).increment(1);
    metrics::histogram!("moodtracker_gateway_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Records one inference call; `outcome` is `ok` or the gRPC code name (`Unavailable`).
pub fn record_inference(method: &'static str, outcome: String, elapsed: Duration) {
    metrics::histogram!(
        "moodtracker_gateway_inference_request_duration_seconds",
        "method" => method,
        "outcome" => outcome
    )
    .record(elapsed.as_secs_f64());
}

/// Publishes the database pool's state.
pub fn record_db_pool(size: u32, idle: usize) {
    let idle = idle as f64;
    let gauge = |state: &'static str, value: f64| {
        metrics::gauge!("moodtracker_gateway_db_pool_connections", "state" => state).set(value);
    };
    gauge("idle", idle);
    gauge("in_use", (f64::from(size) - idle).max(0.0));
}

/// Publishes whether Redis is reachable.
pub fn record_redis_up(up: bool) {
    metrics::gauge!("moodtracker_gateway_redis_up").set(if up { 1.0 } else { 0.0 });
}
