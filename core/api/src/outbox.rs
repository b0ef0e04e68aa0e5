//! The outbox dispatcher and its operator API.
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
//! Operators see the outbox at `GET /admin/v1/outbox` (pending, leased, retrying and dead
//! counts, the lag: the age of the oldest pending event, and the dead events), one event with
//! its delivery log at `GET /admin/v1/outbox/events/{id}`, and replay one event
//! (`POST /admin/v1/outbox/events/{id}/replay`) or every dead one
//! (`POST /admin/v1/outbox/replay-dead`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use core_store::Store;
use core_store::commerce::outbox::{self as store, Attempt, EventStatus, OutboxEvent, Outcome};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Secret};
pub use core_partners::{DeliveryError, PartnerClient};

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
        "created_at": rfc3339(event.created_at),
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

pub fn admin_router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/outbox", get(overview))
        .route("/admin/v1/outbox/events/{id}", get(show))
        .route("/admin/v1/outbox/events/{id}/replay", post(replay))
        .route("/admin/v1/outbox/replay-dead", post(replay_dead))
        .layer(axum::middleware::from_fn_with_state(state, require_admin))
}

async fn require_admin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    crate::auth::admit_staff(&state, request, next, crate::auth::Role::Admin).await
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[derive(Serialize)]
pub struct EventDto {
    id: Uuid,
    topic: String,
    aggregate_id: Uuid,
    region: String,
    /// `pending`, `delivered`, `skipped` or `dead`.
    status: &'static str,
    attempts: i32,
    created_at: String,
    next_attempt_at: String,
    published_at: Option<String>,
    last_error: Option<String>,
    payload: Value,
}

impl From<OutboxEvent> for EventDto {
    fn from(e: OutboxEvent) -> Self {
        Self {
            id: e.id,
            topic: e.topic,
            aggregate_id: e.aggregate_id,
            region: e.region,
            status: e.status.as_str(),
            attempts: e.attempts,
            created_at: rfc3339(e.created_at),
            next_attempt_at: rfc3339(e.next_attempt_at),
            published_at: e.published_at.map(rfc3339),
            last_error: e.last_error,
            payload: e.payload,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// Only this region's events.
    region: Option<String>,
}

#[utoipa::path(get, path = "/admin/v1/outbox", tag = "admin", params(OverviewQuery),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "pending, leased, retrying and dead counts, the lag (ms), the dead events"),
        (status = 404, body = crate::error::ErrorBody, description = "region_not_found")))]
/// The outbox's health: counts, lag and the dead events (oldest first, at most 100).
pub async fn overview(
    State(state): State<AppState>,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    if let Some(r) = &query.region
        && state.regions.region(r).is_none()
    {
        return Err(ApiError::not_found("region_not_found", format!("no region `{}`", crate::state::truncate(r))));
    }
    let client = state.store.client().await?;
    let stats = store::stats(&client, query.region.as_deref()).await?;
    let dead: Vec<EventDto> = store::list(&client, EventStatus::Dead, 100).await?.into_iter().map(Into::into).collect();
    Ok(Json(json!({
        "pending": stats.pending,
        "leased": stats.leased,
        "retrying": stats.retrying,
        "dead": stats.dead,
        "lag_ms": stats.lag_ms,
        "dead_events": dead,
    })))
}

fn event_id(path: Result<Path<String>, PathRejection>) -> ApiResult<Uuid> {
    let missing = || ApiError::not_found("event_not_found", "no such event");
    let Path(id) = path.map_err(|_| missing())?;
    Uuid::parse_str(&id).map_err(|_| missing())
}

#[utoipa::path(get, path = "/admin/v1/outbox/events/{id}", tag = "admin",
    params(("id" = String, Path, description = "the event's id")),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "the event and its delivery log"),
        (status = 404, body = crate::error::ErrorBody, description = "event_not_found")))]
/// One event and its delivery log.
pub async fn show(State(state): State<AppState>, path: Result<Path<String>, PathRejection>) -> ApiResult<Json<Value>> {
    let id = event_id(path)?;
    let client = state.store.client().await?;
    let (event, log) =
        store::find(&client, id).await?.ok_or_else(|| ApiError::not_found("event_not_found", "no such event"))?;
    let deliveries: Vec<Value> = log
        .into_iter()
        .map(|d| {
            json!({
                "attempt": d.attempt, "subscriber": d.subscriber, "dispatcher": d.dispatcher,
                "outcome": d.outcome, "http_status": d.http_status, "error": d.error,
                "duration_ms": d.duration_ms, "at": rfc3339(d.at),
            })
        })
        .collect();
    Ok(Json(json!({"event": EventDto::from(event), "deliveries": deliveries})))
}

#[utoipa::path(post, path = "/admin/v1/outbox/events/{id}/replay", tag = "admin",
    params(("id" = String, Path, description = "the event's id")),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "the event, pending again"),
        (status = 404, body = crate::error::ErrorBody, description = "event_not_found")))]
/// Makes a dead, delivered or skipped event pending again, due now.
pub async fn replay(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<EventDto>> {
    let id = event_id(path)?;
    let event = store::replay(&state.store, id).await?;
    tracing::info!(event = %id, topic = %event.topic, "outbox event replayed by an operator");
    Ok(Json(event.into()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReplayDead {
    topic: Option<String>,
}

#[utoipa::path(post, path = "/admin/v1/outbox/replay-dead", tag = "admin",
    request_body(content = Object, description = "optional: `{\"topic\": …}` to replay one topic's dead events"),
    security(("service_token" = []), ("session_token" = [])),
    responses((status = 200, description = "`replayed`: how many events are pending again")))]
/// Replays every dead event (of one topic, when given), at most 10,000 at a time.
pub async fn replay_dead(
    State(state): State<AppState>,
    body: Result<Json<ReplayDead>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let body = match body {
        Ok(Json(b)) => b,
        Err(JsonRejection::MissingJsonContentType(_)) => ReplayDead::default(),
        Err(e) => return Err(ApiError::bad_request("invalid_body", e.body_text())),
    };
    let replayed = store::replay_dead(&state.store, body.topic.as_deref(), 10_000).await?;
    tracing::info!(replayed, topic = body.topic.as_deref().unwrap_or("*"), "dead outbox events replayed");
    Ok(Json(json!({"replayed": replayed})))
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
