//! Orders for their owners (a shopper's session, or the guest's cart token): reading them,
//! cancelling before shipment (the authorization is voided), live status over server-sent
//! events, and returns within the market's window. Staff ship orders (capturing the payment),
//! decide and receive returns (refunding through the provider and restocking), and set stock.
//! An order that is not the caller's does not exist (404).

use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use core_app::returns::Units;
use core_app::stock::StockLevel;
use core_domain::orders::{OrderStatus, PaymentStatus, ReturnStatus};
use core_store::commerce::orders::{ReturnView, Viewer};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::order_viewer;
pub use crate::answers::orders::{AdminOrderDto, OrderDto, OrderList, ReturnDto};
use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::pages::PageParams;
use crate::state::AppState;
use core_app::clock::rfc3339;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders", get(list))
        .route("/v1/orders/{id}", get(get_order))
        .route("/v1/orders/{id}/cancel", post(cancel))
        .route("/v1/orders/{id}/events", get(events))
        .route("/v1/orders/{id}/returns", post(request_return))
        .route("/v1/returns/{id}", get(get_return))
}

/// Staff routes: orders and returns for customer support (and admins), stock for
/// merchandisers (and admins); the service token passes everywhere.
pub fn admin_router(state: AppState) -> Router<AppState> {
    let support = Router::new()
        .route("/admin/v1/orders/{id}", get(admin_order))
        .route("/admin/v1/orders/{id}/ship", post(ship))
        .route("/admin/v1/returns/{id}/approve", post(approve_return))
        .route("/admin/v1/returns/{id}/reject", post(reject_return))
        .route("/admin/v1/returns/{id}/receive", post(receive_return))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::access::require_support));
    let stock = Router::new()
        .route("/admin/v1/stock/{warehouse}/{variant}", put(set_stock))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_token));
    support.merge(stock)
}

fn not_found() -> ApiError {
    core_app::orders::not_found().into()
}

fn order_id(s: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| not_found())
}

#[utoipa::path(get, path = "/v1/orders", tag = "checkout", params(PageParams),
    responses((status = 200, body = OrderList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
/// The shopper's orders, newest first, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    shopper: crate::auth::Shopper,
    query: Result<axum::extract::Query<PageParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<OrderList>> {
    let axum::extract::Query(page) = query?;
    let (limit, after) = crate::pages::read(page.limit.as_deref(), page.cursor.as_deref())?;
    let (orders, next) = core_app::orders::list(&state, shopper.user_id, after, limit).await?;
    Ok(Json(OrderList {
        items: orders.into_iter().map(OrderDto::from).collect(),
        next_cursor: crate::pages::next(next),
    }))
}

#[utoipa::path(get, path = "/v1/orders/{id}", tag = "checkout", params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody)))]
/// An order of the caller's.
pub async fn get_order(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<OrderDto>> {
    let Path(id) = path?;
    Ok(Json(core_app::orders::load(&state, order_id(&id)?, &order_viewer(&shopper, &headers)?).await?.into()))
}

#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "checkout", params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already shipped, failed or cancelled")))]
/// Cancels an order before it ships: its stock and promotion uses are given back and the
/// payment authorization is voided.
pub async fn cancel(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<OrderDto>> {
    let Path(id) = path?;
    let viewer = order_viewer(&shopper, &headers)?;
    Ok(Json(core_app::orders::cancel(&state, order_id(&id)?, &viewer).await?.into()))
}

#[utoipa::path(get, path = "/v1/orders/{id}/events", tag = "checkout", params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, content_type = "text/event-stream", description = "`status` events: `{\"order_id\", \"status\", \"payment\"}`; `tracking` events: `{\"order_id\", \"labels\", \"timeline\"}`"),
        (status = 404, body = ErrorBody)))]
/// `GET /v1/orders/{id}/events`: the order's status as server-sent events, one `status` event
/// at once and one per change, and once shipped a `tracking` event (labels and timeline, as
/// `GET /v1/orders/{id}/tracking` answers) per change of its parcels, until the order can
/// change no more (delivered, cancelled or failed; or 15 minutes).
pub async fn events(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let id = crate::access::visible_order(&state, &shopper, &headers, path).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15 * 60);
    let stream = futures::stream::unfold(
        (state, None::<(OrderStatus, PaymentStatus)>, None::<crate::answers::tracking::TrackingDto>, false),
        move |(state, last, last_tracking, done)| async move {
            if done {
                return None;
            }
            loop {
                if tokio::time::Instant::now() > deadline {
                    return None;
                }
                let current = core_app::orders::status(&state, id).await.ok().flatten();
                let shipped = current
                    .as_ref()
                    .is_some_and(|(order, ..)| matches!(order, OrderStatus::Shipped | OrderStatus::Delivered));
                let tracking = match shipped {
                    true => crate::answers::tracking::of_order(&state, id)
                        .await
                        .ok()
                        .filter(|t| t.has_events() && last_tracking.as_ref() != Some(t)),
                    false => None,
                };
                let status = current.filter(|now| last != Some(*now));
                // Changes in the order they happened: shipped before its label, the last
                // parcel's delivery before the order's.
                match (status, tracking) {
                    (Some((order, payment)), tracking) if order != OrderStatus::Delivered || tracking.is_none() => {
                        let finished = matches!(
                            order,
                            OrderStatus::Cancelled | OrderStatus::PaymentFailed | OrderStatus::Delivered
                        );
                        let event = Event::default()
                            .event("status")
                            .json_data(json!({"order_id": id, "status": order.as_str(), "payment": payment.as_str()}))
                            .unwrap_or_default();
                        return Some((
                            Ok::<_, std::convert::Infallible>(event),
                            (state, Some((order, payment)), last_tracking, finished),
                        ));
                    }
                    (_, Some(tracking)) => {
                        let event = Event::default().event("tracking").json_data(&tracking).unwrap_or_default();
                        return Some((Ok(event), (state, last, Some(tracking), false)));
                    }
                    _ => {}
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        },
    );
    let mut response = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineIn {
    variant_id: Uuid,
    quantity: i32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnIn {
    lines: Vec<ReturnLineIn>,
    reason: String,
}

#[utoipa::path(post, path = "/v1/orders/{id}/returns", tag = "checkout", request_body = ReturnIn,
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 201, body = ReturnDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "not shipped, outside the return window, or more units than are left to return")))]
/// Requests a return of shipped units, within the market's withdrawal window.
pub async fn request_return(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<ReturnIn>, JsonRejection>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let order = core_app::orders::load(&state, order_id(&id)?, &order_viewer(&shopper, &headers)?).await?;
    let Json(body) = body?;
    let units: Vec<Units> =
        body.lines.iter().map(|l| Units { variant_id: l.variant_id, quantity: l.quantity }).collect();
    let view = core_app::returns::request(&state, &order, &body.reason, &units).await?;
    Ok((StatusCode::CREATED, Json(ReturnDto::from(view))).into_response())
}

