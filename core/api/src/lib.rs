//! The core service's HTTP API (axum), behind two doors: the shoppers' API ([`app`], what the
//! edges route to: the catalog scoped by market and language in the URL, carts, checkout,
//! orders, accounts, partners' webhooks) and the staff's admin API ([`staff_app`], on a listener
//! of its own, audited); health checks and an OpenAPI document on each.
//!
//! The `core-server` binary wires settings, the store and both routers together.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod answers;
pub mod audit;
pub mod auth;

pub mod carriers;
pub mod carts;
pub mod catalog;
mod checkout;
pub mod error;
mod idempotency;
pub mod input_guard;
pub use core_app::mail;
pub mod metrics;
pub mod openapi;
pub mod orders;
pub mod outbox;
pub mod pages;
pub mod partner_events;
pub mod promotions;
pub mod quote;
pub mod settings;
pub mod state;
pub mod warehouse;
pub mod webhooks;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use error::ErrorBody;
pub use error::{ApiError, ApiResult};
pub use state::{AppState, Secret};

/// The shoppers' door: what the edges route to. The catalog, quotes, accounts, carts, checkout,
/// orders and returns, partners' webhooks, the edges' change feed, health checks and the
/// shoppers' OpenAPI document. The admin API is not here: it is on [`staff_app`].
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi::serve))
        .route("/internal/v1/catalog-changes", get(admin::catalog_changes))
        .merge(catalog::router())
        .merge(quote::router())
        .merge(accounts::router())
        .merge(carts::router())
        .merge(checkout::router())
        .merge(orders::router())
        .merge(warehouse::router())
        .merge(carriers::router())
        .merge(webhooks::router());
    door(routes).with_state(state)
}

/// The staff door: the admin API, served on its own listener (`--staff-listen`, a private
/// network in production) that no edge routes to. Staff log in as themselves with the second
/// factor; every request is written to the audit log ([`audit`]).
pub fn staff_app(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi::serve_staff))
        .merge(admin::router(state.clone()))
        .merge(promotions::router(state.clone()))
        .merge(accounts::staff_router(state.clone()))
        .merge(orders::admin_router(state.clone()))
        .merge(outbox::admin_router(state.clone()))
        .merge(warehouse::admin_router(state.clone()))
        .merge(partner_events::admin_router(state.clone()))
        .merge(audit::router(state.clone()));
    door_with(routes, |r| r.layer(axum::middleware::from_fn_with_state(state.clone(), audit::layer))).with_state(state)
}

/// What every route of either door gets.
fn door(routes: Router<AppState>) -> Router<AppState> {
    door_with(routes, |r| r)
}

/// Layers, innermost first: input checks, `extra` (the staff door's audit), metrics, the body
/// limit, the panic net, the default `Cache-Control: no-store` of every answer that does not
/// say it may be cached (only catalog reads do), and the log of server errors.
fn door_with(routes: Router<AppState>, extra: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Router<AppState> {
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(input_guard::layer));
    extra(routes)
        .layer(axum::middleware::from_fn(metrics::layer))
        .layer(axum::extract::DefaultBodyLimit::max(idempotency::MAX_BODY))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::internal("handler panicked").into_response()
        }))
        .layer(axum::middleware::map_response(no_store_unless_cacheable))
        .layer(axum::middleware::from_fn(error::log_failures))
}

/// `Cache-Control: no-store` on every answer that does not carry its own caching policy:
/// personal answers (carts, orders, accounts, sessions, order events) and errors are never
/// kept by a browser or a shared cache.
async fn no_store_unless_cacheable(mut response: Response) -> Response {
    response.headers_mut().entry(http::header::CACHE_CONTROL).or_insert(http::HeaderValue::from_static("no-store"));
    response
}

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "the process answers", content_type = "text/plain", body = String)))]
/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "the database answers", content_type = "text/plain", body = String),
        (status = 503, body = ErrorBody, description = "unavailable: the database does not answer")))]
/// Readiness: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
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
