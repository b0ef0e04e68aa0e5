//! The payment provider stand-in's metrics, declared in one place, and the middleware that
//! counts its requests. `/metrics` is served on the stand-in's own port (it stands for a
//! partner outside our network; no shopper reaches it through an edge).

use std::sync::LazyLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use telemetry::{HistogramVec, IntCounter, IntCounterVec, Memo, Registry, RouteSeries};

/// Every metric of the stand-in.
pub struct Metrics {
    pub registry: Registry,
    /// Requests answered, by route template, journey (`other` here) and status class.
    requests: IntCounterVec,
    /// Time to answer, by route template.
    latency: HistogramVec,
    routes: Memo<RouteSeries>,
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

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    fn new() -> Self {
        let r = Registry::new("payments");
        let authorizations = r.counter_vec("authorizations_total", "New authorizations by outcome", &["outcome"]);
        let webhooks = r.counter_vec("webhook_attempts_total", "Webhook delivery attempts by result", &["result"]);
        Self {
            requests: r.counter_vec(
                "http_requests_total",
                "Requests answered, by route template, journey and status class",
                &["route", "journey", "code"],
            ),
            latency: r.latency_vec(
                "http_request_duration_seconds",
                "Time to answer a request, by route template and journey",
                &["route", "journey"],
            ),
            routes: Memo::default(),
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

/// Counts every request by its route template and status class, and times it.
pub async fn layer(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let template = route.as_ref().map_or("other", MatchedPath::as_str);
    let series =
        METRICS.routes.get(template, || RouteSeries::new(&METRICS.requests, &METRICS.latency, template, "partner"));
    series.record(response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn serve() -> Response {
    ([(http::header::CONTENT_TYPE, telemetry::CONTENT_TYPE)], METRICS.registry.encode(None)).into_response()
}
