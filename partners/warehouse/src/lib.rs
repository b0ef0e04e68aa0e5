//! Local stand-in for the retailer's existing warehouse system (WMS): a separate process
//! speaking HTTP/JSON (and CSV for the stock snapshot), state in memory, so that fulfilment is
//! tested against a partner that fails, repeats itself and answers late.
//!
//! ```text
//! warehouse-standin --api-key wms_local --inbound-secret whsec_shop \
//!     --callback-url http://127.0.0.1:7001/webhooks/warehouse --webhook-secret whsec_wms   # 127.0.0.1:7202
//! ```
//!
//! # API (`Authorization: Bearer <api key>`, else 401 `invalid_api_key`)
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/picks` signed (`Shop-Signature`) `{"id","order_id","order_number","warehouse","lines":[{"sku","quantity"}]}` | 200 the pick; the same `id` again answers it again (`"duplicate": true`) |
//! | `POST /v1/picks/{id}/ship` | 200 the pick, shipped: its `shipment.shipped` callback is sent |
//! | `POST /v1/events` signed `{"id","topic",…}` (no API key) | 200 `{"duplicate": bool}`: the generic inbox, deduped by id |
//! | `GET /v1/stock/{warehouse}/snapshot.csv` | 200 `text/csv` `sku,on_hand` lines, `X-Feed-Sequence`: the last delta included |
//! | `GET /v1/stock/{warehouse}/deltas?after=<seq>` | 200 `{"deltas":[{"id","seq","sku","change","reason"}]}` |
//!
//! Signed requests carry `Shop-Signature: t=<unix s>,v1=<hex HMAC-SHA256(inbound secret,
//! "<t>.<body>")>` (refused with 401 `invalid_signature`). Callbacks to `--callback-url` are
//! signed the same way with `--webhook-secret` in `Warehouse-Signature`:
//! `{"id":"whevt_…","type":"shipment.shipped","created","data":{"shipment_id","pick_id",
//! "order_id","warehouse","parcels":[{"parcel_id","weight_grams","lines":[{"sku","quantity"}]}]}}`
//! (at most 5 units a parcel, 250 g a unit plus 100 g of packing), retried with doubling delays
//! until acknowledged with a 2xx.
//!
//! # Test endpoints (no API key)
//!
//! `POST /_control` `{"down"?, "latency_ms"?, "auto_ship"?, "duplicate_callbacks"?}`: every
//! `/v1` call waits `latency_ms`; while `down`, it then answers 503 `unavailable`; with `auto_ship` a pick ships as soon as it is taken;
//! `duplicate_callbacks` sends every callback twice. `PUT /_stock/{warehouse}/{sku}`
//! `{"on_hand"}` sets a count and records the change as a delta; `POST /_deltas`
//! `{"warehouse","sku","change","reason"?}` records a delta (of any SKU, known or not).
//! `GET /_audit`: the inbox (`received`, `distinct`, `duplicates`, `parallel`: deliveries of an
//! event that arrived while another of it was being taken, `applied_twice`: events taken as new
//! more than once, `receipts`: first receipt per id in unix ms), the picks (`requests` received per pick), and the callbacks sent and acknowledged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use partners_signing::{DEFAULT_TOLERANCE, verify_signature};
use partners_signing::{SignedPost, post_signed_until_acknowledged};
use serde::Deserialize;
use serde_json::{Value, json};

/// The header of the platform's signed requests.
pub const INBOUND_SIGNATURE_HEADER: &str = partners_signing::SHOP_SIGNATURE_HEADER;
/// The header of this system's signed callbacks.
pub const SIGNATURE_HEADER: &str = partners_signing::WAREHOUSE_SIGNATURE_HEADER;

/// How the stand-in is set up.
#[derive(Clone, Debug)]
pub struct Config {
    pub api_key: String,
    /// The secret the platform signs its requests with.
    pub inbound_secret: String,
    /// Where shipped callbacks go, and the secret they are signed with.
    pub callback_url: Option<String>,
    pub webhook_secret: String,
    /// First retry delay of a callback, doubled per attempt.
    pub callback_retry_base: Duration,
    /// Attempts per callback before it is given up.
    pub callback_max_attempts: u32,
    pub auto_ship: bool,
}

#[derive(Clone, Debug, Default, serde::Serialize, Deserialize)]
struct Knobs {
    down: bool,
    /// Milliseconds every `/v1` call waits before it is handled.
    latency_ms: u64,
    auto_ship: bool,
    duplicate_callbacks: bool,
}

#[derive(Clone, Debug, serde::Serialize, Deserialize)]
struct Line {
    sku: String,
    quantity: i64,
}

#[derive(Clone, Debug, serde::Serialize)]
struct Pick {
    id: String,
    order_id: String,
    order_number: String,
    warehouse: String,
    lines: Vec<Line>,
    /// Pick requests received with this id (more than one: the platform sent it again).
    requests: u32,
    shipment_id: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
struct Delta {
    id: String,
    seq: u64,
    sku: String,
    change: i64,
    reason: String,
}

#[derive(Default)]
struct World {
    knobs: Knobs,
    /// On hand per warehouse and SKU.
    stock: BTreeMap<String, BTreeMap<String, i64>>,
    /// Deltas per warehouse, in sequence.
    deltas: BTreeMap<String, Vec<Delta>>,
    seq: u64,
    picks: BTreeMap<String, Pick>,
    inbox_received: u64,
    inbox_first_receipt: HashMap<String, u64>,
    /// Times each event was applied (taken as new): more than once would be a dedupe failure.
    inbox_applied: HashMap<String, u32>,
    inbox_in_flight: HashSet<String>,
    inbox_parallel: u64,
    callbacks_sent: u64,
    callbacks_acknowledged: u64,
    callbacks_given_up: u64,
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
        let world = World { knobs: Knobs { auto_ship: config.auto_ship, ..Knobs::default() }, ..World::default() };
        let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        Self { config: Arc::new(config), world: Arc::new(Mutex::new(world)), client }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

/// The HTTP application.
pub fn app(standin: StandIn) -> Router {
    let api = Router::new()
        .route("/v1/picks", post(take_pick))
        .route("/v1/picks/{id}/ship", post(ship_pick))
        .route("/v1/events", post(take_event))
        .route("/v1/stock/{warehouse}/snapshot.csv", get(snapshot))
        .route("/v1/stock/{warehouse}/deltas", get(deltas))
        .layer(axum::middleware::from_fn_with_state(standin.clone(), guard));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/_control", post(control))
        .route("/_stock/{warehouse}/{sku}", put(set_stock))
        .route("/_deltas", post(add_delta))
        .route("/_audit", get(audit))
        .merge(api)
        .with_state(standin)
}

/// The API key (except on the signed event inbox), then the `down` knob.
async fn guard(State(s): State<StandIn>, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", s.config.api_key);
    let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    // The event inbox takes signed webhooks, which carry no API key.
    let signed_only = request.uri().path() == "/v1/events";
    if !signed_only && (s.config.api_key.is_empty() || given != expected) {
        return error(StatusCode::UNAUTHORIZED, "invalid_api_key", "missing or wrong API key");
    }
    let (down, latency) = {
        let w = s.world();
        (w.knobs.down, w.knobs.latency_ms)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if down {
        return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the warehouse system is down");
    }
    next.run(request).await
}

/// The body of a signed request, or the refusal to answer (boxed: a response is large).
fn verified(s: &StandIn, headers: &HeaderMap, body: &[u8]) -> Result<Value, Box<Response>> {
    let signature = headers.get(INBOUND_SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    verify_signature(s.config.inbound_secret.as_bytes(), signature, body, SystemTime::now(), DEFAULT_TOLERANCE)
        .map_err(|e| Box::new(error(StatusCode::UNAUTHORIZED, "invalid_signature", &e.to_string())))?;
    serde_json::from_slice(body)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PickIn {
    id: String,
    order_id: String,
    order_number: String,
    warehouse: String,
    lines: Vec<Line>,
}

async fn take_pick(State(s): State<StandIn>, headers: HeaderMap, body: Bytes) -> Response {
    let value = match verified(&s, &headers, &body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let pick: PickIn = match serde_json::from_value(value) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
    };
    if pick.lines.is_empty() || pick.lines.iter().any(|l| l.quantity <= 0) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_lines", "a pick needs lines of at least one unit");
    }
    let (answer, ship) = {
        let mut w = s.world();
        let auto_ship = w.knobs.auto_ship;
        let duplicate = w.picks.contains_key(&pick.id);
        let entry = w.picks.entry(pick.id.clone()).or_insert_with(|| Pick {
            id: pick.id.clone(),
            order_id: pick.order_id,
            order_number: pick.order_number,
            warehouse: pick.warehouse,
            lines: pick.lines,
            requests: 0,
            shipment_id: None,
        });
        entry.requests += 1;
        let mut answer = serde_json::to_value(&*entry).unwrap_or_default();
        answer["duplicate"] = json!(duplicate);
        (answer, auto_ship && !duplicate)
    };
    if ship {
        ship_and_call_back(&s, &pick.id);
    }
    Json(answer).into_response()
}

async fn ship_pick(State(s): State<StandIn>, Path(id): Path<String>) -> Response {
    if !s.world().picks.contains_key(&id) {
        return error(StatusCode::NOT_FOUND, "pick_not_found", "no such pick");
    }
    ship_and_call_back(&s, &id);
    Json(serde_json::to_value(&s.world().picks[&id]).unwrap_or_default()).into_response()
}

/// Packs a pick into parcels of at most 5 units (250 g each, plus 100 g of packing), marks it
/// shipped (once) and sends the callback in the background.
fn ship_and_call_back(s: &StandIn, id: &str) {
    let (event, copies) = {
        let mut w = s.world();
        let copies = if w.knobs.duplicate_callbacks { 2 } else { 1 };
        let Some(pick) = w.picks.get_mut(id) else { return };
        let shipment_id =
            pick.shipment_id.get_or_insert_with(|| format!("shp_{}", uuid::Uuid::new_v4().simple())).clone();
        let mut parcels = Vec::new();
        let mut current: Vec<Line> = Vec::new();
        let mut units = 0;
        for line in &pick.lines {
            let mut left = line.quantity;
            while left > 0 {
                let take = left.min(5 - units);
                current.push(Line { sku: line.sku.clone(), quantity: take });
                units += take;
                left -= take;
                if units == 5 {
                    parcels.push(std::mem::take(&mut current));
                    units = 0;
                }
            }
        }
        if !current.is_empty() {
            parcels.push(current);
        }
        let parcels: Vec<Value> = parcels
            .into_iter()
            .enumerate()
            .map(|(i, lines)| {
                let weight: i64 = 100 + 250 * lines.iter().map(|l| l.quantity).sum::<i64>();
                json!({"parcel_id": format!("{shipment_id}-{}", i + 1), "weight_grams": weight, "lines": lines})
            })
            .collect();
        let event = json!({
            "id": format!("whevt_{}", uuid::Uuid::new_v4().simple()),
            "type": "shipment.shipped",
            "created": now_ms() / 1000,
            "data": {
                "shipment_id": shipment_id, "pick_id": pick.id, "order_id": pick.order_id,
                "warehouse": pick.warehouse, "parcels": parcels,
            },
        });
        (event, copies)
    };
    for _ in 0..copies {
        tokio::spawn(send_callback(s.clone(), event.clone()));
    }
}

async fn send_callback(s: StandIn, event: Value) {
    let Some(url) = s.config.callback_url.clone() else { return };
    let post = SignedPost {
        url: &url,
        content_type: "application/json",
        header: SIGNATURE_HEADER,
        secret: s.config.webhook_secret.as_bytes(),
        body: Bytes::from(event.to_string()),
    };
    let (retry_base, attempts) = (s.config.callback_retry_base, s.config.callback_max_attempts);
    if post_signed_until_acknowledged(&s.client, post, retry_base, attempts, || s.world().callbacks_sent += 1).await {
        s.world().callbacks_acknowledged += 1;
        return;
    }
    s.world().callbacks_given_up += 1;
    tracing::warn!(event = %event["id"], "callback given up");
}

async fn take_event(State(s): State<StandIn>, headers: HeaderMap, body: Bytes) -> Response {
    let value = match verified(&s, &headers, &body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Some(id) = value["id"].as_str().map(str::to_string) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "an event needs an id");
    };
    {
        let mut w = s.world();
        w.inbox_received += 1;
        if !w.inbox_in_flight.insert(id.clone()) {
            w.inbox_parallel += 1;
        }
    }
    // Taking an event is not instantaneous: another delivery of it meanwhile is seen.
    tokio::task::yield_now().await;
    let duplicate = {
        let mut w = s.world();
        w.inbox_in_flight.remove(&id);
        let duplicate = w.inbox_first_receipt.contains_key(&id);
        if !duplicate {
            w.inbox_first_receipt.insert(id.clone(), now_ms());
            *w.inbox_applied.entry(id.clone()).or_default() += 1;
        }
        duplicate
    };
    Json(json!({"duplicate": duplicate})).into_response()
}

async fn snapshot(State(s): State<StandIn>, Path(warehouse): Path<String>) -> Response {
    let w = s.world();
    let mut csv = String::from("sku,on_hand\n");
    for (sku, n) in w.stock.get(&warehouse).into_iter().flatten() {
        csv.push_str(&format!("{sku},{n}\n"));
    }
    let seq = w.deltas.get(&warehouse).and_then(|d| d.last()).map_or(0, |d| d.seq);
    (
        [
            (header::CONTENT_TYPE, "text/csv".to_string()),
            (header::HeaderName::from_static("x-feed-sequence"), seq.to_string()),
        ],
        csv,
    )
        .into_response()
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

async fn deltas(State(s): State<StandIn>, Path(warehouse): Path<String>, Query(q): Query<After>) -> Response {
    let w = s.world();
    let list: Vec<&Delta> = w.deltas.get(&warehouse).into_iter().flatten().filter(|d| d.seq > q.after).collect();
    Json(json!({"deltas": list})).into_response()
}

async fn control(State(s): State<StandIn>, Json(patch): Json<serde_json::Value>) -> Response {
    let mut w = s.world();
    if let Err(e) = partners_standin::patch_knobs(&mut w.knobs, &patch) {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({"code": "invalid_knobs", "message": e})))
            .into_response();
    }
    Json(serde_json::to_value(&w.knobs).unwrap_or_default()).into_response()
}

fn record_delta(w: &mut World, warehouse: &str, sku: &str, change: i64, reason: &str) -> Delta {
    w.seq += 1;
    let delta = Delta { id: format!("d-{:08}", w.seq), seq: w.seq, sku: sku.into(), change, reason: reason.into() };
    w.deltas.entry(warehouse.into()).or_default().push(delta.clone());
    delta
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockIn {
    on_hand: i64,
}

async fn set_stock(
    State(s): State<StandIn>,
    Path((warehouse, sku)): Path<(String, String)>,
    Json(body): Json<StockIn>,
) -> Response {
    if body.on_hand < 0 {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_count", "on hand must not be negative");
    }
    let mut w = s.world();
    let before = w.stock.entry(warehouse.clone()).or_default().insert(sku.clone(), body.on_hand).unwrap_or(0);
    let delta = record_delta(&mut w, &warehouse, &sku, body.on_hand - before, "count");
    Json(json!({"sku": sku, "on_hand": body.on_hand, "delta": delta})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaIn {
    warehouse: String,
    sku: String,
    change: i64,
    reason: Option<String>,
}

async fn add_delta(State(s): State<StandIn>, Json(d): Json<DeltaIn>) -> Response {
    let mut w = s.world();
    *w.stock.entry(d.warehouse.clone()).or_default().entry(d.sku.clone()).or_default() += d.change;
    let delta = record_delta(&mut w, &d.warehouse, &d.sku, d.change, d.reason.as_deref().unwrap_or("adjustment"));
    Json(serde_json::to_value(delta).unwrap_or_default()).into_response()
}

async fn audit(State(s): State<StandIn>) -> Response {
    let w = s.world();
    let distinct = w.inbox_first_receipt.len() as u64;
    Json(json!({
        "knobs": w.knobs,
        "events": {
            "received": w.inbox_received,
            "distinct": distinct,
            "duplicates": w.inbox_received - distinct,
            "parallel": w.inbox_parallel,
            "applied_twice": w.inbox_applied.values().filter(|&&n| n > 1).count(),
            "receipts": w.inbox_first_receipt,
        },
        "picks": w.picks.values().collect::<Vec<_>>(),
        "callbacks": {
            "sent": w.callbacks_sent,
            "acknowledged": w.callbacks_acknowledged,
            "given_up": w.callbacks_given_up,
        },
    }))
    .into_response()
}
