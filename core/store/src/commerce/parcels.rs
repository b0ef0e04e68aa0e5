//! Carrier labels of warehouse shipments and their tracking timelines: a label recorded once
//! per shipment, tracking events once per carrier event id, and the parcel's status and ETA
//! recomputed from the whole timeline (by carrier time) whatever order its events arrive in.

use crate::Prepared;
use core_domain::orders::OrderStatus;
use core_domain::parcels::{TrackingStatus, current};
use deadpool_postgres::GenericClient;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{CommerceError, Result};

/// A shipment that has no label yet, with what a carrier needs to quote and label it.
#[derive(Clone, Debug)]
pub struct Unlabelled {
    pub shipment_id: Uuid,
    /// The warehouse system's shipment id (the label request's idempotency key).
    pub reference: String,
    pub weight_grams: i64,
    pub parcels: Vec<i64>,
    pub country: String,
    pub currency: String,
    /// The warehouse it leaves from.
    pub warehouse: String,
    /// The carrier and service the order was charged for (none for orders placed before
    /// shipping options: the cheapest offer then).
    pub carrier: Option<String>,
    pub service: Option<String>,
}

/// The order's shipments without a label, oldest first.
pub async fn unlabelled(client: &impl GenericClient, order: Uuid) -> Result<Vec<Unlabelled>> {
    let rows = client
        .query_cached(
            "SELECT s.id, s.reference, s.weight_grams, s.parcels, o.country, o.currency, s.warehouse, \
             o.shipping_carrier, o.shipping_service FROM shipments s \
             JOIN orders o ON o.id = s.order_id WHERE s.order_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM shipment_labels l WHERE l.shipment_id = s.id) ORDER BY s.created_at, s.reference",
            &[&order],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let parcels: serde_json::Value = r.get(3);
            Unlabelled {
                shipment_id: r.get(0),
                reference: r.get(1),
                weight_grams: r.get(2),
                parcels: parcels
                    .as_array()
                    .map(|a| a.iter().filter_map(|p| p["weight_grams"].as_i64()).collect())
                    .unwrap_or_default(),
                country: r.get(4),
                currency: r.get(5),
                warehouse: r.get(6),
                carrier: r.get(7),
                service: r.get(8),
            }
        })
        .collect())
}

/// A label a carrier made.
#[derive(Clone, Debug)]
pub struct NewLabel {
    pub shipment_id: Uuid,
    pub carrier: String,
    pub service: String,
    pub amount_minor: i64,
    pub currency: String,
    pub carrier_label_id: String,
    pub tracking_number: String,
    pub label_url: String,
    pub eta: Option<Date>,
}

/// Records a shipment's label once, with its first timeline entry (`label_created`, now);
/// returns whether it was new.
pub async fn record_label(tx: &impl GenericClient, l: &NewLabel) -> Result<bool> {
    let row = tx
        .query_opt_cached("SELECT order_id, region FROM shipments WHERE id = $1", &[&l.shipment_id])
        .await?
        .ok_or(CommerceError::NotFound("shipment"))?;
    let (order, region): (Uuid, String) = (row.get(0), row.get(1));
    let created = tx
        .query_opt_cached(
            "INSERT INTO shipment_labels (shipment_id, order_id, carrier, service, amount_minor, currency, \
             carrier_label_id, tracking_number, label_url, eta, status, region) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'label_created', $11) \
             ON CONFLICT (shipment_id) DO NOTHING RETURNING id",
            &[
                &l.shipment_id,
                &order,
                &l.carrier,
                &l.service,
                &l.amount_minor,
                &l.currency,
                &l.carrier_label_id,
                &l.tracking_number,
                &l.label_url,
                &l.eta,
                &region,
            ],
        )
        .await?;
    let Some(created) = created else { return Ok(false) };
    let label: Uuid = created.get(0);
    tx.execute_cached(
        "INSERT INTO tracking_events (carrier, event_id, label_id, order_id, status, carrier_status, occurred_at, eta, region) \
         VALUES ($1, $2, $3, $4, 'label_created', 'label_created', now(), $5, $6) ON CONFLICT (carrier, event_id) DO NOTHING",
        &[&l.carrier, &format!("label:{}", l.carrier_label_id), &label, &order, &l.eta, &region],
    )
    .await?;
    Ok(true)
}

