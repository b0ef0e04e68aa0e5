//! The payment provider stand-in's metrics, declared in one place, and the middleware that
//! counts its requests. `/metrics` is served on the stand-in's own port (it stands for a
//! partner outside our network; no shopper reaches it through an edge).

use std::sync::LazyLock;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use telemetry::{HttpMetrics, IntCounter, Registry};

/// Every metric of the stand-in.
#[derive(Debug)]
pub struct Metrics {
    pub registry: Registry,
    /// Requests answered and their duration, by route template (journey `partner`).
    http: HttpMetrics,
    /// New authorizations by outcome: `authorized`, `declined`, `requires_action`.
    pub authorized: IntCounter,
    pub declined: IntCounter,
    pub requires_action: IntCounter,
    /// Refunds recorded.
    pub refunds: IntCounter,
    /// Webhook deliveries the receiver acknowledged, and attempts that failed (retried later).
    pub webhooks_delivered: IntCounter,
    pub webhook_attempts_failed: IntCounter,
}

impl Metrics {
    fn new() -> Self {
        let r = Registry::new("payments");
        let authorizations = r.counter_vec("authorizations_total", "New authorizations by outcome", &["outcome"]);
        let webhooks = r.counter_vec("webhook_attempts_total", "Webhook delivery attempts by result", &["result"]);
        Self {
            http: HttpMetrics::declare(&r),
            authorized: authorizations.with_label_values(&["authorized"]),
            declined: authorizations.with_label_values(&["declined"]),
            requires_action: authorizations.with_label_values(&["requires_action"]),
            refunds: r.counter("refunds_total", "Refunds recorded"),
            webhooks_delivered: webhooks.with_label_values(&["delivered"]),
            webhook_attempts_failed: webhooks.with_label_values(&["failed"]),
            registry: r,
        }
    }
}

/// The stand-in's metrics (one set per process).
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// Every metric the stand-in declares (for the dashboards' checker).
pub fn declared() -> Vec<telemetry::Declared> {
    METRICS.registry.declared()
}

/// Counts every request by its route template and status class, and times it; when traces are
/// on, runs it in a span continuing the caller's `traceparent` (core's payment calls).
pub async fn layer(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let template = route.as_ref().map_or("other", MatchedPath::as_str);
    let span = telemetry::traces::server_span("payments", template, request.method().as_str(), request.headers());
    METRICS.http.observe(template, "partner", span, next.run(request), |r| r.status().as_u16()).await
}

/// `GET /metrics`.
pub async fn serve() -> Response {
    ([(http::header::CONTENT_TYPE, telemetry::CONTENT_TYPE)], METRICS.registry.encode(None)).into_response()
}
