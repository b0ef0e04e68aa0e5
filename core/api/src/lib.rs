//! The core service's HTTP API (axum): the shopper catalog API, scoped by market and language
//! in the URL; the merchandiser admin API; health checks; the OpenAPI document.
//!
//! [`app`] builds the router from an [`AppState`]; the `core-server` binary wires settings,
//! the store and the router together.

pub mod accounts;
pub mod admin;
pub mod auth;
mod card_guard;
pub mod carriers;
pub mod carts;
pub mod catalog;
mod checkout;
pub mod error;
mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod orders;
pub mod outbox;
pub mod payments;
mod promotion_source;
pub mod promotions;
pub mod quote;
pub mod settings;
pub mod shipping;
pub mod state;
mod stock_turns;
pub mod tax_service;
pub mod warehouse;
pub mod webhooks;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use error::{ApiError, ApiResult};
pub use state::{AppState, Secret};

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi::serve))
        .route("/internal/v1/catalog-changes", get(admin::catalog_changes))
        .merge(catalog::router())
        .merge(quote::router())
        .merge(admin::router(state.clone()))
        .merge(promotions::router(state.clone()))
        .merge(accounts::router(state.clone()))
        .merge(carts::router())
        .merge(orders::router())
        .merge(orders::admin_router(state.clone()))
        .merge(outbox::admin_router(state.clone()))
        .merge(warehouse::router())
        .merge(carriers::router())
        .merge(warehouse::admin_router(state.clone()))
        .merge(webhooks::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(card_guard::layer))
        .layer(axum::middleware::from_fn(metrics::layer))
        .layer(axum::extract::DefaultBodyLimit::max(idempotency::MAX_BODY))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::internal("handler panicked").into_response()
        }))
        .with_state(state)
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "database unreachable").into_response()
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
}
