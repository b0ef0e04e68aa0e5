//! Orders for their owners (a shopper's session, or the guest's cart token): reading them,
//! cancelling before shipment (the authorization is voided), live status over server-sent
//! events, and returns within the market's window. Staff ship orders (capturing the payment),
//! decide and receive returns (refunding through the provider and restocking), and set stock.
//! An order that is not the caller's does not exist (404).

use core_store::Prepared;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use core_domain::orders::{self, OrderStatus, PaymentStatus, ReturnStatus};
use core_store::commerce::inventory;
use core_store::commerce::orders::{self as store, OrderView, PaymentUpdate, ReturnLine, Viewer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

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
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::admin::require_support));
    let stock = Router::new()
        .route("/admin/v1/stock/{warehouse}/{variant}", put(set_stock))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state, crate::admin::require_token));
    support.merge(stock)
}

#[derive(Serialize, ToSchema)]
pub struct OrderLineDto {
    variant_id: Uuid,
    sku: String,
    quantity: i32,
    unit_price_minor: i64,
    discount_minor: i64,
    total_minor: i64,
    tax_minor: i64,
    returned_quantity: i32,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentDto {
    /// `pending`, `requires_action`, `authorized`, `declined`, `voided`, `captured`,
    /// `partially_refunded`, `refunded`.
    status: &'static str,
    amount_minor: i64,
    captured_minor: i64,
    refunded_minor: i64,
    /// When the shopper must act (3-D Secure): where to send them.
    next_action: Option<Value>,
    decline_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderDto {
    id: Uuid,
    number: String,
    market: String,
    /// `pending_payment`, `confirmed`, `payment_failed`, `cancelled`, `shipped`.
    status: &'static str,
    currency: String,
    prices_include_tax: bool,
    subtotal_minor: i64,
    discount_minor: i64,
    shipping_minor: i64,
    tax_minor: i64,
    total_minor: i64,
    lines: Vec<OrderLineDto>,
    payment: PaymentDto,
    created_at: String,
    shipped_at: Option<String>,
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl From<OrderView> for OrderDto {
    fn from(o: OrderView) -> Self {
        Self {
            id: o.id,
            number: o.number,
            market: o.market,
            status: o.status.as_str(),
            currency: o.currency,
            prices_include_tax: o.prices_include_tax,
            subtotal_minor: o.subtotal_minor,
            discount_minor: o.discount_minor,
            shipping_minor: o.shipping_minor,
            tax_minor: o.tax_minor,
            total_minor: o.total_minor,
            lines: o
                .lines
                .into_iter()
                .map(|l| OrderLineDto {
                    variant_id: l.variant_id,
                    sku: l.sku,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                    discount_minor: l.discount_minor,
                    total_minor: l.total_minor,
                    tax_minor: l.tax_minor,
                    returned_quantity: l.returned_quantity,
                })
                .collect(),
            payment: PaymentDto {
                status: o.payment.status.as_str(),
                amount_minor: o.payment.amount_minor,
                captured_minor: o.payment.captured_minor,
                refunded_minor: o.payment.refunded_minor,
                next_action: o.payment.next_action,
                decline_code: o.payment.decline_code,
            },
            created_at: rfc3339(o.created_at),
            shipped_at: o.shipped_at.map(rfc3339),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("order_not_found", "no such order")
}

fn order_id(s: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| not_found())
}

/// The order, if `viewer` may see it; 404 otherwise.
pub(crate) async fn load(state: &AppState, id: Uuid, viewer: &Viewer) -> ApiResult<OrderView> {
    let client = state.store.client().await?;
    store::view(&client, id, viewer).await?.ok_or_else(not_found)
}

/// The id of an order the caller may see (session or cart token); 404 otherwise.
pub(crate) async fn visible(
    state: &AppState,
    shopper: &MaybeShopper,
    headers: &HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Uuid> {
    let Path(id) = path.map_err(|_| not_found())?;
    Ok(load(state, order_id(&id)?, &viewer(shopper, headers)?).await?.id)
}

fn viewer(shopper: &MaybeShopper, headers: &HeaderMap) -> ApiResult<Viewer> {
    crate::carts::owner(shopper, headers).map(Viewer::Owner).map_err(|_| not_found())
}

#[derive(Serialize, ToSchema)]
pub struct OrderList {
    items: Vec<OrderDto>,
}

#[utoipa::path(get, path = "/v1/orders", tag = "checkout", responses((status = 200, body = OrderList), (status = 401, body = ErrorBody)))]
/// The shopper's orders, newest first (the last 50).
pub async fn list(State(state): State<AppState>, shopper: crate::auth::Shopper) -> ApiResult<Json<OrderList>> {
    let client = state.store.client().await?;
    let ids: Vec<Uuid> = client
        .query_cached("SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 50", &[&shopper.user_id])
        .await
        .map_err(core_store::StoreError::from)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let viewer = Viewer::Owner(core_store::commerce::carts::Owner::User(shopper.user_id));
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(o) = store::view(&client, id, &viewer).await? {
            items.push(o.into());
        }
    }
    Ok(Json(OrderList { items }))
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
    Ok(Json(load(&state, order_id(&id)?, &viewer(&shopper, &headers)?).await?.into()))
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
    let viewer = viewer(&shopper, &headers)?;
    let order = load(&state, order_id(&id)?, &viewer).await?;
    let id = order.id;
    state
        .store
        .transaction(|tx| {
            Box::pin(async move {
                store::transition_order(tx, id, OrderStatus::Cancelled, "cancelled by the shopper").await?;
                crate::webhooks::give_back(tx, id).await
            })
        })
        .await?;
    void_if_authorized(&state, id).await;
    Ok(Json(load(&state, id, &viewer).await?.into()))
}

/// Voids the order's authorization if it has one (a failure is left to reconciliation, which
/// voids authorizations of cancelled orders).
async fn void_if_authorized(state: &AppState, id: Uuid) {
    let (Some(gateway), Ok(order)) = (&state.payments, load(state, id, &Viewer::Staff).await) else { return };
    if order.payment.status != PaymentStatus::Authorized {
        return;
    }
    let Some(auth) = order.payment.provider_ref else { return };
    match gateway.void(&auth).await {
        Ok(voided) => {
            if let Err(e) = crate::webhooks::apply_authorization(state, id, &voided, "voided: order cancelled").await {
                tracing::warn!(order = %id, error = ?e, "recording the void failed");
            }
        }
        Err(e) => tracing::warn!(order = %id, error = %e, "void failed"),
    }
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
    let id = visible(&state, &shopper, &headers, path).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15 * 60);
    let stream = futures::stream::unfold(
        (state, None::<(OrderStatus, PaymentStatus)>, None::<Value>, false),
        move |(state, last, last_tracking, done)| async move {
            if done {
                return None;
            }
            loop {
                if tokio::time::Instant::now() > deadline {
                    return None;
                }
                let current = match state.store.client().await {
                    Ok(client) => store::status(&client, id).await.ok().flatten(),
                    Err(_) => None,
                };
                let shipped = current
                    .as_ref()
                    .is_some_and(|(order, ..)| matches!(order, OrderStatus::Shipped | OrderStatus::Delivered));
                let tracking = match shipped {
                    true => crate::carriers::tracking_view(&state, id).await.ok().filter(|t| {
                        t["timeline"].as_array().is_some_and(|t| !t.is_empty()) && last_tracking.as_ref() != Some(t)
                    }),
                    false => None,
                };
                let status = current.map(|(order, payment, _)| (order, payment)).filter(|now| last != Some(*now));
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

#[derive(Serialize, ToSchema)]
pub struct ReturnDto {
    id: Uuid,
    order_id: Uuid,
    /// `requested`, `approved`, `rejected`, `received`, `refunded`.
    status: &'static str,
    reason: String,
    /// What the shopper gets back: the returned units' share of what they paid (discounts and
    /// tax prorated), and shipping when everything comes back.
    refund_minor: i64,
    lines: Vec<ReturnLineDto>,
    created_at: String,
    /// The carrier's label for sending the units back, once the approved return has one.
    return_label: Option<ReturnLabelDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnLabelDto {
    carrier: String,
    tracking_number: String,
    label_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnLineDto {
    variant_id: Uuid,
    quantity: i32,
    refund_minor: i64,
}

impl From<store::ReturnView> for ReturnDto {
    fn from(r: store::ReturnView) -> Self {
        Self {
            id: r.id,
            order_id: r.order_id,
            status: r.status.as_str(),
            reason: r.reason,
            refund_minor: r.refund_minor,
            lines: r
                .lines
                .into_iter()
                .map(|l| ReturnLineDto { variant_id: l.variant_id, quantity: l.quantity, refund_minor: l.refund_minor })
                .collect(),
            created_at: rfc3339(r.created_at),
            return_label: r.return_label.map(|l| ReturnLabelDto {
                carrier: l.carrier,
                tracking_number: l.tracking_number,
                label_url: l.label_url,
            }),
        }
    }
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
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
    let order = load(&state, order_id(&id)?, &viewer(&shopper, &headers)?).await?;
    let Json(body) = body?;
    if body.reason.trim().is_empty() || body.reason.chars().count() > 500 {
        return Err(unprocessable("validation_failed", "`reason` must be 1-500 characters"));
    }
    if body.lines.is_empty() {
        return Err(unprocessable("validation_failed", "return at least one unit"));
    }
    let (Some(shipped_at), OrderStatus::Shipped | OrderStatus::Delivered) = (order.shipped_at, order.status) else {
        return Err(unprocessable("not_shipped", "only shipped orders can be returned"));
    };
    let market = state.regions.market(&order.market).ok_or_else(|| ApiError::internal("order of an unknown market"))?;
    let window = time::Duration::days(i64::from(market.rules.return_window_days));
    if time::OffsetDateTime::now_utc() > shipped_at + window {
        return Err(unprocessable(
            "return_window_closed",
            format!("returns close {} days after shipment", market.rules.return_window_days),
        ));
    }
    // What each returned unit is worth: what was paid for the line (tax on top in sales-tax
    // markets), split across its units so that all returns of a line add up to it exactly.
    let mut lines = Vec::new();
    let mut refund = 0i64;
    let mut seen = std::collections::BTreeSet::new();
    for l in &body.lines {
        if !seen.insert(l.variant_id) {
            return Err(unprocessable("validation_failed", "a variant appears twice"));
        }
        let ordered = order
            .lines
            .iter()
            .find(|o| o.variant_id == l.variant_id)
            .ok_or_else(|| unprocessable("invalid_return", "the order has no such line"))?;
        if l.quantity < 1 || l.quantity + ordered.returned_quantity > ordered.quantity {
            return Err(unprocessable(
                "invalid_return",
                format!(
                    "at most {} units of `{}` left to return",
                    ordered.quantity - ordered.returned_quantity,
                    ordered.sku
                ),
            ));
        }
        let paid = ordered.total_minor + if order.prices_include_tax { 0 } else { ordered.tax_minor };
        let amount =
            orders::line_refund(paid, ordered.quantity as u32, ordered.returned_quantity as u32, l.quantity as u32);
        refund += amount;
        lines.push(ReturnLine { variant_id: l.variant_id, quantity: l.quantity, refund_minor: amount });
    }
    // Everything back: shipping is refunded too.
    let units_left: i32 = order.lines.iter().map(|o| o.quantity - o.returned_quantity).sum();
    let units_now: i32 = body.lines.iter().map(|l| l.quantity).sum();
    if units_left == units_now {
        let line_tax: i64 = order.lines.iter().map(|l| l.tax_minor).sum();
        let shipping_tax = if order.prices_include_tax { 0 } else { order.tax_minor - line_tax };
        refund += order.shipping_minor + shipping_tax;
    }
    let reason = body.reason.trim().to_string();
    let oid = order.id;
    let return_id = state
        .store
        .transaction(|tx| {
            let (lines, reason) = (lines.clone(), reason.clone());
            Box::pin(async move { store::create_return(tx, oid, &reason, &lines, refund).await })
        })
        .await?;
    let client = state.store.client().await?;
    let view = store::return_view(&client, return_id).await?.ok_or_else(|| ApiError::internal("return vanished"))?;
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
    let missing = || ApiError::not_found("return_not_found", "no such return");
    let id = Uuid::parse_str(&id).map_err(|_| missing())?;
    let view = {
        let client = state.store.client().await?;
        store::return_view(&client, id).await?.ok_or_else(missing)?
    };
    load(&state, view.order_id, &viewer(&shopper, &headers)?).await.map_err(|_| missing())?;
    Ok(Json(view.into()))
}

// ----- staff -----

#[derive(Serialize, ToSchema)]
pub struct AdminOrderDto {
    order: OrderDto,
    email: Option<String>,
    ship_to: Option<Value>,
    returns: Vec<ReturnDto>,
    /// Every state change of the order, its payment and its returns.
    history: Vec<Value>,
}

#[utoipa::path(get, path = "/admin/v1/orders/{id}", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminOrderDto), (status = 404, body = ErrorBody)))]
/// An order with its returns and state history.
pub async fn admin_order(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<AdminOrderDto>> {
    let Path(id) = path?;
    let order = load(&state, order_id(&id)?, &Viewer::Staff).await?;
    let client = state.store.client().await?;
    let mut returns = Vec::new();
    for r in store::returns_of(&client, order.id).await? {
        if let Some(v) = store::return_view(&client, r).await? {
            returns.push(v.into());
        }
    }
    let history = store::history(&client, order.id)
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

fn provider_failed(e: core_partners::payments::GatewayError) -> ApiError {
    match e {
        core_partners::payments::GatewayError::Refused { code, .. } => {
            ApiError::new(StatusCode::CONFLICT, "payment_refused", format!("the payment provider refused: {code}"))
        }
        other => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "payments_unavailable", other.to_string()),
    }
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
    ship_order(&state, id).await?;
    Ok(Json(load(&state, id, &Viewer::Staff).await?.into()))
}

/// Ships a confirmed order (the admin action, or the warehouse system's shipped callback):
/// captures its payment, then commits its stock and moves it to shipped in one transaction.
pub(crate) async fn ship_order(state: &AppState, id: Uuid) -> ApiResult<()> {
    let order = load(state, id, &Viewer::Staff).await?;
    if order.status != OrderStatus::Confirmed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            format!("a {} order cannot ship", order.status),
        ));
    }
    let gateway = state
        .payments
        .clone()
        .ok_or_else(|| provider_failed(core_partners::payments::GatewayError::Unavailable("not configured".into())))?;
    if order.payment.status == PaymentStatus::Authorized {
        let auth = order
            .payment
            .provider_ref
            .clone()
            .ok_or_else(|| ApiError::internal("authorized payment without a reference"))?;
        let captured = gateway.capture(&auth, order.total_minor).await.map_err(provider_failed)?;
        crate::webhooks::apply_authorization(state, order.id, &captured, "captured at shipment").await?;
    }
    let id = order.id;
    state
        .store
        .transaction(|tx| {
            Box::pin(async move {
                inventory::commit(tx, id).await?;
                store::transition_order(tx, id, OrderStatus::Shipped, "shipped").await?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(())
}

async fn move_return(state: &AppState, id: &str, to: ReturnStatus, reason: &str) -> ApiResult<store::ReturnView> {
    let missing = || ApiError::not_found("return_not_found", "no such return");
    let id = Uuid::parse_str(id).map_err(|_| missing())?;
    let reason = reason.to_string();
    state
        .store
        .transaction(|tx| {
            let reason = reason.clone();
            Box::pin(async move { store::transition_return(tx, id, to, &reason).await })
        })
        .await?;
    let client = state.store.client().await?;
    store::return_view(&client, id).await?.ok_or_else(missing)
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
    let received = move_return(&state, &id, ReturnStatus::Received, "received").await?;
    let order = load(&state, received.order_id, &Viewer::Staff).await?;
    let gateway = state
        .payments
        .clone()
        .ok_or_else(|| provider_failed(core_partners::payments::GatewayError::Unavailable("not configured".into())))?;
    let auth = order
        .payment
        .provider_ref
        .clone()
        .ok_or_else(|| ApiError::internal("paid order without a payment reference"))?;
    // Idempotent by return: a retry refunds once.
    gateway.refund(&auth, received.refund_minor, &received.id.to_string()).await.map_err(provider_failed)?;
    crate::metrics::METRICS.refunds.inc();
    let refunded = order.payment.refunded_minor + received.refund_minor;
    let to = if refunded >= order.payment.captured_minor {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    let (order_id, return_id, lines) = (order.id, received.id, received.lines.clone());
    state
        .store
        .transaction(|tx| {
            let lines = lines.clone();
            Box::pin(async move {
                let update = PaymentUpdate { refunded_minor: Some(refunded), ..PaymentUpdate::default() };
                store::update_payment(tx, order_id, to, &update, "return refunded").await?;
                for l in &lines {
                    inventory::restock(tx, order_id, l.variant_id, i64::from(l.quantity)).await?;
                }
                store::transition_return(tx, return_id, ReturnStatus::Refunded, "refunded").await?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    let client = state.store.client().await?;
    Ok(Json(store::return_view(&client, return_id).await?.ok_or_else(|| ApiError::internal("return vanished"))?.into()))
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
    let (region, w) = state
        .regions
        .warehouse(&warehouse)
        .ok_or_else(|| ApiError::not_found("warehouse_not_found", "no such warehouse"))?;
    let variant = Uuid::parse_str(&variant).map_err(|_| ApiError::not_found("variant_not_found", "no such variant"))?;
    let (warehouse, region) = (w.id.clone(), region.id.clone());
    state
        .store
        .transaction(|tx| {
            let (warehouse, region) = (warehouse.clone(), region.clone());
            Box::pin(async move {
                inventory::set_stock(tx, &warehouse, &region, variant, body.on_hand, body.safety_stock, body.buckets)
                    .await
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
