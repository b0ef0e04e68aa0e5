//! Webhook events and their delivery: signed POSTs to the configured URL, retried with
//! exponential backoff while the receiver answers non-2xx or cannot be reached, with the same
//! event id every time. Each attempt is signed afresh (its own timestamp).
//!
//! Everything is bounded: events wait in a queue of [`QUEUE_CAPACITY`] (an event that finds it
//! full is dropped and counted), and at most [`MAX_OUTSTANDING`] deliveries are in progress
//! (sending or waiting to retry); when they are all taken the dispatcher stops taking events
//! from the queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::seq::SliceRandom;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tracing::{debug, info, warn};

use crate::SIGNATURE_HEADER;
use crate::Secret;
use crate::faults::Knobs;
use crate::model::Authorization;
use partners_signing::sign;

/// Events waiting for the dispatcher.
pub const QUEUE_CAPACITY: usize = 100_000;
/// Deliveries in progress at once (including those waiting to retry).
pub const MAX_OUTSTANDING: usize = 10_000;
/// With out-of-order delivery: the most events shuffled together…
pub const SHUFFLE_BATCH: usize = 8;
/// …and the longest the first of them is held waiting for the others.
pub const SHUFFLE_HOLD: Duration = Duration::from_millis(500);
/// The longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    #[serde(rename = "authorization.succeeded")]
    AuthorizationSucceeded,
    #[serde(rename = "authorization.failed")]
    AuthorizationFailed,
    #[serde(rename = "capture.succeeded")]
    CaptureSucceeded,
    #[serde(rename = "void.succeeded")]
    VoidSucceeded,
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
}

/// An event, serialized once: every attempt sends the same body.
#[derive(Debug)]
pub struct Event {
    pub id: String,
    pub kind: EventType,
    /// `{"id","type","created","data": <the authorization after the change>}`
    pub body: Bytes,
}

impl Event {
    pub fn new(kind: EventType, authorization: &Authorization, now: u64) -> Self {
        #[derive(Serialize)]
        struct Body<'a> {
            id: &'a str,
            #[serde(rename = "type")]
            kind: EventType,
            created: u64,
            data: &'a Authorization,
        }
        let id = crate::new_id("evt");
        let body = serde_json::to_vec(&Body { id: &id, kind, created: now, data: authorization })
            .expect("an event serializes");
        Self { id, kind, body: body.into() }
    }
}

/// Delivery counters, shown by `GET /_control`.
#[derive(Debug, Default)]
struct Counters {
    created: AtomicU64,
    dropped: AtomicU64,
    delivered: AtomicU64,
    failed_attempts: AtomicU64,
    given_up: AtomicU64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WebhookStats {
    /// Whether a webhook URL is configured (without one, events are counted and discarded).
    pub configured: bool,
    /// Events created.
    pub created: u64,
    /// Events waiting in the queue (for instance while delivery is paused).
    pub queued: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Deliveries the receiver acknowledged with a 2xx (a duplicated event counts twice).
    pub delivered: u64,
    /// Attempts that failed (non-2xx, unreachable, timeout).
    pub failed_attempts: u64,
    /// Deliveries abandoned after the last attempt.
    pub given_up: u64,
}

/// Where events go in: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Event>,
    counters: Arc<Counters>,
    configured: bool,
}

impl Outbox {
    /// Queues an event for delivery; drops it (counted, logged) when the queue is full.
    pub fn emit(&self, event: Event) {
        self.counters.created.fetch_add(1, Ordering::Relaxed);
        debug!(event = %event.id, kind = ?event.kind, "webhook event created");
        if let Err(e) = self.tx.try_send(event) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            let event = match e {
                mpsc::error::TrySendError::Full(ev) | mpsc::error::TrySendError::Closed(ev) => ev,
            };
            warn!(event = %event.id, capacity = QUEUE_CAPACITY, "webhook queue full, event dropped");
        }
    }

    pub fn stats(&self) -> WebhookStats {
        let c = &self.counters;
        WebhookStats {
            configured: self.configured,
            created: c.created.load(Ordering::Relaxed),
            queued: (self.tx.max_capacity() - self.tx.capacity()) as u64,
            dropped: c.dropped.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            failed_attempts: c.failed_attempts.load(Ordering::Relaxed),
            given_up: c.given_up.load(Ordering::Relaxed),
        }
    }
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The receiver's URL (`http://…`) and the signing secret; `None` discards events.
    pub target: Option<(Uri, Secret)>,
    /// Attempts per event, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles before each next one.
    pub retry_base: Duration,
    /// How long one attempt may take (connect, send, answer).
    pub attempt_timeout: Duration,
}

