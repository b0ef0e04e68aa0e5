//! Local stand-ins for two parcel carriers with different API shapes, one process each
//! (`--personality rest|xml`), state in memory: rates, label creation, cancellation, and
//! signed tracking webhooks that a knob duplicates or shuffles.
//!
//! ```text
//! carrier-standin --personality rest --client-id shop --client-secret cs_local \
//!     --webhook-url http://127.0.0.1:7001/webhooks/carriers/parcelo --webhook-secret whsec_parcelo   # 127.0.0.1:7203
//! carrier-standin --personality xml --listen 127.0.0.1:7204 --account ACC1 --password pw_local \
//!     --webhook-url http://127.0.0.1:7001/webhooks/carriers/classicpost --webhook-secret whsec_classic
//! ```
//!
//! # `rest` (carrier code `parcelo`): JSON, OAuth-style access tokens
//!
//! | request | answer |
//! |---|---|
//! | `POST /oauth/token` `{"grant_type":"client_credentials","client_id","client_secret"}` | 200 `{"access_token","token_type":"Bearer","expires_in"}`; 401 `invalid_client` |
//! | `POST /v1/rates` `{"destination_country","weight_grams","currency"}` | 200 `{"rates":[{"service","amount_minor","currency","transit_days"}]}` |
//! | `POST /v1/shipments` (`Idempotency-Key` required) `{"reference","service","destination_country","parcels":[{"weight_grams"}]}` | 201 `{"id","tracking_number","service","status","estimated_delivery","label":{"format","url"}}`; the same key answers the same label |
//! | `POST /v1/returns` (`Idempotency-Key` required) `{"reference","service","origin_country","parcels":[{"weight_grams"}]}` | 201, a return label in the shape of a shipment's; the same key answers the same label |
//! | `POST /v1/shipments/{id}/cancel` | 200 `{"status":"cancelled"}`; 409 `already_moving` once tracked past the label |
//!
//! `/v1` needs `Authorization: Bearer <access token>` (401 `invalid_token` otherwise).
//! Tracking webhooks: `{"event_id","tracking_number","reference","status","occurred_at"
//! (RFC 3339),"estimated_delivery"?}` with statuses `LABEL_CREATED`, `IN_TRANSIT`,
//! `OUT_FOR_DELIVERY`, `DELIVERED`, `EXCEPTION`, `RETURNED_TO_SENDER`.
//!
//! # `xml` (carrier code `classicpost`): a legacy XML API, credentials in every request
//!
//! | request | answer |
//! |---|---|
//! | `POST /xml/rate` `<RateRequest><Account/><Password/><Country/><Weight/></RateRequest>` | `<RateResponse><Rate><Service/><Charge/><TransitDays/></Rate>…</RateResponse>` |
//! | `POST /xml/ship` `<ShipRequest><Account/><Password/><Reference/><Service/><Country/><Weight/><Pieces/></ShipRequest>` | `<ShipResponse><ShipmentNumber/><TrackingNumber/><LabelUrl/><DeliveryDate>YYYYMMDD</DeliveryDate></ShipResponse>`; the same `Reference` answers the same label |
//! | `POST /xml/return` `<ReturnRequest>` with the fields of `<ShipRequest>` (`Country`: where the parcel comes back from) | `<ReturnResponse>` with the fields of `<ShipResponse>`; the same `Reference` answers the same return label |
//! | `POST /xml/void` `<VoidRequest><Account/><Password/><TrackingNumber/></VoidRequest>` | `<VoidResponse><Result>OK</Result></VoidResponse>` |
//!
//! Errors are `<Error><Code/><Message/></Error>` with a 4xx. Tracking webhooks:
//! `<TrackingEvent><EventId/><TrackingNumber/><Reference/><StatusCode/><EventTime>
//! YYYYMMDDHHMMSS</EventTime><DeliveryDate/></TrackingEvent>`, status codes `LC` (label), `IT`,
//! `OD`, `DL`, `EX`, `RS` (returned to sender).
//!
//! Both sign webhooks `Carrier-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//! (the payment provider's scheme), retried with doubling delays until acknowledged.
//!
//! # Test endpoints
//!
//! `POST /_control` `{"down"?, "duplicate_webhooks"?, "shuffle_webhooks"?}`: while `down` the
//! API answers 503; duplicated webhooks are each sent twice, shuffled ones in random order.
//! `POST /_advance` `{"tracking_number","statuses":["in_transit",…]}` makes the parcel move:
//! one event per status (canonical names), one second of carrier time apart, sent one after
//! the other in the background; answers the events. `GET /_audit`: labels (with the requests
//! each got and whether cancelled), tokens issued, webhooks sent, acknowledged and given up.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use partners_signing::{SignedPost, post_signed_until_acknowledged};
use rand::seq::SliceRandom;
use serde::Deserialize;
use serde_json::{Value, json};

