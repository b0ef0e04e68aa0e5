//! Pick requests: the outbox subscriber that asks the warehouse system to pick each confirmed
//! order (`order.confirmed`). The system's client is `core_partners::warehouse`; its callbacks
//! and the stock feed are `core-api`'s.

use std::sync::Arc;

use core_partners::warehouse::{PickRequest, WarehouseClient};
use core_store::commerce::fulfilment as store;
use core_store::commerce::outbox::OutboxEvent;

use crate::outbox::{DeliveryError, DeliveryFuture, Subscriber};

/// Sends a pick request to each warehouse holding stock for a confirmed order. The request id
/// is the event id and the warehouse, so a repeated delivery is recognised by the system.
#[derive(Debug)]
pub struct PickSubscriber {
    pub client: Arc<WarehouseClient>,
    pub store: core_store::Store,
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
