//! The warehouse system adapter: pick requests for confirmed orders (an outbox subscriber of
//! `order.confirmed`), its signed `shipment.shipped` callbacks (the order ships: payment
//! captured, stock committed), and its stock feed (a CSV snapshot and JSON deltas) applied to
//! stock per warehouse, pushed by staff tools or pulled from the system. The callbacks are
//! verified and read here; what they change is [`core_app::warehouse`], and the stock feed is
//! [`core_app::stock_feed`].
//!
//! | route | what |
//! |---|---|
//! | `POST /webhooks/warehouse` | the system's callbacks, `Warehouse-Signature` over the raw body |
//! | `POST /admin/v1/warehouses/{id}/stock-feed/snapshot` | a `text/csv` snapshot `sku,on_hand`; `?reference=` names it |
//! | `POST /admin/v1/warehouses/{id}/stock-feed/deltas` | `{"deltas":[{"id","sku","change"}]}` |
//! | `POST /admin/v1/warehouses/{id}/stock-feed/pull` | fetches the snapshot, then the deltas after it, and applies both |
//! | `GET /admin/v1/warehouses/{id}/stock-feed/issues` | what feeds held that could not be applied |
//! | `GET /admin/v1/orders/{id}/shipments` | the order's shipments, parcels and weights |

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use core_app::stock_feed::{self, DeltasIn};
use core_store::commerce::fulfilment::{FeedReport, Shipment};
use partners_signing::{DEFAULT_TOLERANCE, verify_signature};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

use crate::state::AppState;

/// The header the warehouse system signs its callbacks in.
pub const CALLBACK_SIGNATURE_HEADER: &str = partners_signing::WAREHOUSE_SIGNATURE_HEADER;

pub use core_app::warehouse::PickSubscriber;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/warehouse", post(callback))
}

pub fn admin_router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/warehouses/{id}/stock-feed/snapshot", post(push_snapshot))
        .route("/admin/v1/warehouses/{id}/stock-feed/deltas", post(push_deltas))
        .route("/admin/v1/warehouses/{id}/stock-feed/pull", post(pull))
        .route("/admin/v1/warehouses/{id}/stock-feed/issues", get(issues))
        .route("/admin/v1/orders/{id}/shipments", get(shipments))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_token))
}

// ----- callbacks -----

#[derive(Deserialize)]
struct CallbackIn {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Value,
}

#[derive(Deserialize)]
struct ShippedIn {
    shipment_id: String,
    order_id: Uuid,
    warehouse: String,
    parcels: Vec<ParcelIn>,
}

#[derive(Deserialize, serde::Serialize)]
struct ParcelIn {
    parcel_id: String,
    weight_grams: i64,
    lines: Vec<Value>,
}

#[utoipa::path(post, path = "/webhooks/warehouse", tag = "partners",
    params(("Warehouse-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>`")),
    request_body(content = Object, description = "the warehouse system's callback: `id`, `type`, `data`", content_type = "application/json"),
    responses((status = 200, description = "`applied` (false for a repeat, another type, or an order we do not know: then `reason`)"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_event, invalid_text"),
        (status = 401, body = crate::error::ErrorBody, description = "invalid_signature"),
        (status = 503, body = crate::error::ErrorBody, description = "the payment cannot be captured now: send the callback again")))]
/// A callback of the warehouse system, verified over the raw body. `shipment.shipped` records
/// the shipment once (by its id) and, when every warehouse of the order has shipped, ships the
/// order (payment captured, stock committed). Repeated callbacks answer the same; a capture the
/// provider cannot make now answers 503, so that the system sends the callback again.
pub async fn callback(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let signature = headers.get(CALLBACK_SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let secret = state.warehouse_webhook_secret.expose().as_bytes();
    verify_signature(secret, signature, &body, SystemTime::now(), DEFAULT_TOLERANCE)
        .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", e.to_string()))?;
    let event: CallbackIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_event", format!("malformed callback: {e}")))?;
    if event.kind != "shipment.shipped" {
        return Ok(Json(json!({"id": event.id, "applied": false})));
    }
    let shipped: ShippedIn = serde_json::from_value(event.data)
        .map_err(|e| ApiError::bad_request("invalid_event", format!("malformed shipment: {e}")))?;
    if shipped.parcels.is_empty() || shipped.parcels.iter().any(|p| p.weight_grams <= 0) {
        return Err(ApiError::bad_request("invalid_event", "a shipment needs parcels with positive weights"));
    }
    let shipment = Shipment {
        order_id: shipped.order_id,
        warehouse: shipped.warehouse,
        reference: shipped.shipment_id,
        weight_grams: shipped.parcels.iter().map(|p| p.weight_grams).sum(),
        parcels: serde_json::to_value(&shipped.parcels).unwrap_or_default(),
    };
    let Some(shipped) = core_app::warehouse::shipped(&state, &shipment).await? else {
        let reference = Some(shipment.order_id.to_string());
        return crate::answers::partner_events::acknowledge(
            &state,
            "warehouse",
            &event.id,
            &event.kind,
            "unknown_order",
            reference,
        )
        .await;
    };
    Ok(Json(json!({"id": event.id, "applied": shipped.new, "order_shipped": shipped.order_shipped})))
}

// ----- stock feed -----

fn report(r: FeedReport) -> Value {
    let issues: Vec<Value> =
        r.issues.iter().map(|i| json!({"reference": i.reference, "sku": i.sku, "reason": i.reason})).collect();
    json!({"applied": r.applied, "duplicates": r.duplicates, "issues": issues})
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SnapshotQuery {
    /// The system's reference of this count (`manual` when none).
    reference: Option<String>,
}

#[utoipa::path(post, path = "/admin/v1/warehouses/{id}/stock-feed/snapshot", tag = "admin",
    params(("id" = String, Path, description = "the warehouse's id"), SnapshotQuery),
    request_body(content = String, content_type = "text/csv", description = "`sku,on_hand` lines, the warehouse system's full count"),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "what the snapshot changed, and the SKUs it could not apply"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_feed"),
        (status = 404, body = crate::error::ErrorBody, description = "warehouse_not_found")))]