/// The header tracking webhooks are signed in.
pub const SIGNATURE_HEADER: &str = partners_signing::CARRIER_SIGNATURE_HEADER;

/// Which API this process speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// JSON over REST with client-credential access tokens.
    Rest,
    /// A legacy XML API with the account and password in every request.
    Xml,
}

impl Personality {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rest" => Some(Self::Rest),
            "xml" => Some(Self::Xml),
            _ => None,
        }
    }

    /// The carrier's own name for a canonical tracking status.
    fn code(self, canonical: &str) -> Option<&'static str> {
        let (rest, xml) = match canonical {
            "label_created" => ("LABEL_CREATED", "LC"),
            "in_transit" => ("IN_TRANSIT", "IT"),
            "out_for_delivery" => ("OUT_FOR_DELIVERY", "OD"),
            "delivered" => ("DELIVERED", "DL"),
            "exception" => ("EXCEPTION", "EX"),
            "returned" => ("RETURNED_TO_SENDER", "RS"),
            _ => return None,
        };
        Some(if self == Self::Rest { rest } else { xml })
    }
}

/// How the stand-in is set up.
#[derive(Clone, Debug)]
pub struct Config {
    pub personality: Personality,
    /// `rest`: the client credentials; `xml`: the account number and password.
    pub client_id: String,
    pub client_secret: String,
    /// Where tracking webhooks go, and the secret they are signed with.
    pub webhook_url: Option<String>,
    pub webhook_secret: String,
    pub webhook_retry_base: Duration,
    pub webhook_max_attempts: u32,
}

