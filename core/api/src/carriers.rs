//! Parcel carriers on the core's side (their clients are in `core_partners::carriers`): the
//! outbox subscriber that labels each warehouse shipment of a shipped order with the carrier
//! and service the shopper was charged for, and the carriers' signed tracking webhooks, which build each order's tracking
//! timeline and complete the order once every parcel is delivered.
//!
//! | route | what |
//! |---|---|
//! | `POST /webhooks/carriers/{carrier}` | a tracking event, `Carrier-Signature` over the raw body |
//! | `GET /v1/orders/{id}/tracking` | the order's labels (carrier, tracking number, status, ETA) and timeline |
//!
//! Carriers: `parcelo` (JSON REST, OAuth-style client-credential access tokens) and
//! `classicpost` (a legacy XML API with the account in every request).

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use core_store::commerce::outbox::OutboxEvent;
use core_store::commerce::shipping::{self as store, NewLabel, ReturnLabel, TrackingEvent, Unlabelled};
use partners_signing::{DEFAULT_TOLERANCE, verify_signature};
use serde_json::{Value, json};
use time::Date;

use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult};
use core_partners::carriers::{Carrier, Rate, SIGNATURE_HEADER, ShipmentSpec, cheapest};

use crate::outbox::{DeliveryError, DeliveryFuture, Subscriber};
use crate::state::AppState;

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

// ----- routes -----

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/carriers/{carrier}", post(webhook)).route("/v1/orders/{id}/tracking", get(tracking))
}

#[utoipa::path(post, path = "/webhooks/carriers/{carrier}", tag = "partners",
    params(("carrier" = String, Path, description = "the carrier's code (`parcelo`, `classicpost`)"),
        ("Carrier-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>`")),
    request_body(content = String, description = "the carrier's tracking event, in its own format (JSON or XML)"),
    responses((status = 200, description = "`applied` (false for a repeat, or a label that is not ours: then `reason`), the parcel's `status`"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_event, invalid_text"),
        (status = 401, body = crate::error::ErrorBody, description = "invalid_signature"),
        (status = 404, body = crate::error::ErrorBody, description = "unknown_carrier")))]
/// A carrier's tracking event, verified over the raw body: recorded once per carrier event id,
/// the parcel's status and ETA recomputed from its timeline, and the order delivered once
/// every parcel is.
pub async fn webhook(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let carrier = state
        .carriers
        .iter()
        .find(|c| c.code() == code)
        .ok_or_else(|| ApiError::not_found("unknown_carrier", "no such carrier"))?;
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    verify_signature(
        carrier.webhook_secret().expose().as_bytes(),
        signature,
        &body,
        SystemTime::now(),
        DEFAULT_TOLERANCE,
    )
    .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", e.to_string()))?;
    let t = carrier.read_tracking(&body).map_err(|e| ApiError::bad_request("invalid_event", e))?;
    let event = TrackingEvent {
        carrier: code.clone(),
        event_id: t.event_id,
        tracking_number: t.tracking_number,
        status: t.status,
        carrier_status: t.carrier_status,
        occurred_at: t.occurred_at,
        eta: t.eta,
    };
    let tracked = state
        .store
        .transaction(|tx| {
            let event = event.clone();
            Box::pin(async move { store::record_tracking(tx, &event).await })
        })
        .await?;
    let Some(tracked) = tracked else {
        let partner = format!("carrier:{code}");
        let reference = Some(event.tracking_number.clone());
        return crate::partner_events::acknowledge(
            &state,
            &partner,
            &event.event_id,
            "tracking",
            "unknown_label",
            reference,
        )
        .await;
    };
    Ok(Json(json!({
        "event_id": event.event_id, "applied": tracked.new, "status": tracked.status.as_str(),
        "order_delivered": tracked.order_delivered,
    })))
}

/// An order's labels and tracking timeline, as the shopper sees them.
pub(crate) async fn tracking_view(state: &AppState, order: uuid::Uuid) -> ApiResult<Value> {
    // Labels and timeline from one snapshot (a webhook committing between two reads would
    // show a timeline its label's status and ETA do not match).
    let (labels, timeline) =
        state.store.transaction(|tx| Box::pin(async move { store::tracking(tx, order).await })).await?;
    let date = |d: Option<Date>| d.map(|d| d.to_string());
    let labels: Vec<Value> = labels
        .iter()
        .map(|l| {
            json!({"carrier": l.carrier, "service": l.service, "tracking_number": l.tracking_number,
                "label_url": l.label_url, "status": l.status, "eta": date(l.eta),
                "amount_minor": l.amount_minor, "currency": l.currency})
        })
        .collect();
    let timeline: Vec<Value> = timeline
        .iter()
        .map(|e| {
            let at = e.occurred_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            json!({"tracking_number": e.tracking_number, "status": e.status, "occurred_at": at})
        })
        .collect();
    Ok(json!({"order_id": order, "labels": labels, "timeline": timeline}))
}

#[utoipa::path(get, path = "/v1/orders/{id}/tracking", tag = "checkout",
    params(("id" = String, Path, description = "the order's id"),
        ("X-Cart-Token" = Option<String>, Header, description = "a guest's cart token (shoppers use their session token)")),
    security((), ("session_token" = [])),
    responses((status = 200, description = "the order's labels and tracking timeline"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_text"),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody, description = "order_not_found")))]
pub async fn tracking(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Value>> {
    let order = crate::orders::visible(&state, &shopper, &headers, path).await?;
    Ok(Json(tracking_view(&state, order).await?))
}
