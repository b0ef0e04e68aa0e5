//! Traces: OpenTelemetry spans exported over OTLP (HTTP/JSON), **off unless an endpoint is
//! set** (`SHOP_OTLP_ENDPOINT`, or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g.
//! `http://127.0.0.1:4318`). The W3C `traceparent` is read from incoming requests
//! ([`server_span`]) and written on outgoing ones ([`inject`]), so one trace follows a request
//! from the shopper through the edge and core into the database and on to partners.
//!
//! Off, the cost is one relaxed atomic load per request: request spans are [`Span::none`], and
//! the database's `debug` spans are disabled at their call sites by the log filter.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported (an OTLP endpoint was configured).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The OTLP base URL configured, if any.
pub fn endpoint() -> Option<String> {
    ["SHOP_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .map(|v| v.trim().trim_end_matches('/').to_string())
}

/// Flushes and stops the exporter when dropped (at the end of `main`).
#[derive(Debug)]
pub struct Guard(SdkTracerProvider);

impl Drop for Guard {
    fn drop(&mut self) {
        ENABLED.store(false, Ordering::Relaxed);
        if let Err(e) = self.0.shutdown() {
            eprintln!("flushing traces failed: {e}");
        }
    }
}

/// The exporting provider for `service`, when an endpoint is configured.
pub(crate) fn provider(service: &'static str) -> Option<SdkTracerProvider> {
    let base = endpoint()?;
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpJson)
        .with_endpoint(format!("{base}/v1/traces"))
        .build();
    let exporter = match exporter {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("traces off: cannot build the OTLP exporter: {e}");
            return None;
        }
    };
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service).build();
    Some(SdkTracerProvider::builder().with_resource(resource).with_batch_exporter(exporter).build())
}

/// The tracing layer exporting spans through `provider`; marks traces enabled.
pub(crate) fn layer<S>(provider: &SdkTracerProvider, service: &'static str) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    ENABLED.store(true, Ordering::Relaxed);
    tracing_opentelemetry::layer().with_tracer(provider.tracer(service)).with_tracked_inactivity(false)
}

pub(crate) fn guard(provider: SdkTracerProvider) -> Guard {
    Guard(provider)
}

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut http::HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(key), http::HeaderValue::try_from(value)) {
            self.0.insert(name, value);
        }
    }
}

/// A server span for a request, child of the caller's `traceparent` when it sent one; a
/// disabled span when traces are off. `name` is a route template or a phase, never a raw path.
pub fn server_span(service: &'static str, name: &str, method: &str, headers: &http::HeaderMap) -> Span {
    if !enabled() {
        return Span::none();
    }
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{service} {method} {name}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %name,
        http.response.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    // Logs written inside the span carry its trace id.
    if let Some(id) = trace_id(&span) {
        span.record("trace_id", id.as_str());
    }
    span
}

/// Writes `span`'s `traceparent` (and `tracestate`) into `headers`, for the next hop. Nothing
/// when traces are off or the span is disabled.
pub fn inject(span: &Span, headers: &mut http::HeaderMap) {
    if !enabled() || span.is_disabled() {
        return;
    }
    TraceContextPropagator::new().inject_context(&span.context(), &mut HeadersMut(headers));
}

/// The trace id of `span` in hex, for logs; `None` when traces are off.
pub fn trace_id(span: &Span) -> Option<String> {
    if !enabled() || span.is_disabled() {
        return None;
    }
    let context = span.context();
    let id = context.span().span_context().trace_id();
    (id != opentelemetry::trace::TraceId::INVALID).then(|| id.to_string())
}
