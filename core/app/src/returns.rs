//! Returns: the shopper asks within the market's withdrawal window for units of a shipped
//! order; staff approve or reject, then receive the goods, which restocks them and refunds the
//! shopper through the payment provider (once per return, whatever the retries).

use core_domain::orders::{self, OrderStatus, PaymentStatus, ReturnStatus};
use core_partners::payments::GatewayError;
use core_store::commerce::inventory;
use core_store::commerce::orders::{self as store, OrderView, PaymentUpdate, ReturnLine, ReturnView, Viewer};
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::metrics::METRICS;
use crate::orders::{load, provider_failed};

fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::unprocessable(code, message)
}

pub fn not_found() -> AppError {
    AppError::not_found("return_not_found", "no such return")
}

/// Units of one of the order's lines to send back.
#[derive(Clone, Copy, Debug)]
pub struct Units {
    pub variant_id: Uuid,
    pub quantity: i32,
}

/// Requests a return of shipped units of `order`, within the market's withdrawal window.
pub async fn request(app: &App, order: &OrderView, reason: &str, units: &[Units]) -> AppResult<ReturnView> {
    if reason.trim().is_empty() || reason.chars().count() > 500 {
        return Err(unprocessable("validation_failed", "`reason` must be 1-500 characters"));
    }
    if units.is_empty() {
        return Err(unprocessable("validation_failed", "return at least one unit"));
    }
    let (Some(shipped_at), OrderStatus::Shipped | OrderStatus::Delivered) = (order.shipped_at, order.status) else {
        return Err(unprocessable("not_shipped", "only shipped orders can be returned"));
    };
    let market = app.regions.market(&order.market).ok_or_else(|| AppError::internal("order of an unknown market"))?;
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
    for l in units {
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
    let units_now: i32 = units.iter().map(|l| l.quantity).sum();
    if units_left == units_now {
        let line_tax: i64 = order.lines.iter().map(|l| l.tax_minor).sum();
        let shipping_tax = if order.prices_include_tax { 0 } else { order.tax_minor - line_tax };
        refund += order.shipping_minor + shipping_tax;
    }
    let reason = reason.trim().to_string();
    let oid = order.id;
    let return_id = app
        .store
        .transaction(|tx| {
            let (lines, reason) = (lines.clone(), reason.clone());
            Box::pin(async move { store::create_return(tx, oid, &reason, &lines, refund).await })
        })
        .await?;
    let client = app.store.client().await?;
    store::return_view(&client, return_id).await?.ok_or_else(|| AppError::internal("return vanished"))
}

/// A return, if `viewer` may see its order; 404 otherwise.
pub async fn view(app: &App, id: Uuid, viewer: &Viewer) -> AppResult<ReturnView> {
    let view = {
        let client = app.store.client().await?;
        store::return_view(&client, id).await?.ok_or_else(not_found)?
    };
    load(app, view.order_id, viewer).await.map_err(|_| not_found())?;
    Ok(view)
}

/// The returns of an order, oldest first.
pub async fn of_order(app: &App, order: Uuid) -> AppResult<Vec<ReturnView>> {
    let client = app.store.client().await?;
    let mut returns = Vec::new();
    for r in store::returns_of(&client, order).await? {
        if let Some(v) = store::return_view(&client, r).await? {
            returns.push(v);
        }
    }
    Ok(returns)
}

/// Moves a return to `to` (staff's approval or rejection, the goods received).
pub async fn step(app: &App, id: Uuid, to: ReturnStatus, reason: &str) -> AppResult<ReturnView> {
    let reason = reason.to_string();
    app.store
        .transaction(|tx| {
            let reason = reason.clone();
            Box::pin(async move { store::transition_return(tx, id, to, &reason).await })
        })
        .await?;
    let client = app.store.client().await?;
    store::return_view(&client, id).await?.ok_or_else(not_found)
}

/// The goods are back: restocks them and refunds the shopper through the provider.
pub async fn receive(app: &App, id: Uuid) -> AppResult<ReturnView> {
    let received = step(app, id, ReturnStatus::Received, "received").await?;
    let order = load(app, received.order_id, &Viewer::Staff).await?;
    let gateway =
        app.payments.clone().ok_or_else(|| provider_failed(GatewayError::Unavailable("not configured".into())))?;
    let auth = order
        .payment
        .provider_ref
        .clone()
        .ok_or_else(|| AppError::internal("paid order without a payment reference"))?;
    // Idempotent by return: a retry refunds once.
    gateway.refund(&auth, received.refund_minor, &received.id.to_string()).await.map_err(provider_failed)?;
    METRICS.refunds.inc();
    let refunded = order.payment.refunded_minor + received.refund_minor;
    let to = if refunded >= order.payment.captured_minor {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    let (order_id, return_id, lines) = (order.id, received.id, received.lines.clone());
    app.store
        .transaction(|tx| {
            let lines = lines.clone();
            Box::pin(async move {
                let update = PaymentUpdate { refunded_minor: Some(refunded), ..PaymentUpdate::default() };
                store::update_payment(tx, order_id, to, &update, "return refunded").await?;
                for l in &lines {
                    inventory::restock(tx, order_id, l.variant_id, i64::from(l.quantity)).await?;
                }
                store::transition_return(tx, return_id, ReturnStatus::Refunded, "refunded").await?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    let client = app.store.client().await?;
    store::return_view(&client, return_id).await?.ok_or_else(|| AppError::internal("return vanished"))
}