/// An approved return and what a carrier needs to make its return label: the units go back
/// from the order's country to the warehouse they left, by the order's carrier and service.
#[derive(Clone, Debug)]
pub struct ReturnToLabel {
    pub return_id: Uuid,
    pub order_id: Uuid,
    pub country: String,
    pub currency: String,
    /// The warehouse the units were taken from (where they go back).
    pub warehouse: String,
    /// The returned units' weight in grams.
    pub weight_grams: i64,
    /// The order's carrier and service (none for orders placed before shipping options).
    pub carrier: Option<String>,
    pub service: Option<String>,
}

/// The return if it is approved and has no return label yet.
pub async fn return_to_label(client: &impl GenericClient, id: Uuid) -> Result<Option<ReturnToLabel>> {
    let row = client
        .query_opt_cached(
            "SELECT r.id, r.order_id, o.country, o.currency, \
             COALESCE((SELECT MIN(v.warehouse) FROM reservations v WHERE v.order_id = r.order_id), ''), \
             COALESCE((SELECT SUM(w.weight_grams * l.quantity) FROM return_lines l \
             JOIN variants w ON w.id = l.variant_id WHERE l.return_id = r.id), 0)::INT8, \
             o.shipping_carrier, o.shipping_service FROM returns r JOIN orders o ON o.id = r.order_id \
             WHERE r.id = $1 AND r.status = 'approved' \
             AND NOT EXISTS (SELECT 1 FROM return_labels x WHERE x.return_id = r.id)",
            &[&id],
        )
        .await?;
    Ok(row.map(|r| ReturnToLabel {
        return_id: r.get(0),
        order_id: r.get(1),
        country: r.get(2),
        currency: r.get(3),
        warehouse: r.get(4),
        weight_grams: r.get(5),
        carrier: r.get(6),
        service: r.get(7),
    }))
}

/// A return label, as recorded and as the shopper sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnLabel {
    pub return_id: Uuid,
    pub carrier: String,
    pub service: String,
    pub carrier_label_id: String,
    pub tracking_number: String,
    pub label_url: String,
}

/// Records a return's label once; returns whether it was new.
pub async fn record_return_label(tx: &impl GenericClient, l: &ReturnLabel) -> Result<bool> {
    let n = tx
        .execute_cached(
            "INSERT INTO return_labels (return_id, order_id, carrier, service, carrier_label_id, tracking_number, \
             label_url, region) SELECT id, order_id, $2, $3, $4, $5, $6, region FROM returns WHERE id = $1 \
             ON CONFLICT (return_id) DO NOTHING",
            &[&l.return_id, &l.carrier, &l.service, &l.carrier_label_id, &l.tracking_number, &l.label_url],
        )
        .await?;
    Ok(n == 1)
}

/// A return's label, if it has one.
pub async fn return_label(client: &impl GenericClient, id: Uuid) -> Result<Option<ReturnLabel>> {
    let row = client
        .query_opt_cached(
            "SELECT return_id, carrier, service, carrier_label_id, tracking_number, label_url \
             FROM return_labels WHERE return_id = $1",
            &[&id],
        )
        .await?;
    Ok(row.map(|r| ReturnLabel {
        return_id: r.get(0),
        carrier: r.get(1),
        service: r.get(2),
        carrier_label_id: r.get(3),
        tracking_number: r.get(4),
        label_url: r.get(5),
    }))
}

/// A carrier's tracking event, mapped to its canonical status.
#[derive(Clone, Debug)]
pub struct TrackingEvent {
    pub carrier: String,
    pub event_id: String,
    pub tracking_number: String,
    pub status: TrackingStatus,
    pub carrier_status: String,
    pub occurred_at: OffsetDateTime,
    pub eta: Option<Date>,
}

/// What recording a tracking event changed.
#[derive(Clone, Debug)]
pub struct Tracked {
    /// Whether the event was new (a repeated webhook records nothing).
    pub new: bool,
    pub order_id: Uuid,
    /// The parcel's status after it.
    pub status: TrackingStatus,
    /// Whether every label of the order is now delivered.
    pub order_delivered: bool,
}

