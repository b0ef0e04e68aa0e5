//! The outbox dispatcher.
//!
//! Every core runs one [`Dispatcher`] for its region's events: it leases a batch of due events
//! (see `core_store::commerce::outbox`), hands each to the [`Subscriber`] that takes its topic,
//! and records the outcome: delivered; retried later with exponential backoff and jitter;
//! dead after `max_attempts`, or at once when the partner refuses the event as malformed (a
//! 4xx other than 408, 409 and 429). Delivery is at least once: a dispatcher may stop between
//! a partner's acceptance and its record, and the event is then delivered again after its
//! lease runs out. Subscribers send the event id, and partners dedupe by it.
//!
//! A delivery never outlives its lease: each attempt is bounded by the delivery timeout, which
//! the settings keep under half the lease, so no two dispatchers send one event at once.
//!
//! Operators see the outbox through the admin API (`core-api`'s `outbox` routes), with the
//! reads and replays at the end of this module.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use core_store::Store;
use core_store::commerce::outbox::{
    self as store, Attempt, DeliveryRecord, EventStatus, OutboxEvent, OutboxStats, Outcome,
};
use futures::StreamExt;
use partners_signing::Secret;
use serde_json::{Value, json};
use uuid::Uuid;

pub use core_partners::{DeliveryError, PartnerClient};

use crate::App;
use crate::error::AppResult;

// ----- subscribers -----

/// A delivery's result: the partner's HTTP status when accepted.
pub type DeliveryFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<u16>, DeliveryError>> + Send + 'a>>;

/// A partner that takes some topics' events. Another partner is one more implementation.
pub trait Subscriber: Send + Sync + std::fmt::Debug {
    /// Its name in the delivery log.
    fn name(&self) -> &str;
    /// Whether it takes events of `topic`.
    fn wants(&self, topic: &str) -> bool;
    /// Delivers one event; must send `event.id` for the partner to dedupe by.
    fn deliver<'a>(&'a self, event: &'a OutboxEvent) -> DeliveryFuture<'a>;
}

/// The header outbox webhooks are signed in: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<body>")>`, the scheme of the payment provider's webhooks.
pub const SIGNATURE_HEADER: &str = partners_signing::SHOP_SIGNATURE_HEADER;

/// The event as partners receive it.
pub fn envelope(event: &OutboxEvent) -> Value {
    json!({
        "id": event.id,
        "topic": event.topic,
        "aggregate_id": event.aggregate_id,
        "region": event.region,
        "created_at": crate::clock::rfc3339(event.created_at),
        "payload": event.payload,
    })
}

/// Posts events whose topic starts with one of `prefixes` to a URL as signed JSON, with the
/// event id also in `Idempotency-Key`.
#[derive(Debug)]
pub struct WebhookSubscriber {
    name: String,
    prefixes: Vec<String>,
    url: String,
    secret: Secret,
    client: PartnerClient,
}

impl WebhookSubscriber {
    pub fn new(name: impl Into<String>, prefixes: Vec<String>, url: impl Into<String>, secret: Secret) -> Self {
        Self { name: name.into(), prefixes, url: url.into(), secret, client: PartnerClient::default() }
    }
}

impl Subscriber for WebhookSubscriber {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self, topic: &str) -> bool {
        self.prefixes.iter().any(|p| topic.starts_with(p.as_str()))
    }

    fn deliver<'a>(&'a self, event: &'a OutboxEvent) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let key = [("idempotency-key", event.id.to_string())];
            let (status, _) =
                self.client.post_signed(&self.url, &envelope(event), &self.secret, SIGNATURE_HEADER, &key).await?;
            Ok(Some(status))
        })
    }
}

// ----- the dispatcher -----

/// How a dispatcher works.
#[derive(Clone, Debug)]
pub struct DispatchConfig {
    /// Pause between scans when the last one found nothing (a full batch rescans at once).
    pub poll: Duration,
    /// Most events leased per scan.
    pub batch: i64,
    /// Most deliveries of a batch in flight at once.
    pub concurrency: usize,
    /// How long a lease lasts; more than twice `delivery_timeout`.
    pub lease: Duration,
    /// Longest a single delivery may take.
    pub delivery_timeout: Duration,
    /// Attempts before an event is dead.
    pub max_attempts: i32,
    /// First retry delay, doubled per attempt (with full jitter) up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long delivered and skipped events are kept before they are purged (`None`: forever).
    pub retention: Option<Duration>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(100),
            batch: 64,
            concurrency: 32,
            lease: Duration::from_secs(15),
            delivery_timeout: Duration::from_secs(5),
            max_attempts: 12,
            retry_base: Duration::from_millis(500),
            retry_max: Duration::from_secs(300),
            retention: Some(Duration::from_secs(7 * 24 * 3600)),
        }
    }
}

