//! Parcel carriers: the [`Carrier`] adapter trait (rates, labels, cancellation, tracking
//! webhooks read into canonical statuses) with one implementation per carrier API, the
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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use core_domain::shipping::TrackingStatus;
use core_store::commerce::outbox::OutboxEvent;
use core_store::commerce::shipping::{self as store, NewLabel, ReturnLabel, TrackingEvent, Unlabelled};
use http_body_util::Full;
use partners_signing::{DEFAULT_TOLERANCE, verify_signature};
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult};
use crate::outbox::{DeliveryError, DeliveryFuture, PartnerClient, Subscriber};
use crate::state::{AppState, Secret};

/// The header carriers sign their tracking webhooks in (the payment provider's scheme).
pub const SIGNATURE_HEADER: &str = partners_signing::CARRIER_SIGNATURE_HEADER;

/// What a carrier is asked to quote or label: one warehouse shipment.
#[derive(Clone, Debug)]
pub struct ShipmentSpec {
    /// The warehouse system's shipment id: the label request's idempotency key.
    pub reference: String,
    /// The warehouse the parcel leaves from.
    pub origin: String,
    pub country: String,
    pub currency: String,
    /// Parcel weights in grams.
    pub parcels: Vec<i64>,
}

impl ShipmentSpec {
    fn weight(&self) -> i64 {
        self.parcels.iter().sum()
    }
}

/// A carrier's offer for a shipment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    pub carrier: String,
    pub service: String,
    pub amount_minor: i64,
    pub transit_days: i64,
}

/// A label a carrier made.
#[derive(Clone, Debug)]
pub struct LabelMade {
    pub carrier_label_id: String,
    pub tracking_number: String,
    pub label_url: String,
    pub eta: Option<Date>,
}

/// One tracking event as a carrier sent it, read into canonical terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Tracking {
    pub event_id: String,
    pub tracking_number: String,
    pub status: TrackingStatus,
    pub carrier_status: String,
    pub occurred_at: OffsetDateTime,
    pub eta: Option<Date>,
}

/// A carrier call's result.
pub type CarrierFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DeliveryError>> + Send + 'a>>;

/// A parcel carrier. Another carrier is one more implementation.
pub trait Carrier: Send + Sync + std::fmt::Debug {
    /// Its code in URLs and records (`parcelo`).
    fn code(&self) -> &str;
    /// Its services and prices for a shipment.
    fn rates<'a>(&'a self, shipment: &'a ShipmentSpec) -> CarrierFuture<'a, Vec<Rate>>;
    /// Makes (or, for the same reference, finds again) the shipment's label with `service`.
    fn create_label<'a>(&'a self, shipment: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade>;
    /// Makes (or, for the same reference, finds again) a return label with `service`: the
    /// parcel goes from the shipment's country back to its warehouse (`origin`).
    fn create_return_label<'a>(&'a self, shipment: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade>;
    /// Cancels a label whose parcel has not moved.
    fn cancel_label<'a>(&'a self, label: &'a LabelMade) -> CarrierFuture<'a, ()>;
    /// The secret its webhooks are signed with.
    fn webhook_secret(&self) -> &Secret;
    /// Reads a (verified) webhook body; `Err` says why it is malformed.
    fn read_tracking(&self, body: &[u8]) -> Result<Tracking, String>;
}

fn transient(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::transient(e.to_string())
}

// ----- parcelo: JSON REST with access tokens -----

/// The `parcelo` carrier's JSON API. Its access token is fetched with the client credentials
/// when missing, and again once when the carrier stops accepting it.
#[derive(Debug)]
pub struct RestCarrier {
    base: String,
    client_id: String,
    client_secret: Secret,
    webhook_secret: Secret,
    client: PartnerClient,
    /// The access token; held while one is fetched, so that concurrent calls share it.
    token: tokio::sync::Mutex<Option<String>>,
}