impl DeliveryConfig {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.retry_base.saturating_mul(1 << attempt.saturating_sub(1).min(20)).min(MAX_BACKOFF)
    }
}

/// Starts the dispatcher on the current runtime and returns the outbox feeding it.
pub fn start(config: DeliveryConfig, knobs: watch::Receiver<Knobs>) -> Outbox {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let counters = Arc::new(Counters::default());
    let outbox = Outbox { tx, counters: counters.clone(), configured: config.target.is_some() };
    match config.target.clone() {
        Some((url, secret)) => {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            connector.set_connect_timeout(Some(config.attempt_timeout));
            let client = Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(64)
                .build(connector);
            let deliverer = Arc::new(Deliverer { url, secret, config, client, counters, knobs: knobs.clone() });
            tokio::spawn(dispatch(rx, knobs, deliverer));
        }
        None => {
            tokio::spawn(discard(rx));
        }
    }
    outbox
}

async fn discard(mut rx: mpsc::Receiver<Event>) {
    while let Some(event) = rx.recv().await {
        debug!(event = %event.id, "no webhook url configured, event discarded");
    }
}

/// Takes events from the queue (unless paused) and starts their deliveries: one per event, two
/// when duplicating, or a shuffled batch delivered in sequence when out of order.
async fn dispatch(mut rx: mpsc::Receiver<Event>, mut knobs: watch::Receiver<Knobs>, deliverer: Arc<Deliverer>) {
    let outstanding = Arc::new(Semaphore::new(MAX_OUTSTANDING));
    loop {
        if knobs.wait_for(|k| !k.pause_webhooks).await.is_err() {
            return;
        }
        let first = tokio::select! {
            // Knobs first: a pause set before an event was emitted always holds that event.
            biased;
            changed = knobs.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
            event = rx.recv() => match event {
                Some(event) => event,
                None => return,
            },
        };
        let (duplicate, shuffle) = {
            let k = knobs.borrow();
            (k.duplicate_webhooks, k.out_of_order_webhooks)
        };
        let copies = if duplicate { 2 } else { 1 };
        if !shuffle {
            let event = Arc::new(first);
            for _ in 0..copies {
                let Ok(permit) = outstanding.clone().acquire_owned().await else { return };
                tokio::spawn(deliverer.clone().deliver(event.clone(), 1, permit));
            }
            continue;
        }
        let mut batch = vec![first];
        let hold_until = tokio::time::Instant::now() + SHUFFLE_HOLD;
        while batch.len() < SHUFFLE_BATCH {
            match tokio::time::timeout_at(hold_until, rx.recv()).await {
                Ok(Some(event)) => batch.push(event),
                Ok(None) | Err(_) => break,
            }
        }
        let mut sends = Vec::with_capacity(batch.len() * copies);
        for event in batch.into_iter().map(Arc::new) {
            for _ in 0..copies {
                let Ok(permit) = outstanding.clone().acquire_owned().await else { return };
                sends.push((event.clone(), permit));
            }
        }
        shuffle_differently(&mut sends);
        debug!(events = sends.len(), "delivering a shuffled batch");
        tokio::spawn(deliverer.clone().deliver_in_sequence(sends));
    }
}

/// Shuffles `items` into an order other than the one given (when there are two or more).
fn shuffle_differently<T>(items: &mut Vec<T>) {
    if items.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.shuffle(&mut rand::rng());
    if order.iter().enumerate().all(|(i, o)| i == *o) {
        order.rotate_left(1);
    }
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().map(|i| slots[i].take().expect("a permutation takes each item once")));
}