/// Applies a full stock count of a warehouse (a CSV pushed by its system).
pub async fn push_snapshot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<SnapshotQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let w = stock_feed::warehouse(&state, &id)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let csv = std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("invalid_feed", "not UTF-8"))?;
    let reference = query.reference.unwrap_or_else(|| "manual".into());
    Ok(Json(report(stock_feed::apply_snapshot(&state, w, &reference, csv).await?)))
}

#[utoipa::path(post, path = "/admin/v1/warehouses/{id}/stock-feed/deltas", tag = "admin",
    params(("id" = String, Path, description = "the warehouse's id")),
    request_body(content = Object, description = "`deltas`: `[{id, sku, change, seq?, reason?}]`, each applied once by its id"),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "what the deltas changed, and those it could not apply"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_feed"),
        (status = 404, body = crate::error::ErrorBody, description = "warehouse_not_found")))]
/// Applies stock changes of a warehouse (pushed by its system), each once.
pub async fn push_deltas(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<DeltasIn>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let w = stock_feed::warehouse(&state, &id)?;
    let Json(body) = body?;
    Ok(Json(report(stock_feed::apply_deltas(&state, w, body).await?)))
}

#[utoipa::path(post, path = "/admin/v1/warehouses/{id}/stock-feed/pull", tag = "admin",
    params(("id" = String, Path, description = "the warehouse's id")),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "the sequence pulled, and what the snapshot and the deltas changed"),
        (status = 404, body = crate::error::ErrorBody, description = "warehouse_not_found"),
        (status = 503, body = crate::error::ErrorBody, description = "warehouse_unavailable: the warehouse system cannot be reached")))]
/// Fetches the snapshot and the deltas recorded after it, and applies both.
pub async fn pull(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let w = stock_feed::warehouse(&state, &id)?;
    let pulled = stock_feed::pull(&state, w).await?;
    Ok(Json(json!({"sequence": pulled.sequence, "snapshot": report(pulled.snapshot), "deltas": report(pulled.deltas)})))
}

#[utoipa::path(get, path = "/admin/v1/warehouses/{id}/stock-feed/issues", tag = "admin",
    params(("id" = String, Path, description = "the warehouse's id"), crate::pages::PageParams),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "`items` (the feed lines that could not be applied: source, reference, sku, reason, at), newest first, and `next_cursor`"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_query, invalid_cursor"),
        (status = 404, body = crate::error::ErrorBody, description = "warehouse_not_found")))]
/// What the warehouse's stock feed could not apply, a page at a time.
pub async fn issues(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<crate::pages::PageParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let axum::extract::Query(page) = query?;
    let w = stock_feed::warehouse(&state, &id)?;
    let (limit, after) = crate::pages::read(page.limit.as_deref(), page.cursor.as_deref())?;
    let (issues, next) = stock_feed::issues(&state, w, after, limit).await?;
    let items: Vec<Value> = issues
        .into_iter()
        .map(|i| {
            json!({"source": i.source, "reference": i.reference, "sku": i.sku, "reason": i.reason,
                "at": core_app::clock::rfc3339(i.created_at)})
        })
        .collect();
    Ok(Json(json!({"items": items, "next_cursor": crate::pages::next(next)})))
}

#[utoipa::path(get, path = "/admin/v1/orders/{id}/shipments", tag = "admin",
    params(("id" = String, Path, description = "the order's id")),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "the order's shipments, as the warehouse system reported them"),
        (status = 404, body = crate::error::ErrorBody, description = "order_not_found")))]
/// An order's shipments (support).
pub async fn shipments(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Value>> {
    let missing = || ApiError::not_found("order_not_found", "no such order");
    let Path(id) = path.map_err(|_| missing())?;
    let id = Uuid::parse_str(&id).map_err(|_| missing())?;
    let list: Vec<Value> = core_app::warehouse::shipments(&state, id)
        .await?
        .into_iter()
        .map(|s| json!({"warehouse": s.warehouse, "reference": s.reference, "weight_grams": s.weight_grams, "parcels": s.parcels}))
        .collect();
    Ok(Json(json!({"shipments": list})))
}