impl RestCarrier {
    pub fn new(base: &str, client_id: &str, client_secret: Secret, webhook_secret: Secret) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret,
            webhook_secret,
            client: PartnerClient::default(),
            token: tokio::sync::Mutex::new(None),
        }
    }

    async fn token(&self) -> Result<String, DeliveryError> {
        let mut held = self.token.lock().await;
        if let Some(t) = held.clone() {
            return Ok(t);
        }
        let body = json!({"grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret.expose()});
        let (status, answer) = self.send("/oauth/token", None, &body, None).await?;
        if status != 200 {
            return Err(DeliveryError::from_status(status, &answer));
        }
        let token: Value = serde_json::from_slice(&answer).map_err(transient)?;
        let token = token["access_token"].as_str().ok_or_else(|| transient("no access token"))?.to_string();
        *held = Some(token.clone());
        Ok(token)
    }

    async fn send(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        key: Option<&str>,
    ) -> Result<(u16, Bytes), DeliveryError> {
        let mut request =
            hyper::Request::post(format!("{}{path}", self.base)).header("content-type", "application/json");
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        if let Some(k) = key {
            request = request.header("idempotency-key", k);
        }
        let request = request.body(Full::new(Bytes::from(body.to_string()))).map_err(transient)?;
        self.client.send(request).await
    }

    /// A call with the access token, fetched again once if the carrier refuses it.
    async fn call(&self, path: &str, body: &Value, key: Option<&str>) -> Result<Value, DeliveryError> {
        for _ in 0..2 {
            let token = self.token().await?;
            let (status, answer) = self.send(path, Some(&token), body, key).await?;
            if status == 401 {
                let mut held = self.token.lock().await;
                if held.as_deref() == Some(token.as_str()) {
                    *held = None;
                }
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(DeliveryError::from_status(status, &answer));
            }
            return serde_json::from_slice(&answer).map_err(transient);
        }
        Err(transient("the carrier refused a fresh access token"))
    }
}

impl RestCarrier {
    /// A label (`/v1/shipments`) or return label (`/v1/returns`), the reference as idempotency key.
    async fn label(
        &self,
        path: &str,
        country_field: &str,
        s: &ShipmentSpec,
        service: &str,
    ) -> Result<LabelMade, DeliveryError> {
        let parcels: Vec<Value> = s.parcels.iter().map(|w| json!({"weight_grams": w})).collect();
        let mut body = json!({"reference": s.reference, "service": service, "parcels": parcels});
        body[country_field] = json!(s.country);
        let a = self.call(path, &body, Some(&s.reference)).await?;
        let text = |k: &str| a[k].as_str().map(str::to_string).ok_or_else(|| transient(format!("no {k}")));
        Ok(LabelMade {
            carrier_label_id: text("id")?,
            tracking_number: text("tracking_number")?,
            label_url: a["label"]["url"].as_str().unwrap_or_default().to_string(),
            eta: a["estimated_delivery"].as_str().and_then(iso_date),
        })
    }
}

impl Carrier for RestCarrier {
    fn code(&self) -> &str {
        "parcelo"
    }

    fn rates<'a>(&'a self, s: &'a ShipmentSpec) -> CarrierFuture<'a, Vec<Rate>> {
        Box::pin(async move {
            let body = json!({"origin": s.origin, "destination_country": s.country, "weight_grams": s.weight(),
                "currency": s.currency});
            let answer = self.call("/v1/rates", &body, None).await?;
            let rates = answer["rates"].as_array().ok_or_else(|| transient("no rates"))?;
            Ok(rates
                .iter()
                .filter_map(|r| {
                    Some(Rate {
                        carrier: self.code().into(),
                        service: r["service"].as_str()?.into(),
                        amount_minor: r["amount_minor"].as_i64()?,
                        transit_days: r["transit_days"].as_i64()?,
                    })
                })
                .collect())
        })
    }

    fn create_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/v1/shipments", "destination_country", s, service))
    }

    fn create_return_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/v1/returns", "origin_country", s, service))
    }

    fn cancel_label<'a>(&'a self, label: &'a LabelMade) -> CarrierFuture<'a, ()> {
        Box::pin(async move {
            self.call(&format!("/v1/shipments/{}/cancel", label.carrier_label_id), &json!({}), None).await?;
            Ok(())
        })
    }

    fn webhook_secret(&self) -> &Secret {
        &self.webhook_secret
    }

    fn read_tracking(&self, body: &[u8]) -> Result<Tracking, String> {
        #[derive(Deserialize)]
        struct In {
            event_id: String,
            tracking_number: String,
            status: String,
            occurred_at: String,
            #[serde(default)]
            estimated_delivery: Option<String>,
        }
        let e: In = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let status = match e.status.as_str() {
            "LABEL_CREATED" => TrackingStatus::LabelCreated,
            "IN_TRANSIT" => TrackingStatus::InTransit,
            "OUT_FOR_DELIVERY" => TrackingStatus::OutForDelivery,
            "DELIVERED" => TrackingStatus::Delivered,
            "EXCEPTION" => TrackingStatus::Exception,
            "RETURNED_TO_SENDER" => TrackingStatus::Returned,
            other => return Err(format!("unknown status `{other}`")),
        };
        let occurred_at = OffsetDateTime::parse(&e.occurred_at, &time::format_description::well_known::Rfc3339)
            .map_err(|_| "`occurred_at` is not RFC 3339".to_string())?;
        Ok(Tracking {
            event_id: e.event_id,
            tracking_number: e.tracking_number,
            status,
            carrier_status: e.status,
            occurred_at,
            eta: e.estimated_delivery.as_deref().and_then(iso_date),
        })
    }
}