/// Records a tracking event once per carrier event id, then sets the label's status and ETA
/// from its whole timeline: the latest event by carrier time, never past a terminal one; the
/// ETA of the latest event that gave one. When every label of a shipped order is delivered,
/// the order becomes `delivered` (recorded, and published to the outbox). `None` for a
/// tracking number we never labelled.
pub async fn record_tracking(tx: &impl GenericClient, e: &TrackingEvent) -> Result<Option<Tracked>> {
    let Some(label) = tx
        .query_opt_cached(
            "SELECT id, order_id, region FROM shipment_labels WHERE carrier = $1 AND tracking_number = $2 FOR UPDATE",
            &[&e.carrier, &e.tracking_number],
        )
        .await?
    else {
        return Ok(None);
    };
    let (label, order, region): (Uuid, Uuid, String) = (label.get(0), label.get(1), label.get(2));
    let new = tx
        .execute_cached(
            "INSERT INTO tracking_events (carrier, event_id, label_id, order_id, status, carrier_status, occurred_at, eta, region) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (carrier, event_id) DO NOTHING",
            &[
                &e.carrier,
                &e.event_id,
                &label,
                &order,
                &e.status.as_str(),
                &e.carrier_status,
                &e.occurred_at,
                &e.eta,
                &region,
            ],
        )
        .await?
        == 1;
    let rows = tx
        .query_cached(
            "SELECT occurred_at, status, eta FROM tracking_events WHERE label_id = $1 ORDER BY occurred_at",
            &[&label],
        )
        .await?;
    let events: Vec<(OffsetDateTime, TrackingStatus)> =
        rows.iter().filter_map(|r| Some((r.get::<_, OffsetDateTime>(0), TrackingStatus::parse(r.get(1))?))).collect();
    let status = current(&events).unwrap_or(TrackingStatus::LabelCreated);
    let eta: Option<Date> = rows.iter().rev().find_map(|r| r.get::<_, Option<Date>>(2));
    tx.execute_cached(
        "UPDATE shipment_labels SET status = $2, eta = COALESCE($3, eta), updated_at = now() WHERE id = $1",
        &[&label, &status.as_str(), &eta],
    )
    .await?;
    let undelivered: i64 = tx
        .query_one_cached(
            "SELECT count(*)::INT8 FROM shipment_labels WHERE order_id = $1 AND status <> 'delivered'",
            &[&order],
        )
        .await?
        .get(0);
    let order_status: String = tx.query_one_cached("SELECT status FROM orders WHERE id = $1", &[&order]).await?.get(0);
    if undelivered == 0 && order_status == OrderStatus::Shipped.as_str() {
        super::orders::transition_order(tx, order, OrderStatus::Delivered, "delivered by the carrier").await?;
    }
    Ok(Some(Tracked { new, order_id: order, status, order_delivered: undelivered == 0 }))
}

/// One label of an order, with its parcel's status and ETA.
#[derive(Clone, Debug)]
pub struct Label {
    pub id: Uuid,
    pub carrier: String,
    pub service: String,
    pub amount_minor: i64,
    pub currency: String,
    pub tracking_number: String,
    pub label_url: String,
    pub status: String,
    pub eta: Option<Date>,
}

/// One entry of an order's tracking timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    pub tracking_number: String,
    pub status: String,
    pub occurred_at: OffsetDateTime,
}

/// An order's labels (oldest first) and its tracking timeline, by carrier time.
pub async fn tracking(client: &impl GenericClient, order: Uuid) -> Result<(Vec<Label>, Vec<TimelineEntry>)> {
    let labels = client
        .query_cached(
            "SELECT id, carrier, service, amount_minor, currency, tracking_number, label_url, status, eta \
             FROM shipment_labels WHERE order_id = $1 ORDER BY created_at, tracking_number",
            &[&order],
        )
        .await?;
    let labels: Vec<Label> = labels
        .iter()
        .map(|r| Label {
            id: r.get(0),
            carrier: r.get(1),
            service: r.get(2),
            amount_minor: r.get(3),
            currency: r.get(4),
            tracking_number: r.get(5),
            label_url: r.get(6),
            status: r.get(7),
            eta: r.get(8),
        })
        .collect();
    let rows = client
        .query_cached(
            "SELECT l.tracking_number, e.status, e.occurred_at FROM tracking_events e \
             JOIN shipment_labels l ON l.id = e.label_id WHERE e.order_id = $1 \
             ORDER BY e.occurred_at, l.tracking_number, e.event_id",
            &[&order],
        )
        .await?;
    let timeline = rows
        .iter()
        .map(|r| TimelineEntry { tracking_number: r.get(0), status: r.get(1), occurred_at: r.get(2) })
        .collect();
    Ok((labels, timeline))
}
