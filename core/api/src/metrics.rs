//! The middleware that counts requests and the admin router serving `/metrics` (the metrics
//! themselves are declared in [`core_app::metrics`]).
//!
//! `/metrics` is served on a separate admin address (`--admin-listen`), not on the API's: the
//! edge forwards shoppers' paths to the API, so a `/metrics` there would be public.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
pub use core_app::metrics::{METRICS, Metrics, declared};

use crate::state::AppState;

/// Counts every request by its route template, journey and status class, and times it; when
/// traces are on, runs it in a span continuing the caller's `traceparent`.
pub async fn layer(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let template = route.as_ref().map_or("other", MatchedPath::as_str);
    let span = telemetry::traces::server_span("core", template, request.method().as_str(), request.headers());
    let journey = telemetry::routes::journey(template);
    METRICS.http.observe(template, journey, span, next.run(request), |r| r.status().as_u16()).await
}

/// The admin listener's router: `GET /metrics`.
pub fn admin_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(serve)).with_state(state)
}

async fn serve(State(state): State<AppState>) -> Response {
    METRICS.sample_store("main", &state.store);
    if let Some(hot) = &state.hot_store {
        METRICS.sample_store("hot", hot);
    }
    // The outbox of this core's region, read at scrape time (one aggregate over the undelivered
    // and dead events, served by the status index).
    match core_app::outbox::stats(&state, Some(&state.region)).await {
        Ok(stats) => {
            METRICS.outbox_lag.set(stats.lag_ms / 1000);
            METRICS.outbox_dead_letters.set(stats.dead);
        }
        Err(e) => tracing::warn!(error = %e, cause = e.cause().unwrap_or(""), "outbox figures not read for /metrics"),
    }
    ([(http::header::CONTENT_TYPE, telemetry::CONTENT_TYPE)], METRICS.registry.encode(Some(&state.region)))
        .into_response()
}
