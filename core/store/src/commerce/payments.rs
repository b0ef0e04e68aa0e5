//! What applying the payment provider's news reads before it writes: where an order and its
//! payment stand, and whether another transaction holds the payment.

use core_domain::orders::{OrderStatus, PaymentStatus};
use deadpool_postgres::GenericClient;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use super::Result;
use crate::Prepared;
use crate::StoreError;

/// Where an order and its payment stand.
#[derive(Clone, Debug)]
pub struct PaymentState {
    pub order: OrderStatus,
    pub payment: PaymentStatus,
    pub region: String,
    /// Whether the provider's id of the payment is known.
    pub has_provider_ref: bool,
}

/// The states of an order and its payment, read without locks; `None` for an unknown order.
pub async fn state(client: &impl GenericClient, order: Uuid) -> Result<Option<PaymentState>> {
    let row = client
        .query_opt_cached(
            "SELECT o.status, o.region, p.status, p.provider_ref IS NOT NULL FROM orders o \
             JOIN payments p ON p.order_id = o.id WHERE o.id = $1",
            &[&order],
        )
        .await?;
    Ok(row.map(|row| {
        let (order_status, payment_status): (String, String) = (row.get(0), row.get(2));
        PaymentState {
            order: OrderStatus::parse(&order_status).unwrap_or(OrderStatus::PendingPayment),
            payment: PaymentStatus::parse(&payment_status).unwrap_or(PaymentStatus::Pending),
            region: row.get(1),
            has_provider_ref: row.get(3),
        }
    }))
}

/// Locks an order's payment row for the rest of the transaction unless another transaction
/// holds it: false then, at once, without waiting.
pub async fn lock_unless_busy(tx: &impl GenericClient, order: Uuid) -> Result<bool> {
    match tx.query_opt_cached("SELECT 1 FROM payments WHERE order_id = $1 FOR UPDATE NOWAIT", &[&order]).await {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Ok(false),
        Err(e) => Err(StoreError::from(e).into()),
    }
}

/// An order's state, locked for the rest of the transaction, and its payment's state.
pub async fn lock_order_with_payment_state(
    tx: &impl GenericClient,
    order: Uuid,
) -> Result<(OrderStatus, PaymentStatus)> {
    let status: String =
        tx.query_one_cached("SELECT status FROM orders WHERE id = $1 FOR UPDATE", &[&order]).await?.get(0);
    let payment: String =
        tx.query_one_cached("SELECT status FROM payments WHERE order_id = $1", &[&order]).await?.get(0);
    Ok((
        OrderStatus::parse(&status).unwrap_or(OrderStatus::PendingPayment),
        PaymentStatus::parse(&payment).unwrap_or(PaymentStatus::Pending),
    ))
}
