//! Logs, request ids and traces.
//!
//! - Logs: `tracing` with JSON (`LOG_FORMAT=json`, the default when deployed) or text output,
//!   filtered by `LOG_LEVEL`.
//! - Request ids: `x-request-id` is kept when the client (or the ingress) sent one, generated
//!   (UUID v4) otherwise, recorded on the request's span, so every log line of the request
//!   carries it, and echoed on the response.
//! - Traces: exported over OTLP/gRPC only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. A request's
//!   span continues the caller's W3C `traceparent`, and [`inject_trace_context`] writes it into
//!   the inference call's metadata, so one trace spans the gRPC hop.

use axum::Router;
use axum::extract::MatchedPath;
use http::{HeaderMap, Request};
use opentelemetry::{
    global,
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    runtime,
    trace::{SdkTracerProvider, span_processor_with_async_runtime::BatchSpanProcessor},
};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::Config;

/// Installs the global subscriber. A second call (tests starting several gateways) keeps the
/// first one. Must run inside the tokio runtime: the span exporter is a tokio task.
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = (config.log_format == "json").then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
    });
    let text = (config.log_format != "json").then(tracing_subscriber::fmt::layer);
    let tracer = config.otel_endpoint.as_deref().and_then(|endpoint| {
        tracer_provider(endpoint, &config.otel_service_name)
            .map_err(|e| eprintln!("OTEL_EXPORTER_OTLP_ENDPOINT: traces disabled: {e}"))
            .ok()
    });
    let otel =
        tracer.map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("moodtracker-gateway")));
    // Propagation works (and is tested) even without export: the context then carries ids.
    global::set_text_map_propagator(TraceContextPropagator::new());
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(json)
        .with(text)
        .with(otel)
        .try_init();
}

fn tracer_provider(
    endpoint: &str,
    service: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_owned())
                .build(),
        )
        .build();
    // The global slot keeps the provider (and its exporter task) alive for the process.
    global::set_tracer_provider(provider.clone());
    Ok(provider)
}

/// Request-id and trace layers for the API router (outermost of the platform's layers).
pub fn layers(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(request_span))
            .layer(PropagateRequestIdLayer::x_request_id()),
    )
}

/// The span of one request: method, matched route and request id, parented on the caller's
/// `traceparent` when it sent one.
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{} {route}", request.method()),
        otel.kind = "server",
        http.request.method = %request.method(),
        http.route = route,
        request_id = request_id,
    );
    let parent = global::get_text_map_propagator(|p| p.extract(&HeaderReader(request.headers())));
    // Fails only when no OpenTelemetry layer is installed (no export): nothing to link then.
    let _ = span.set_parent(parent);
    span
}

/// Writes the current span's W3C trace context into outgoing gRPC metadata; the inference
/// client calls it for every request.
pub fn inject_trace_context(metadata: &mut tonic::metadata::MetadataMap) {
    let context = tracing::Span::current().context();
    global::get_text_map_propagator(|p| p.inject_context(&context, &mut MetadataWriter(metadata)));
}

struct HeaderReader<'a>(&'a HeaderMap);

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct MetadataWriter<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataWriter<'_> {
    fn set(&mut self, key: &str, value: String) {
        let key = tonic::metadata::MetadataKey::from_bytes(key.as_bytes());
        if let (Ok(key), Ok(value)) = (key, value.parse()) {
            self.0.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::Context;
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };

    use super::*;

    #[test]
    fn a_traceparent_is_written_into_grpc_metadata() {
        let remote = SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let context = Context::new().with_remote_span_context(remote);
        let mut metadata = tonic::metadata::MetadataMap::new();
        TraceContextPropagator::new().inject_context(&context, &mut MetadataWriter(&mut metadata));
        assert_eq!(
            metadata.get("traceparent").unwrap(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
    }
}