struct Deliverer {
    url: Uri,
    secret: Secret,
    config: DeliveryConfig,
    client: Client<HttpConnector, Full<Bytes>>,
    counters: Arc<Counters>,
    knobs: watch::Receiver<Knobs>,
}

impl Deliverer {
    /// Attempts from `attempt` on until one succeeds or the attempts run out.
    async fn deliver(self: Arc<Self>, event: Arc<Event>, mut attempt: u32, _permit: OwnedSemaphorePermit) {
        loop {
            if self.attempt(&event, attempt).await {
                return;
            }
            if attempt >= self.config.max_attempts {
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                warn!(event = %event.id, kind = ?event.kind, attempts = attempt, "webhook delivery given up");
                return;
            }
            tokio::time::sleep(self.config.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// First attempts one after the other, in the order given; failures retry on their own.
    async fn deliver_in_sequence(self: Arc<Self>, sends: Vec<(Arc<Event>, OwnedSemaphorePermit)>) {
        for (event, permit) in sends {
            if self.attempt(&event, 1).await {
                continue;
            }
            if self.config.max_attempts <= 1 {
                self.counters.given_up.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let this = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(this.config.backoff(1)).await;
                this.clone().deliver(event, 2, permit).await;
            });
        }
    }

    /// One signed POST; whether the receiver answered 2xx. Waits while delivery is paused.
    async fn attempt(&self, event: &Event, attempt: u32) -> bool {
        let mut knobs = self.knobs.clone();
        if knobs.wait_for(|k| !k.pause_webhooks).await.is_err() {
            return false;
        }
        let signature = sign(self.secret.expose().as_bytes(), crate::now_unix(), &event.body);
        let request = http::Request::post(self.url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, concat!("payments-standin/", env!("CARGO_PKG_VERSION")))
            .header(SIGNATURE_HEADER, signature)
            .header("Payment-Event-Id", &event.id)
            .header("Payment-Delivery-Attempt", attempt)
            .body(Full::new(event.body.clone()))
            .expect("a valid webhook request");
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            // Read the answer so that the connection can be reused.
            response.into_body().collect().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(status)
        };
        let outcome = match tokio::time::timeout(self.config.attempt_timeout, exchange).await {
            Ok(Ok(status)) if status.is_success() => {
                self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                crate::metrics::METRICS.webhooks_delivered.inc();
                debug!(event = %event.id, attempt, status = status.as_u16(), "webhook delivered");
                return true;
            }
            Ok(Ok(status)) => format!("status {}", status.as_u16()),
            Ok(Err(e)) => e,
            Err(_) => format!("no answer within {:?}", self.config.attempt_timeout),
        };
        self.counters.failed_attempts.fetch_add(1, Ordering::Relaxed);
        crate::metrics::METRICS.webhook_attempts_failed.inc();
        if attempt == 1 {
            debug!(event = %event.id, attempt, reason = %outcome, "webhook attempt failed");
        } else {
            info!(event = %event.id, attempt, reason = %outcome, "webhook attempt failed");
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_about_a_minute() {
        let config = DeliveryConfig {
            target: None,
            max_attempts: 8,
            retry_base: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(10),
        };
        let waits: Vec<u64> = (1..8).map(|a| config.backoff(a).as_millis() as u64).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 16000, 32000]);
        assert_eq!(config.backoff(40), MAX_BACKOFF);
    }

    #[test]
    fn shuffle_always_changes_the_order() {
        for len in 2..6 {
            for _ in 0..50 {
                let mut items: Vec<usize> = (0..len).collect();
                shuffle_differently(&mut items);
                assert_ne!(items, (0..len).collect::<Vec<_>>());
                let mut sorted = items.clone();
                sorted.sort();
                assert_eq!(sorted, (0..len).collect::<Vec<_>>());
            }
        }
        let mut one = vec![7];
        shuffle_differently(&mut one);
        assert_eq!(one, [7]);
    }
}