fn iso_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

// ----- classicpost: the legacy XML API -----

/// The `classicpost` carrier's XML API; the account and password travel in every request.
#[derive(Debug)]
pub struct XmlCarrier {
    base: String,
    account: String,
    password: Secret,
    webhook_secret: Secret,
    client: PartnerClient,
}

impl XmlCarrier {
    pub fn new(base: &str, account: &str, password: Secret, webhook_secret: Secret) -> Self {
        let base = base.trim_end_matches('/').to_string();
        Self { base, account: account.to_string(), password, webhook_secret, client: PartnerClient::default() }
    }

    /// Posts `<{root}>` with the credentials and `fields`, and answers the reply document.
    async fn call(&self, path: &str, root: &str, fields: &[(&str, String)]) -> Result<String, DeliveryError> {
        let mut doc = format!(
            "<?xml version=\"1.0\"?><{root}><Account>{}</Account><Password>{}</Password>",
            escape(&self.account),
            escape(self.password.expose())
        );
        for (tag, value) in fields {
            doc.push_str(&format!("<{tag}>{}</{tag}>", escape(value)));
        }
        doc.push_str(&format!("</{root}>"));
        let request = hyper::Request::post(format!("{}{path}", self.base))
            .header("content-type", "application/xml")
            .body(Full::new(Bytes::from(doc)))
            .map_err(transient)?;
        let (status, answer) = self.client.send(request).await?;
        if !(200..300).contains(&status) {
            return Err(DeliveryError::from_status(status, &answer));
        }
        String::from_utf8(answer.to_vec()).map_err(transient)
    }
}

impl XmlCarrier {
    /// A label (`<ShipRequest>`) or return label (`<ReturnRequest>`): the same `Reference`
    /// answers the same label.
    async fn label(&self, path: &str, root: &str, s: &ShipmentSpec, service: &str) -> Result<LabelMade, DeliveryError> {
        let fields = [
            ("Reference", s.reference.clone()),
            ("Service", service.to_string()),
            ("Country", s.country.clone()),
            ("Weight", s.weight().to_string()),
            ("Pieces", s.parcels.len().to_string()),
        ];
        let doc = self.call(path, root, &fields).await?;
        let text = |tag: &str| element(&doc, tag).ok_or_else(|| transient(format!("no {tag}")));
        Ok(LabelMade {
            carrier_label_id: text("ShipmentNumber")?,
            tracking_number: text("TrackingNumber")?,
            label_url: element(&doc, "LabelUrl").unwrap_or_default(),
            eta: element(&doc, "DeliveryDate").as_deref().and_then(compact_date),
        })
    }
}

/// Escapes text for an XML element.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The text of each `<tag>…</tag>` in `doc`, in order, unescaped: the legacy API's documents
/// are flat, without attributes or namespaces.
fn elements<'a>(doc: &'a str, tag: &'a str) -> impl Iterator<Item = String> + 'a {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut rest = doc;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let end = start + rest[start..].find(&close)?;
        let text = rest[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        rest = &rest[end + close.len()..];
        Some(text)
    })
}

fn element(doc: &str, tag: &str) -> Option<String> {
    elements(doc, tag).next()
}

impl Carrier for XmlCarrier {
    fn code(&self) -> &str {
        "classicpost"
    }

    fn rates<'a>(&'a self, s: &'a ShipmentSpec) -> CarrierFuture<'a, Vec<Rate>> {
        Box::pin(async move {
            let fields =
                [("Origin", s.origin.clone()), ("Country", s.country.clone()), ("Weight", s.weight().to_string())];
            let doc = self.call("/xml/rate", "RateRequest", &fields).await?;
            Ok(elements(&doc, "Rate")
                .filter_map(|r| {
                    Some(Rate {
                        carrier: self.code().into(),
                        service: element(&r, "Service")?,
                        amount_minor: element(&r, "Charge")?.trim().parse().ok()?,
                        transit_days: element(&r, "TransitDays")?.trim().parse().ok()?,
                    })
                })
                .collect())
        })
    }

