//! Orders after checkout: reading them as their owner or as staff, the shopper's cancellation
//! before shipment (what the order held goes back, its authorization is voided), shipping
//! (the payment captured, the stock taken off the shelves), and the live status and tracking
//! of an order. An order that is not the caller's does not exist (404).

use core_domain::orders::{OrderStatus, PaymentStatus};
use core_domain::pages;
use core_partners::payments::GatewayError;
use core_store::commerce::carts::Owner;
use core_store::commerce::inventory;
use core_store::commerce::orders::{self as store, OrderView, Viewer};
use core_store::commerce::parcels::{self, Label, TimelineEntry};
use http::StatusCode;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};

/// A state change of an order, its payment or one of its returns: entity, from, to, reason,
/// when.
pub type HistoryEntry = (String, Option<String>, String, String, time::OffsetDateTime);

pub fn not_found() -> AppError {
    AppError::not_found("order_not_found", "no such order")
}

/// The order, if `viewer` may see it; 404 otherwise.
pub async fn load(app: &App, id: Uuid, viewer: &Viewer) -> AppResult<OrderView> {
    let client = app.store.client().await?;
    store::view(&client, id, viewer).await?.ok_or_else(not_found)
}

/// A page of a shopper's orders, newest first, after `after` (none: from the newest), at most
/// `limit`; with where the next page starts, when there is one.
pub async fn list(
    app: &App,
    user: Uuid,
    after: Option<pages::After>,
    limit: i64,
) -> AppResult<(Vec<OrderView>, Option<pages::After>)> {
    let client = app.store.client().await?;
    let viewer = Viewer::Owner(Owner::User(user));
    let ids = store::ids_of_user(&client, user, after.and_then(crate::pages::key), limit + 1).await?;
    let (ids, next) = crate::pages::cut(ids, limit, |(id, at)| (*at, *id));
    let mut orders = Vec::new();
    for (id, _) in ids {
        if let Some(o) = store::view(&client, id, &viewer).await? {
            orders.push(o);
        }
    }
    Ok((orders, next))
}

/// Cancels an order before it ships: its stock and promotion uses are given back and the
/// payment authorization is voided.
pub async fn cancel(app: &App, id: Uuid, viewer: &Viewer) -> AppResult<OrderView> {
    let id = load(app, id, viewer).await?.id;
    app.store
        .transaction(|tx| {
            Box::pin(async move {
                store::transition_order(tx, id, OrderStatus::Cancelled, "cancelled by the shopper").await?;
                crate::payments::give_back(tx, id).await
            })
        })
        .await?;
    void_if_authorized(app, id).await;
    load(app, id, viewer).await
}

/// Voids the order's authorization if it has one (a failure is left to reconciliation, which
/// voids authorizations of cancelled orders).
async fn void_if_authorized(app: &App, id: Uuid) {
    let (Some(gateway), Ok(order)) = (&app.payments, load(app, id, &Viewer::Staff).await) else { return };
    if order.payment.status != PaymentStatus::Authorized {
        return;
    }
    let Some(auth) = order.payment.provider_ref else { return };
    match gateway.void(&auth).await {
        Ok(voided) => {
            if let Err(e) = crate::payments::apply_authorization(app, id, &voided, "voided: order cancelled").await {
                tracing::warn!(order = %id, error = ?e, "recording the void failed");
            }
        }
        Err(e) => tracing::warn!(order = %id, error = %e, "void failed"),
    }
}

/// The payment provider's refusal or absence, as answered to staff.
pub fn provider_failed(e: GatewayError) -> AppError {
    match e {
        GatewayError::Refused { code, .. } => {
            AppError::new(StatusCode::CONFLICT, "payment_refused", format!("the payment provider refused: {code}"))
        }
        other => AppError::new(StatusCode::SERVICE_UNAVAILABLE, "payments_unavailable", other.to_string()),
    }
}

/// Ships a confirmed order (the admin action, or the warehouse system's shipped callback):
/// captures its payment, then commits its stock and moves it to shipped in one transaction.
pub async fn ship(app: &App, id: Uuid) -> AppResult<()> {
    let order = load(app, id, &Viewer::Staff).await?;
    if order.status != OrderStatus::Confirmed {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            format!("a {} order cannot ship", order.status),
        ));
    }
    let gateway =
        app.payments.clone().ok_or_else(|| provider_failed(GatewayError::Unavailable("not configured".into())))?;
    if order.payment.status == PaymentStatus::Authorized {
        let auth = order
            .payment
            .provider_ref
            .clone()
            .ok_or_else(|| AppError::internal("authorized payment without a reference"))?;
        let captured = gateway.capture(&auth, order.total_minor).await.map_err(provider_failed)?;
        crate::payments::apply_authorization(app, order.id, &captured, "captured at shipment").await?;
    }
    let id = order.id;
    app.store
        .transaction(|tx| {
            Box::pin(async move {
                inventory::commit(tx, id).await?;
                store::transition_order(tx, id, OrderStatus::Shipped, "shipped").await?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    Ok(())
}

/// An order's state and its payment's, read without locks (the live status); `None` for an
/// unknown order.
pub async fn status(app: &App, id: Uuid) -> AppResult<Option<(OrderStatus, PaymentStatus)>> {
    let client = app.store.client().await?;
    Ok(store::status(&client, id).await?.map(|(order, payment, _)| (order, payment)))
}

/// An order's labels (oldest first) and its tracking timeline, by carrier time, from one
/// snapshot (a webhook committing between two reads would show a timeline its label's status
/// and ETA do not match).
pub async fn tracking(app: &App, order: Uuid) -> AppResult<(Vec<Label>, Vec<TimelineEntry>)> {
    Ok(app.store.transaction(|tx| Box::pin(async move { parcels::tracking(tx, order).await })).await?)
}

/// An order's state history (entity, from, to, reason, when) for staff.
pub async fn history(app: &App, order: Uuid) -> AppResult<Vec<HistoryEntry>> {
    let client = app.store.client().await?;
    Ok(store::history(&client, order).await?)
}
