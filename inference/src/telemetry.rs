//! Logs and traces: `tracing` with JSON (or pretty) output, plus OpenTelemetry OTLP/gRPC export
//! only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Each gRPC request's span continues the
//! caller's W3C trace context (`traceparent` metadata), so a gateway trace spans the hop.

use opentelemetry::{global, propagation::Extractor, trace::TracerProvider as _};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    runtime,
    trace::{SdkTracerProvider, span_processor_with_async_runtime::BatchSpanProcessor},
};
use tonic::codegen::http;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, layer::SubscriberExt, util::SubscriberInitExt};

use crate::{
    Error,
    config::{Config, LogFormat},
};

const SERVICE: &str = "moodtracker-inference";

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] flushes it.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

/// Installs the global subscriber. Call once, inside the tokio runtime (the OTLP exporter's
/// batch processor runs as a tokio task).
pub fn init(config: &Config) -> Result<Telemetry, Error> {
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|e| Error::Config(format!("RUST_LOG/LOG_LEVEL {:?}: {e}", config.log_filter)))?;
    let json = (config.log_format == LogFormat::Json).then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
    });
    let pretty = (config.log_format == LogFormat::Pretty).then(tracing_subscriber::fmt::layer);
    let provider = config
        .otlp_endpoint
        .as_deref()
        .map(|endpoint| tracer_provider(endpoint, &config.otel_service_name))
        .transpose()?;
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(SERVICE)));
    tracing_subscriber::registry()
        .with(filter)
        .with(json)
        .with(pretty)
        .with(otel)
        .try_init()
        .map_err(|e| Error::Internal(format!("a tracing subscriber is already installed: {e}")))?;
    Ok(Telemetry { provider })
}

fn tracer_provider(endpoint: &str, service_name: &str) -> Result<SdkTracerProvider, Error> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| Error::Config(format!("OTEL_EXPORTER_OTLP_ENDPOINT {endpoint:?}: {e}")))?;
    let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
    global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_string())
                .build(),
        )
        .build())
}

impl Telemetry {
    /// Flushes spans still buffered; a no-op without OTLP.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "trace export did not shut down cleanly");
        }
    }
}

/// The span each gRPC request runs in, parented on the caller's trace context when it sent one
/// (and when OTLP export is on; otherwise the parent is simply not recorded).
pub fn grpc_span(request: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc",
        otel.name = %request.uri().path(),
        otel.kind = "server",
        rpc.system = "grpc",
    );
    let parent = global::get_text_map_propagator(|p| p.extract(&Headers(request.headers())));
    // Fails only when no OpenTelemetry layer is installed, which is the "no OTLP" case.
    let _ = span.set_parent(parent);
    span
}

/// Reads W3C trace headers from gRPC metadata (HTTP/2 headers).
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::{propagation::TextMapPropagator, trace::TraceContextExt};

    use super::*;

    #[test]
    fn reads_the_callers_traceparent_from_grpc_metadata() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let context = TraceContextPropagator::new().extract(&Headers(&headers));
        let span = context.span();
        let remote = span.span_context();
        assert_eq!(
            remote.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(remote.is_remote());
    }
}