impl DispatchConfig {
    /// The delay before attempt `attempt + 1`: `retry_base × 2^(attempt−1)`, capped, with full
    /// jitter (a random fraction of it, at least 1 ms), so that a recovering partner is not hit
    /// by every retry at once.
    pub fn backoff(&self, attempt: i32) -> Duration {
        let exp = self.retry_base.saturating_mul(1u32 << (attempt.clamp(1, 20) - 1) as u32).min(self.retry_max);
        exp.mul_f64(rand::random::<f64>()).max(Duration::from_millis(1))
    }
}

/// How often a dispatcher purges finished events past their retention.
const PURGE_EVERY: Duration = Duration::from_secs(60);
/// Events deleted per purge transaction, and transactions per purge.
const PURGE_BATCH: i64 = 1000;
const PURGE_BATCHES: usize = 20;

/// One core's dispatcher.
#[derive(Debug)]
pub struct Dispatcher {
    store: Store,
    region: String,
    /// This dispatcher's lease owner name: region, process and a random part.
    owner: String,
    subscribers: Vec<Arc<dyn Subscriber>>,
    config: DispatchConfig,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        region: impl Into<String>,
        subscribers: Vec<Arc<dyn Subscriber>>,
        config: DispatchConfig,
    ) -> Self {
        let region = region.into();
        let owner = format!("core-{region}-{}-{}", std::process::id(), &Uuid::new_v4().simple().to_string()[..8]);
        Self { store, region, owner, subscribers, config }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Runs until the task is aborted.
    /// The dispatcher of the application's region.
    pub fn of(app: &App, subscribers: Vec<Arc<dyn Subscriber>>, config: DispatchConfig) -> Self {
        Self::new(app.store.clone(), &app.region, subscribers, config)
    }

    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            tracing::info!(owner = %self.owner, subscribers = self.subscribers.len(), "outbox dispatcher started");
            let mut next_purge = Instant::now() + PURGE_EVERY;
            loop {
                if Instant::now() >= next_purge {
                    next_purge = Instant::now() + PURGE_EVERY;
                    if let Err(e) = self.purge().await {
                        tracing::warn!(error = %e, "outbox purge failed");
                    }
                }
                match self.run_once().await {
                    Ok(n) if n as i64 >= self.config.batch => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "outbox dispatch failed"),
                }
                tokio::time::sleep(self.config.poll).await;
            }
        })
    }

    /// Deletes this region's delivered and skipped events older than the retention, with their
    /// delivery log, in bounded batches (at most [`PURGE_BATCHES`] × [`PURGE_BATCH`] per call);
    /// returns how many events went. Dead and pending events stay.
    pub async fn purge(&self) -> Result<u64, core_store::commerce::CommerceError> {
        let Some(retention) = self.config.retention else {
            return Ok(0);
        };
        let mut purged = 0;
        for _ in 0..PURGE_BATCHES {
            let n = store::purge(&self.store, &self.region, retention.as_millis() as i64, PURGE_BATCH).await?;
            purged += n;
            if (n as i64) < PURGE_BATCH {
                break;
            }
        }
        if purged > 0 {
            tracing::info!(purged, region = %self.region, "finished outbox events purged");
        }
        Ok(purged)
    }

    /// Leases one batch, delivers it and records the outcomes; returns how many events it took.
    pub async fn run_once(&self) -> Result<usize, core_store::commerce::CommerceError> {
        let lease_ms = self.config.lease.as_millis() as i64;
        let events = store::claim(&self.store, &self.owner, &self.region, self.config.batch, lease_ms).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let deliveries: Vec<_> = events.iter().map(|e| Box::pin(self.attempt(e))).collect();
        let attempts: Vec<Attempt> =
            futures::stream::iter(deliveries).buffered(self.config.concurrency).collect().await;
        store::finish(&self.store, &self.owner, &attempts).await?;
        Ok(events.len())
    }

    async fn attempt(&self, event: &OutboxEvent) -> Attempt {
        let started = Instant::now();
        let Some(subscriber) = self.subscribers.iter().find(|s| s.wants(&event.topic)) else {
            return self.attempt_record(event, "none", Outcome::Skipped, None, None, started);
        };
        let result = match tokio::time::timeout(self.config.delivery_timeout, subscriber.deliver(event)).await {
            Ok(result) => result,
            Err(_) => Err(DeliveryError::transient("no answer within the delivery timeout")),
        };
        match result {
            Ok(status) => self.attempt_record(event, subscriber.name(), Outcome::Delivered, status, None, started),
            Err(e) => {
                let outcome = if e.permanent || event.attempts >= self.config.max_attempts {
                    Outcome::Dead
                } else {
                    Outcome::RetryIn(self.config.backoff(event.attempts).as_millis() as i64)
                };
                tracing::debug!(event = %event.id, topic = %event.topic, error = %e.message, "outbox delivery failed");
                self.attempt_record(event, subscriber.name(), outcome, e.http_status, Some(e.message), started)
            }
        }
    }

    fn attempt_record(
        &self,
        event: &OutboxEvent,
        subscriber: &str,
        outcome: Outcome,
        http_status: Option<u16>,
        error: Option<String>,
        started: Instant,
    ) -> Attempt {
        Attempt {
            event: event.id,
            attempt: event.attempts,
            subscriber: subscriber.to_string(),
            outcome,
            http_status: http_status.map(i32::from),
            error,
            duration_ms: started.elapsed().as_millis() as i64,
            region: event.region.clone(),
        }
    }
}