#[derive(Clone, Debug, Default, serde::Serialize, Deserialize)]
struct Knobs {
    down: bool,
    duplicate_webhooks: bool,
    shuffle_webhooks: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
struct Label {
    id: String,
    tracking_number: String,
    reference: String,
    /// `outbound`, or `return` for a return label.
    direction: &'static str,
    service: String,
    weight_grams: i64,
    estimated_delivery: String,
    /// Label requests received for it (more than one: the platform asked again).
    requests: u32,
    cancelled: bool,
    /// Canonical statuses sent so far, in carrier time order.
    statuses: Vec<String>,
    /// Carrier time of the last event, unix ms.
    #[serde(skip)]
    clock_ms: u64,
}

#[derive(Default)]
struct World {
    knobs: Knobs,
    tokens: HashSet<String>,
    tokens_issued: u64,
    /// Labels by idempotency key (REST) or reference (XML), return labels by `return:<key>`.
    labels: BTreeMap<String, Label>,
    webhooks_sent: u64,
    webhooks_acknowledged: u64,
    webhooks_given_up: u64,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct StandIn {
    config: Arc<Config>,
    world: Arc<Mutex<World>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl StandIn {
    pub fn new(config: Config) -> Self {
        let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        Self { config: Arc::new(config), world: Arc::default(), client }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn at(ms: u64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The delivery date `days` from now, `YYYY-MM-DD` (REST) or `YYYYMMDD` (XML).
fn delivery_date(p: Personality, days: i64) -> String {
    let d = (time::OffsetDateTime::now_utc() + time::Duration::days(days)).date();
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    match p {
        Personality::Rest => format!("{y:04}-{m:02}-{day:02}"),
        Personality::Xml => format!("{y:04}{m:02}{day:02}"),
    }
}

/// The services and prices for a weight: `(service, amount minor, transit days)`.
fn rates(p: Personality, weight_grams: i64) -> Vec<(&'static str, i64, i64)> {
    match p {
        // The REST carrier is the cheaper for parcels under about 2.7 kg, the XML one above.
        Personality::Rest => vec![("standard", 390 + weight_grams / 10, 3), ("express", 990 + weight_grams / 5, 1)],
        Personality::Xml => vec![("ECO", 590 + weight_grams / 40, 5), ("PRIO", 890 + weight_grams / 20, 2)],
    }
}

/// A refusal to answer, boxed (a response is large).
type Refusal = Box<Response>;

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

fn xml_error(status: StatusCode, code: &str, message: &str) -> Response {
    xml(status, format!("<Error><Code>{code}</Code><Message>{}</Message></Error>", escape(message)))
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/xml")], format!("<?xml version=\"1.0\"?>{body}")).into_response()
}

/// Escapes text for an XML element.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The text of the first `<tag>…</tag>` in `doc`, unescaped (the legacy API's flat documents).
pub fn element(doc: &str, tag: &str) -> Option<String> {
    let start = doc.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + doc[start..].find(&format!("</{tag}>"))?;
    Some(doc[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
}

/// The HTTP application of the configured personality.
pub fn app(standin: StandIn) -> Router {
    let api = match standin.config.personality {
        Personality::Rest => Router::new()
            .route("/oauth/token", post(token))
            .route("/v1/rates", post(rest_rates))
            .route("/v1/shipments", post(rest_ship))
            .route("/v1/returns", post(rest_return))
            .route("/v1/shipments/{id}/cancel", post(rest_cancel)),
        Personality::Xml => Router::new()
            .route("/xml/rate", post(xml_rate))
            .route("/xml/ship", post(xml_ship))
            .route("/xml/return", post(xml_return))
            .route("/xml/void", post(xml_void)),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/_control", post(control))
        .route("/_advance", post(advance))
        .route("/_audit", get(audit))
        .merge(api)
        .with_state(standin)
}

fn is_down(s: &StandIn) -> bool {
    s.world().knobs.down
}

// ----- REST -----

#[derive(Deserialize)]
struct TokenIn {
    grant_type: String,
    client_id: String,
    client_secret: String,
}

async fn token(State(s): State<StandIn>, Json(t): Json<TokenIn>) -> Response {
    if is_down(&s) {
        return json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the carrier is down");
    }
    if t.grant_type != "client_credentials"
        || t.client_id != s.config.client_id
        || t.client_secret != s.config.client_secret
    {
        return json_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret");
    }
    let token = format!("at_{}", uuid::Uuid::new_v4().simple());
    let mut w = s.world();
    w.tokens.insert(token.clone());
    w.tokens_issued += 1;
    Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600})).into_response()
}

/// The bearer token, then the `down` knob.
fn rest_guard(s: &StandIn, headers: &HeaderMap) -> Result<(), Refusal> {
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let known = given.strip_prefix("Bearer ").is_some_and(|t| s.world().tokens.contains(t));
    if !known {
        return Err(Box::new(json_error(StatusCode::UNAUTHORIZED, "invalid_token", "missing or unknown access token")));
    }
    if is_down(s) {
        return Err(Box::new(json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the carrier is down")));
    }
    Ok(())
}

#[derive(Deserialize)]
struct RatesIn {
    destination_country: String,
    weight_grams: i64,
    currency: String,
}

async fn rest_rates(State(s): State<StandIn>, headers: HeaderMap, Json(r): Json<RatesIn>) -> Response {
    if let Err(e) = rest_guard(&s, &headers) {
        return *e;
    }
    if r.weight_grams <= 0 || r.destination_country.len() != 2 {
        return json_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_shipment", "a weight and a country code");
    }
    let list: Vec<Value> = rates(Personality::Rest, r.weight_grams)
        .into_iter()
        .map(|(service, amount, days)| {
            json!({"service": service, "amount_minor": amount, "currency": r.currency, "transit_days": days})
        })
        .collect();
    Json(json!({"rates": list})).into_response()
}

#[derive(Deserialize)]
struct ParcelIn {
    weight_grams: i64,
}

#[derive(Deserialize)]
struct ShipIn {
    reference: String,
    service: String,
    /// Where an outbound parcel goes (`/v1/shipments`) …
    #[serde(default)]
    destination_country: String,
    /// … or where a returned one comes from (`/v1/returns`).
    #[serde(default)]
    origin_country: String,
    parcels: Vec<ParcelIn>,
}

/// Creates a label once per key and direction; the same key answers the same label.
fn create_label(
    s: &StandIn,
    key: &str,
    direction: &'static str,
    reference: &str,
    service: &str,
    weight: i64,
) -> Option<Label> {
    let p = s.config.personality;
    let days = rates(p, weight).into_iter().find(|r| r.0 == service)?.2;
    let key = if direction == "return" { format!("return:{key}") } else { key.to_string() };
    let mut w = s.world();
    let label = w.labels.entry(key).or_insert_with(|| {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Label {
            tracking_number: match p {
                Personality::Rest => format!("PN{}", &id[..12].to_uppercase()),
                Personality::Xml => format!("CP{}", u64::from_str_radix(&id[..12], 16).unwrap_or(0)),
            },
            id: format!("lbl_{}", &id[..16]),
            reference: reference.to_string(),
            direction,
            service: service.to_string(),
            weight_grams: weight,
            estimated_delivery: delivery_date(p, days),
            requests: 0,
            cancelled: false,
            statuses: vec!["label_created".into()],
            clock_ms: now_ms(),
        }
    });
    label.requests += 1;
    Some(label.clone())
}

async fn rest_ship(State(s): State<StandIn>, headers: HeaderMap, Json(r): Json<ShipIn>) -> Response {
    rest_label(&s, &headers, "outbound", &r.destination_country, &r)
}

async fn rest_return(State(s): State<StandIn>, headers: HeaderMap, Json(r): Json<ShipIn>) -> Response {
    rest_label(&s, &headers, "return", &r.origin_country, &r)
}

/// A label request of either direction: 201 with the label, the same key the same label.
fn rest_label(s: &StandIn, headers: &HeaderMap, direction: &'static str, country: &str, r: &ShipIn) -> Response {
    if let Err(e) = rest_guard(s, headers) {
        return *e;
    }
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty()) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            "label requests need an Idempotency-Key",
        );
    };
    let weight: i64 = r.parcels.iter().map(|p| p.weight_grams).sum();
    if r.parcels.is_empty() || r.parcels.iter().any(|p| p.weight_grams <= 0) || country.len() != 2 {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_shipment",
            "parcels with weights and a country code",
        );
    }
    let Some(label) = create_label(s, key, direction, &r.reference, &r.service, weight) else {
        return json_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_service", "no such service");
    };
    let body = json!({
        "id": label.id, "tracking_number": label.tracking_number, "service": label.service,
        "status": if label.cancelled { "cancelled" } else { "created" },
        "estimated_delivery": label.estimated_delivery, "direction": label.direction,
        "label": {"format": "PDF", "url": format!("https://labels.parcelo.test/{}.pdf", label.id)},
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Cancels a label not yet moving: `Err` is the code of why not.
fn cancel(s: &StandIn, matches: impl Fn(&Label) -> bool) -> Result<(), &'static str> {
    let mut w = s.world();
    let label = w.labels.values_mut().find(|l| matches(l)).ok_or("label_not_found")?;
    if label.statuses.len() > 1 {
        return Err("already_moving");
    }
    label.cancelled = true;
    Ok(())
}

async fn rest_cancel(State(s): State<StandIn>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(e) = rest_guard(&s, &headers) {
        return *e;
    }
    match cancel(&s, |l| l.id == id) {
        Ok(()) => Json(json!({"id": id, "status": "cancelled"})).into_response(),
        Err("label_not_found") => json_error(StatusCode::NOT_FOUND, "label_not_found", "no such label"),
        Err(code) => json_error(StatusCode::CONFLICT, code, "the parcel is already on its way"),
    }
}

// ----- XML -----

/// The account and password of a request, then the `down` knob.
fn xml_guard(s: &StandIn, doc: &str) -> Result<(), Refusal> {
    let ok = element(doc, "Account").as_deref() == Some(s.config.client_id.as_str())
        && element(doc, "Password").as_deref() == Some(s.config.client_secret.as_str());
    if !ok {
        return Err(Box::new(xml_error(StatusCode::UNAUTHORIZED, "AUTH", "invalid account or password")));
    }
    if is_down(s) {
        return Err(Box::new(xml_error(StatusCode::SERVICE_UNAVAILABLE, "DOWN", "service unavailable")));
    }
    Ok(())
}

fn xml_doc(body: &Bytes) -> Result<String, Refusal> {
    String::from_utf8(body.to_vec()).map_err(|_| Box::new(xml_error(StatusCode::BAD_REQUEST, "PARSE", "not UTF-8")))
}

fn xml_number(doc: &str, tag: &str) -> Result<i64, Refusal> {
    element(doc, tag).and_then(|v| v.trim().parse().ok()).filter(|&n: &i64| n > 0).ok_or_else(|| {
        Box::new(xml_error(StatusCode::BAD_REQUEST, "FIELD", &format!("{tag} must be a positive number")))
    })
}

async fn xml_rate(State(s): State<StandIn>, body: Bytes) -> Response {
    let result = (|| {
        let doc = xml_doc(&body)?;
        xml_guard(&s, &doc)?;
        let weight = xml_number(&doc, "Weight")?;
        let rates: String = rates(Personality::Xml, weight)
            .into_iter()
            .map(|(service, charge, days)| {
                format!("<Rate><Service>{service}</Service><Charge>{charge}</Charge><TransitDays>{days}</TransitDays></Rate>")
            })
            .collect();
        Ok::<_, Refusal>(xml(StatusCode::OK, format!("<RateResponse>{rates}</RateResponse>")))
    })();
    result.unwrap_or_else(|e| *e)
}

async fn xml_ship(State(s): State<StandIn>, body: Bytes) -> Response {
    xml_label(&s, &body, "outbound", "ShipResponse")
}

async fn xml_return(State(s): State<StandIn>, body: Bytes) -> Response {
    xml_label(&s, &body, "return", "ReturnResponse")
}

/// A label request of either direction: the same `Reference` answers the same label.
fn xml_label(s: &StandIn, body: &Bytes, direction: &'static str, answer: &str) -> Response {
    let result = (|| {
        let doc = xml_doc(body)?;
        xml_guard(s, &doc)?;
        let weight = xml_number(&doc, "Weight")?;
        let reference = element(&doc, "Reference")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| Box::new(xml_error(StatusCode::BAD_REQUEST, "FIELD", "Reference is required")))?;
        let service = element(&doc, "Service").unwrap_or_default();
        let label = create_label(s, &reference, direction, &reference, &service, weight)
            .ok_or_else(|| Box::new(xml_error(StatusCode::BAD_REQUEST, "SERVICE", "unknown service")))?;
        Ok::<_, Refusal>(xml(
            StatusCode::OK,
            format!(
                "<{answer}><ShipmentNumber>{}</ShipmentNumber><TrackingNumber>{}</TrackingNumber>\
                 <LabelUrl>https://classicpost.test/labels/{}</LabelUrl><DeliveryDate>{}</DeliveryDate></{answer}>",
                label.id, label.tracking_number, label.id, label.estimated_delivery
            ),
        ))
    })();
    result.unwrap_or_else(|e| *e)
}

async fn xml_void(State(s): State<StandIn>, body: Bytes) -> Response {
    let result = (|| {
        let doc = xml_doc(&body)?;
        xml_guard(&s, &doc)?;
        let number = element(&doc, "TrackingNumber").unwrap_or_default();
        match cancel(&s, |l| l.tracking_number == number) {
            Ok(()) => Ok(xml(StatusCode::OK, "<VoidResponse><Result>OK</Result></VoidResponse>".into())),
            Err("label_not_found") => Err(Box::new(xml_error(StatusCode::NOT_FOUND, "NOTFOUND", "no such shipment"))),
            Err(_) => Err(Box::new(xml_error(StatusCode::CONFLICT, "MOVING", "the shipment is already on its way"))),
        }
    })();
    result.unwrap_or_else(|e| *e)
}

// ----- tracking -----

/// One tracking event in the carrier's own shape.
fn webhook_body(p: Personality, label: &Label, status: &str, time_ms: u64, eta: &str) -> Option<(String, String)> {
    let code = p.code(status)?;
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let t = at(time_ms);
    let body = match p {
        Personality::Rest => json!({
            "event_id": id, "tracking_number": label.tracking_number, "reference": label.reference,
            "status": code,
            "occurred_at": t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "estimated_delivery": eta,
        })
        .to_string(),
        Personality::Xml => format!(
            "<?xml version=\"1.0\"?><TrackingEvent><EventId>{id}</EventId><TrackingNumber>{}</TrackingNumber>\
             <Reference>{}</Reference><StatusCode>{code}</StatusCode><EventTime>{:04}{:02}{:02}{:02}{:02}{:02}</EventTime>\
             <DeliveryDate>{eta}</DeliveryDate></TrackingEvent>",
            label.tracking_number,
            escape(&label.reference),
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        ),
    };
    Some((id, body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceIn {
    tracking_number: String,
    statuses: Vec<String>,
}

async fn advance(State(s): State<StandIn>, Json(a): Json<AdvanceIn>) -> Response {
    let p = s.config.personality;
    let (mut batch, events) = {
        let mut w = s.world();
        let knobs = w.knobs.clone();
        let Some(label) = w.labels.values_mut().find(|l| l.tracking_number == a.tracking_number) else {
            return json_error(StatusCode::NOT_FOUND, "label_not_found", "no such tracking number");
        };
        let mut batch = Vec::new();
        let mut events = Vec::new();
        for status in &a.statuses {
            // Carrier time moves one second per event, never behind the wall clock.
            label.clock_ms = (label.clock_ms + 1000).max(now_ms());
            let eta = if status == "out_for_delivery" || status == "delivered" {
                delivery_date(p, 0)
            } else {
                label.estimated_delivery.clone()
            };
            let Some((id, body)) = webhook_body(p, label, status, label.clock_ms, &eta) else {
                return json_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_status", status);
            };
            label.statuses.push(status.clone());
            events.push(json!({"event_id": id, "status": status, "occurred_at_ms": label.clock_ms}));
            for _ in 0..if knobs.duplicate_webhooks { 2 } else { 1 } {
                batch.push(body.clone());
            }
        }
        if knobs.shuffle_webhooks {
            batch.shuffle(&mut rand::rng());
        }
        (batch, events)
    };
    let sender = s.clone();
    tokio::spawn(async move {
        for body in batch.drain(..) {
            send_webhook(&sender, body).await;
        }
    });
    Json(json!({"events": events})).into_response()
}

async fn send_webhook(s: &StandIn, body: String) {
    let Some(url) = s.config.webhook_url.clone() else { return };
    let content_type = match s.config.personality {
        Personality::Rest => "application/json",
        Personality::Xml => "application/xml",
    };
    let post = SignedPost {
        url: &url,
        content_type,
        header: SIGNATURE_HEADER,
        secret: s.config.webhook_secret.as_bytes(),
        body: Bytes::from(body),
    };
    let (retry_base, attempts) = (s.config.webhook_retry_base, s.config.webhook_max_attempts);
    if post_signed_until_acknowledged(&s.client, post, retry_base, attempts, || s.world().webhooks_sent += 1).await {
        s.world().webhooks_acknowledged += 1;
        return;
    }
    s.world().webhooks_given_up += 1;
    tracing::warn!("tracking webhook given up");
}

async fn control(State(s): State<StandIn>, Json(patch): Json<serde_json::Value>) -> Response {
    let mut w = s.world();
    if let Err(e) = partners_standin::patch_knobs(&mut w.knobs, &patch) {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({"code": "invalid_knobs", "message": e})))
            .into_response();
    }
    Json(serde_json::to_value(&w.knobs).unwrap_or_default()).into_response()
}

async fn audit(State(s): State<StandIn>) -> Response {
    let w = s.world();
    Json(json!({
        "knobs": w.knobs,
        "tokens_issued": w.tokens_issued,
        "labels": w.labels.values().collect::<Vec<_>>(),
        "webhooks": {
            "sent": w.webhooks_sent,
            "acknowledged": w.webhooks_acknowledged,
            "given_up": w.webhooks_given_up,
        },
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_read_and_unescaped() {
        let doc = "<A><Reference>x &amp; &lt;y&gt;</Reference><Weight>12</Weight></A>";
        assert_eq!(element(doc, "Reference").as_deref(), Some("x & <y>"));
        assert_eq!(element(doc, "Weight").as_deref(), Some("12"));
        assert_eq!(element(doc, "Missing"), None);
        assert_eq!(element(&format!("<R>{}</R>", escape("a<&>b")), "R").as_deref(), Some("a<&>b"));
    }
}
