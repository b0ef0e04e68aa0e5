//! The warehouse system: the outbox subscriber that asks it to pick each confirmed order
//! (`order.confirmed`), and its news of shipments (an order ships once every warehouse holding
//! its stock has shipped). Its client is `core_partners::warehouse`; its signed callbacks are
//! verified by `core-api`; its stock feed is [`crate::stock_feed`].

use std::sync::Arc;

use core_domain::orders::OrderStatus;
use core_partners::warehouse::{PickRequest, WarehouseClient};
use core_store::commerce::fulfilment::{self as store, Shipment};
use core_store::commerce::orders::Viewer;
use core_store::commerce::outbox::OutboxEvent;
use uuid::Uuid;

use crate::App;
use crate::error::AppResult;
use crate::outbox::{DeliveryError, DeliveryFuture, Subscriber};

/// What a shipment the warehouse system reported did.
#[derive(Clone, Copy, Debug)]
pub struct Shipped {
    /// Whether the shipment was new (false: a repeated callback).
    pub new: bool,
    /// Whether the order shipped with it (payment captured, stock committed).
    pub order_shipped: bool,
}

/// Records a shipment once (by the system's reference) and, when every warehouse of the order
/// has shipped, ships the confirmed order (see [`crate::orders::ship`]). `None` for an order we
/// do not know.
pub async fn shipped(app: &App, shipment: &Shipment) -> AppResult<Option<Shipped>> {
    let recorded = app
        .write(shipment, |tx, _, shipment| Box::pin(async move { store::record_shipment(tx, &shipment).await }))
        .await;
    let (new, complete) = match recorded {
        Ok(r) => r,
        Err(e) if e.code == "order_not_found" => return Ok(None),
        Err(e) => return Err(e),
    };
    let order = crate::orders::load(app, shipment.order_id, &Viewer::Staff).await?;
    let ship = complete && order.status == OrderStatus::Confirmed;
    if ship {
        crate::orders::ship(app, shipment.order_id).await?;
    } else if complete && order.status != OrderStatus::Shipped {
        tracing::warn!(order = %shipment.order_id, status = %order.status, "the warehouse shipped an order that is not confirmed");
    }
    Ok(Some(Shipped { new, order_shipped: ship }))
}

/// An order's shipments, as the warehouse system reported them.
pub async fn shipments(app: &App, order: Uuid) -> AppResult<Vec<Shipment>> {
    let client = app.store.client().await?;
    Ok(store::shipments(&client, order).await?)
}

/// Sends a pick request to each warehouse holding stock for a confirmed order. The request id
/// is the event id and the warehouse, so a repeated delivery is recognised by the system.
#[derive(Debug)]
pub struct PickSubscriber {
    pub client: Arc<WarehouseClient>,
    pub store: core_store::Store,
}

impl PickSubscriber {
    /// Pick requests to the warehouse system `client`, for the application's orders.
    pub fn new(app: &App, client: Arc<WarehouseClient>) -> Self {
        Self { client, store: app.store.clone() }
    }
}

impl Subscriber for PickSubscriber {
    fn name(&self) -> &str {
        "warehouse-picks"
    }

    fn wants(&self, topic: &str) -> bool {
        topic == "order.confirmed"
    }

    fn deliver<'a>(&'a self, event: &'a OutboxEvent) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let transient = |e: core_store::commerce::CommerceError| DeliveryError::transient(e.to_string());
            let client = self.store.client().await.map_err(|e| DeliveryError::transient(e.to_string()))?;
            let Some((number, picks)) = store::picks(&client, event.aggregate_id).await.map_err(transient)? else {
                return Err(DeliveryError { http_status: None, message: "no such order".into(), permanent: true });
            };
            drop(client);
            let mut last = None;
            for pick in picks {
                let id = format!("{}:{}", event.id, pick.warehouse);
                let request = PickRequest {
                    id: &id,
                    order_id: event.aggregate_id,
                    order_number: &number,
                    warehouse: &pick.warehouse,
                    lines: &pick.lines,
                };
                last = Some(self.client.pick(&request).await?);
            }
            Ok(last)
        })
    }
}