    fn create_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/xml/ship", "ShipRequest", s, service))
    }

    fn create_return_label<'a>(&'a self, s: &'a ShipmentSpec, service: &'a str) -> CarrierFuture<'a, LabelMade> {
        Box::pin(self.label("/xml/return", "ReturnRequest", s, service))
    }

    fn cancel_label<'a>(&'a self, label: &'a LabelMade) -> CarrierFuture<'a, ()> {
        Box::pin(async move {
            self.call("/xml/void", "VoidRequest", &[("TrackingNumber", label.tracking_number.clone())]).await?;
            Ok(())
        })
    }

    fn webhook_secret(&self) -> &Secret {
        &self.webhook_secret
    }

    fn read_tracking(&self, body: &[u8]) -> Result<Tracking, String> {
        let doc = std::str::from_utf8(body).map_err(|_| "not UTF-8".to_string())?;
        let field = |tag: &str| element(doc, tag).filter(|v| !v.is_empty()).ok_or(format!("no <{tag}>"));
        let code = field("StatusCode")?;
        let status = match code.as_str() {
            "LC" => TrackingStatus::LabelCreated,
            "IT" => TrackingStatus::InTransit,
            "OD" => TrackingStatus::OutForDelivery,
            "DL" => TrackingStatus::Delivered,
            "EX" => TrackingStatus::Exception,
            "RS" => TrackingStatus::Returned,
            other => return Err(format!("unknown status code `{other}`")),
        };
        let time = field("EventTime")?;
        let occurred_at = PrimitiveDateTime::parse(
            &time,
            time::macros::format_description!("[year][month][day][hour][minute][second]"),
        )
        .map_err(|_| "<EventTime> is not YYYYMMDDHHMMSS".to_string())?
        .assume_utc();
        Ok(Tracking {
            event_id: field("EventId")?,
            tracking_number: field("TrackingNumber")?,
            status,
            carrier_status: code,
            occurred_at,
            eta: element(doc, "DeliveryDate").as_deref().and_then(compact_date),
        })
    }
}

fn compact_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year][month][day]")).ok()
}

// ----- choosing and labelling -----

/// The offer a shipment is labelled with: the cheapest, then the fastest, then by carrier and
/// service (so that a retry picks the same one).
pub fn cheapest(rates: &[Rate]) -> Option<&Rate> {
    rates.iter().min_by(|a, b| {
        (a.amount_minor, a.transit_days, &a.carrier, &a.service).cmp(&(
            b.amount_minor,
            b.transit_days,
            &b.carrier,
            &b.service,
        ))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(carrier: &str, service: &str, amount_minor: i64, transit_days: i64) -> Rate {
        Rate { carrier: carrier.into(), service: service.into(), amount_minor, transit_days }
    }

    #[test]
    fn the_cheapest_offer_then_the_fastest() {
        let rates = [rate("a", "x", 700, 3), rate("b", "y", 500, 5), rate("b", "z", 500, 2)];
        assert_eq!(cheapest(&rates), Some(&rates[2]));
        assert_eq!(cheapest(&[]), None);
    }

    #[test]
    fn each_carrier_shape_reads_into_canonical_statuses() {
        let rest = RestCarrier::new("http://127.0.0.1:1", "id", Secret::new("s"), Secret::new("w"));
        let t = rest
            .read_tracking(
                br#"{"event_id":"e1","tracking_number":"PN1","reference":"r","status":"OUT_FOR_DELIVERY",
                    "occurred_at":"2026-11-28T10:00:05Z","estimated_delivery":"2026-11-28"}"#,
            )
            .unwrap();
        assert_eq!(
            (t.status, t.event_id.as_str(), t.carrier_status.as_str()),
            (TrackingStatus::OutForDelivery, "e1", "OUT_FOR_DELIVERY")
        );
        assert_eq!(t.occurred_at.unix_timestamp(), 1_795_860_005);
        assert_eq!(t.eta.map(|d| d.to_string()).as_deref(), Some("2026-11-28"));
        assert!(
            rest.read_tracking(
                br#"{"event_id":"e","tracking_number":"t","status":"LOST","occurred_at":"2026-11-28T10:00:05Z"}"#
            )
            .is_err()
        );

        let xml = XmlCarrier::new("http://127.0.0.1:1", "acc", Secret::new("p"), Secret::new("w"));
        let t = xml
            .read_tracking(
                b"<?xml version=\"1.0\"?><TrackingEvent><EventId>x1</EventId><TrackingNumber>CP9</TrackingNumber>\
                  <Reference>a &amp; b</Reference><StatusCode>RS</StatusCode><EventTime>20261128100005</EventTime>\
                  <DeliveryDate>20261130</DeliveryDate></TrackingEvent>",
            )
            .unwrap();
        assert_eq!((t.status, t.tracking_number.as_str()), (TrackingStatus::Returned, "CP9"));
        assert_eq!(t.occurred_at.unix_timestamp(), 1_795_860_005);
        assert_eq!(t.eta.map(|d| d.to_string()).as_deref(), Some("2026-11-30"));
        assert!(xml.read_tracking(b"<TrackingEvent><EventId>x</EventId></TrackingEvent>").is_err());
        let rates: Vec<String> =
            elements("<R><Rate><Service>A</Service></Rate><Rate><Service>B&amp;C</Service></Rate></R>", "Service")
                .collect();
        assert_eq!(rates, ["A", "B&C"]);
    }
}