// ----- operator API -----

// ----- operators -----

/// The outbox's figures: pending, leased, retrying and dead events and the lag, of one region
/// when given.
pub async fn stats(app: &App, region: Option<&str>) -> AppResult<OutboxStats> {
    let client = app.store.client().await?;
    Ok(store::stats(&client, region).await?)
}

/// The outbox's figures (of one region when given) and its dead events, oldest first (at most
/// `dead_limit`).
pub async fn overview(app: &App, region: Option<&str>, dead_limit: i64) -> AppResult<(OutboxStats, Vec<OutboxEvent>)> {
    let client = app.store.client().await?;
    let stats = store::stats(&client, region).await?;
    let dead = store::list(&client, EventStatus::Dead, dead_limit).await?;
    Ok((stats, dead))
}

/// The dead events a page at a time, newest first.
pub async fn dead(
    app: &App,
    after: Option<core_domain::pages::After>,
    limit: i64,
) -> AppResult<(Vec<OutboxEvent>, Option<core_domain::pages::After>)> {
    let client = app.store.client().await?;
    let events = store::dead_page(&client, after.and_then(crate::pages::key), limit + 1).await?;
    Ok(crate::pages::cut(events, limit, |e| (e.created_at, e.id)))
}

/// One event and its delivery log.
pub async fn event(app: &App, id: Uuid) -> AppResult<Option<(OutboxEvent, Vec<DeliveryRecord>)>> {
    let client = app.store.client().await?;
    Ok(store::find(&client, id).await?)
}

/// Makes a dead, delivered or skipped event pending again, due now.
pub async fn replay(app: &App, id: Uuid) -> AppResult<OutboxEvent> {
    let event = store::replay(&app.store, id).await?;
    tracing::info!(event = %id, topic = %event.topic, "outbox event replayed by an operator");
    Ok(event)
}

/// Replays the dead events (of one topic, when given), at most `limit`; answers how many.
pub async fn replay_dead(app: &App, topic: Option<&str>, limit: i64) -> AppResult<u64> {
    let replayed = store::replay_dead(&app.store, topic, limit).await?;
    tracing::info!(replayed, topic = topic.unwrap_or("*"), "dead outbox events replayed");
    Ok(replayed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter() {
        let config = DispatchConfig {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(1000),
            ..DispatchConfig::default()
        };
        for (attempt, ceiling) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (30, 1000)] {
            for _ in 0..50 {
                let d = config.backoff(attempt);
                assert!(d >= Duration::from_millis(1) && d <= Duration::from_millis(ceiling), "{attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn partner_answers_are_permanent_or_not() {
        for (status, permanent) in
            [(400, true), (401, true), (404, true), (422, true), (408, false), (409, false), (429, false)]
        {
            assert_eq!(DeliveryError::from_status(status, b"").permanent, permanent, "{status}");
            // A request we signed whose signature is refused (401) is retried, as a clock put
            // right or a rotated secret mends it; the other answers mean the same.
            assert_eq!(
                DeliveryError::from_signed_status(status, b"").permanent,
                permanent && status != 401,
                "{status}"
            );
        }
        for status in [500, 502, 503] {
            assert!(!DeliveryError::from_status(status, b"x").permanent);
            assert!(!DeliveryError::from_signed_status(status, b"x").permanent);
        }
    }
}
