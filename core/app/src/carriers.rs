//! Parcel carriers: the outbox subscribers that buy labels (each warehouse shipment of a
//! shipped order is labelled with the carrier and service the shopper was charged for, and
//! each approved return gets its return label), and the carriers' tracking events, which build
//! each order's tracking timeline and complete the order once every parcel is delivered. The
//! carriers' clients are in `core_partners::carriers`; their signed webhooks are verified by
//! `core-api`.

use std::sync::Arc;

use core_partners::carriers::{Carrier, Rate, ShipmentSpec, cheapest};
use core_store::commerce::outbox::OutboxEvent;
use core_store::commerce::shipping::{self as store, NewLabel, ReturnLabel, Tracked, TrackingEvent, Unlabelled};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::outbox::{DeliveryError, DeliveryFuture, Subscriber};

/// The configured carrier of `code` (404 `unknown_carrier`).
pub fn carrier<'a>(app: &'a App, code: &str) -> AppResult<&'a Arc<dyn Carrier>> {
    app.carriers
        .iter()
        .find(|c| c.code() == code)
        .ok_or_else(|| AppError::not_found("unknown_carrier", "no such carrier"))
}

/// Applies a carrier's tracking event: recorded once per carrier event id, the parcel's status
/// and ETA recomputed from its timeline (the latest event by the carrier's time wins; terminal
/// ones hold), and the order delivered once every parcel is. `None` for a label that is not
/// ours.
pub async fn track(app: &App, event: &TrackingEvent) -> AppResult<Option<Tracked>> {
    app.write(event, |tx, _, event| Box::pin(async move { store::record_tracking(tx, &event).await })).await
}

fn transient(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::transient(e.to_string())
}

/// Labels each warehouse shipment of a shipped order (`order.shipped`) with the carrier and
/// service the order was charged for (its rate recorded as the label's cost); an order placed
/// before shipping options existed gets the cheapest offer of every carrier. The label is made
/// with the shipment id as idempotency key (a repeated delivery finds the same label) and
/// recorded once per shipment.
#[derive(Debug)]
pub struct LabelSubscriber {
    pub carriers: Arc<Vec<Arc<dyn Carrier>>>,
    pub store: core_store::Store,
}

impl LabelSubscriber {
    /// Labels bought from the application's carriers.
    pub fn new(app: &App) -> Self {
        Self { carriers: app.carriers.clone(), store: app.store.clone() }
    }
}

/// The carrier and rate a shipment is labelled with: the order's carrier and service when it
/// has them, else the cheapest offer of every carrier.
async fn choose<'c>(
    carriers: &'c [Arc<dyn Carrier>],
    spec: &ShipmentSpec,
    carrier: Option<&str>,
    service: Option<&str>,
) -> Result<(&'c Arc<dyn Carrier>, Rate), DeliveryError> {
    let mut rates = Vec::new();
    let mut failure = None;
    for c in carriers.iter().filter(|c| carrier.is_none_or(|chosen| chosen == c.code())) {
        match c.rates(spec).await {
            Ok(r) => rates.extend(r),
            Err(e) => {
                tracing::warn!(carrier = c.code(), error = %e.message, "no rates from a carrier");
                failure = Some(e);
            }
        }
    }
    if let Some(service) = service {
        rates.retain(|r| r.service == service);
    }
    let Some(best) = cheapest(&rates).cloned() else {
        return Err(failure.unwrap_or_else(|| transient("no carrier offers this shipment")));
    };
    let carrier = carriers.iter().find(|c| c.code() == best.carrier).ok_or_else(|| transient("no carrier"))?;
    Ok((carrier, best))
}

impl LabelSubscriber {
    async fn label(&self, shipment: &Unlabelled) -> Result<(), DeliveryError> {
        let spec = ShipmentSpec {
            reference: shipment.reference.clone(),
            origin: shipment.warehouse.clone(),
            country: shipment.country.clone(),
            currency: shipment.currency.clone(),
            parcels: shipment.parcels.clone(),
        };
        let (carrier, best) =
            choose(&self.carriers, &spec, shipment.carrier.as_deref(), shipment.service.as_deref()).await?;
        let made = carrier.create_label(&spec, &best.service).await?;
        let label = NewLabel {
            shipment_id: shipment.shipment_id,
            carrier: best.carrier.clone(),
            service: best.service.clone(),
            amount_minor: best.amount_minor,
            currency: shipment.currency.clone(),
            carrier_label_id: made.carrier_label_id,
            tracking_number: made.tracking_number,
            label_url: made.label_url,
            eta: made.eta,
        };
        self.store
            .transaction(|tx| {
                let label = label.clone();
                Box::pin(async move { store::record_label(tx, &label).await })
            })
            .await
            .map_err(transient)?;
        Ok(())
    }
}

impl Subscriber for LabelSubscriber {
    fn name(&self) -> &str {
        "carrier-labels"
    }

    fn wants(&self, topic: &str) -> bool {
        topic == "order.shipped"
    }

    fn deliver<'a>(&'a self, event: &'a OutboxEvent) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let client = self.store.client().await.map_err(transient)?;
            let shipments = store::unlabelled(&client, event.aggregate_id).await.map_err(transient)?;
            drop(client);
            for shipment in &shipments {
                self.label(shipment).await?;
            }
            Ok(None)
        })
    }
}

/// Makes the return label of an approved return (`return.approved`) with the order's carrier
/// and service (the cheapest offer of every carrier for orders placed before shipping
/// options), the return id as the carrier's reference and idempotency key (a repeated
/// delivery finds the same label), and records it once per return.
#[derive(Debug)]
pub struct ReturnLabelSubscriber {
    pub carriers: Arc<Vec<Arc<dyn Carrier>>>,
    pub store: core_store::Store,
}

impl ReturnLabelSubscriber {
    /// Return labels bought from the application's carriers.
    pub fn new(app: &App) -> Self {
        Self { carriers: app.carriers.clone(), store: app.store.clone() }
    }
}

impl Subscriber for ReturnLabelSubscriber {
    fn name(&self) -> &str {
        "carrier-return-labels"
    }

    fn wants(&self, topic: &str) -> bool {
        topic == "return.approved"
    }

    fn deliver<'a>(&'a self, event: &'a OutboxEvent) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let client = self.store.client().await.map_err(transient)?;
            let ret = store::return_to_label(&client, event.aggregate_id).await.map_err(transient)?;
            drop(client);
            // Labelled already, or no longer approved (rejected or received meanwhile).
            let Some(ret) = ret else { return Ok(None) };
            let spec = ShipmentSpec {
                reference: ret.return_id.to_string(),
                origin: ret.warehouse.clone(),
                country: ret.country.clone(),
                currency: ret.currency.clone(),
                parcels: vec![ret.weight_grams.max(1)],
            };
            let (carrier, best) = choose(&self.carriers, &spec, ret.carrier.as_deref(), ret.service.as_deref()).await?;
            let made = carrier.create_return_label(&spec, &best.service).await?;
            let label = ReturnLabel {
                return_id: ret.return_id,
                carrier: best.carrier,
                service: best.service,
                carrier_label_id: made.carrier_label_id,
                tracking_number: made.tracking_number,
                label_url: made.label_url,
            };
            self.store
                .transaction(|tx| {
                    let label = label.clone();
                    Box::pin(async move { store::record_return_label(tx, &label).await })
                })
                .await
                .map_err(transient)?;
            Ok(None)
        })
    }
}