#[utoipa::path(get, path = "/v1/returns/{id}", tag = "checkout", params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = ReturnDto), (status = 404, body = ErrorBody)))]
/// A return of one of the caller's orders.
pub async fn get_return(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ReturnDto>> {
    let Path(id) = path?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::from(core_app::returns::not_found()))?;
    let viewer = order_viewer(&shopper, &headers).map_err(|_| ApiError::from(core_app::returns::not_found()))?;
    Ok(Json(core_app::returns::view(&state, id, &viewer).await?.into()))
}

// ----- staff -----

#[utoipa::path(get, path = "/admin/v1/orders/{id}", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminOrderDto), (status = 404, body = ErrorBody)))]
/// An order with its returns and state history.
pub async fn admin_order(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<AdminOrderDto>> {
    let Path(id) = path?;
    let order = core_app::orders::load(&state, order_id(&id)?, &Viewer::Staff).await?;
    let returns = core_app::returns::of_order(&state, order.id).await?.into_iter().map(ReturnDto::from).collect();
    let history = core_app::orders::history(&state, order.id)
        .await?
        .into_iter()
        .map(|(entity, from, to, reason, at)| json!({"entity": entity, "from": from, "to": to, "reason": reason, "at": rfc3339(at)}))
        .collect();
    Ok(Json(AdminOrderDto {
        email: order.email.clone(),
        ship_to: order.ship_to.clone(),
        order: order.into(),
        returns,
        history,
    }))
}

#[utoipa::path(post, path = "/admin/v1/orders/{id}/ship", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// Ships a confirmed order: captures the payment and takes its stock off the shelves.
pub async fn ship(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<OrderDto>> {
    let Path(id) = path?;
    let id = order_id(&id)?;
    core_app::orders::ship(&state, id).await?;
    Ok(Json(core_app::orders::load(&state, id, &Viewer::Staff).await?.into()))
}

/// Moves a return (404 `return_not_found` for an id that is none).
async fn move_return(state: &AppState, id: &str, to: ReturnStatus, reason: &str) -> ApiResult<ReturnView> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::from(core_app::returns::not_found()))?;
    Ok(core_app::returns::step(state, id, to, reason).await?)
}

#[utoipa::path(post, path = "/admin/v1/returns/{id}/approve", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = ReturnDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// Approves a requested return (the shopper sends the goods back).
pub async fn approve_return(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ReturnDto>> {
    let Path(id) = path?;
    Ok(Json(move_return(&state, &id, ReturnStatus::Approved, "approved").await?.into()))
}

#[utoipa::path(post, path = "/admin/v1/returns/{id}/reject", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = ReturnDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// Rejects a requested return; its units can be returned again.
pub async fn reject_return(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ReturnDto>> {
    let Path(id) = path?;
    Ok(Json(move_return(&state, &id, ReturnStatus::Rejected, "rejected").await?.into()))
}

#[utoipa::path(post, path = "/admin/v1/returns/{id}/receive", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = ReturnDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// The goods are back: restocks them and refunds the shopper through the provider.
pub async fn receive_return(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ReturnDto>> {
    let Path(id) = path?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::from(core_app::returns::not_found()))?;
    Ok(Json(core_app::returns::receive(&state, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockIn {
    on_hand: i64,
    #[serde(default)]
    safety_stock: i64,
    /// Spread the stock over this many rows (1 to 64; default 1), so that as many checkouts
    /// can reserve it at the same moment: for a flash sale.
    #[serde(default = "one_bucket")]
    buckets: u16,
}

fn one_bucket() -> u16 {
    1
}

#[utoipa::path(put, path = "/admin/v1/stock/{warehouse}/{variant}", tag = "admin", request_body = StockIn, security(("service_token" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Sets a variant's stock in a warehouse (what the warehouse system counts).
pub async fn set_stock(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<StockIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let Path((warehouse, variant)) = path?;
    let Json(body) = body?;
    if state.regions.warehouse(&warehouse).is_none() {
        return Err(ApiError::not_found("warehouse_not_found", "no such warehouse"));
    }
    let variant = Uuid::parse_str(&variant).map_err(|_| ApiError::not_found("variant_not_found", "no such variant"))?;
    let level = StockLevel { on_hand: body.on_hand, safety_stock: body.safety_stock, buckets: body.buckets };
    core_app::stock::set(&state, &warehouse, variant, level).await?;
    Ok(StatusCode::NO_CONTENT)
}
