//! The transactional outbox: an event is written in the same transaction as the change it
//! describes, so that it exists exactly when the change does. Dispatchers (one per core, any
//! number of cores) deliver them at least once; consumers dedupe by id.
//!
//! A dispatcher takes a batch of due events by a lease: one conditional `UPDATE` sets the
//! lease owner and expiry (on the database's clock) of pending events whose lease is free or
//! ran out, and counts the attempt. Two dispatchers never hold one event at once, on PostgreSQL
//! as on CockroachDB (which lacks `SKIP LOCKED` before 22.2 and under READ COMMITTED): the
//! SERIALIZABLE transaction makes one of two racing claims retry and find other rows. A claim
//! picks its batch in due order (one range of the `outbox_due_in_order` index, however long
//! the backlog), then locks the picked events in id order before it leases them: a claim that
//! meets an event another holds waits for it and then retries. Left to the plan's order, two
//! claims would lock overlapping batches in different orders, deadlock, and both stall for
//! the database's deadlock timeout (a second on PostgreSQL). The attempt number fences the
//! result: a dispatcher whose lease ran out (and whose event another
//! took) records its delivery in the log but no longer changes the event.

use crate::Prepared;
use deadpool_postgres::GenericClient;
use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{CommerceError, Result};
use crate::Store;

pub async fn publish(
    tx: &impl GenericClient,
    topic: &str,
    aggregate: Uuid,
    region: &str,
    payload: &Value,
) -> Result<Uuid> {
    let row = tx
        .query_one_cached(
            "INSERT INTO outbox (topic, aggregate_id, payload, region) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&topic, &aggregate, payload, &region],
        )
        .await?;
    Ok(row.get(0))
}

/// Where an event stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventStatus {
    /// Waiting for (another) delivery attempt.
    Pending,
    /// A subscriber accepted it.
    Delivered,
    /// No subscriber takes its topic.
    Skipped,
    /// Given up after too many failures, or refused for good; waits for an operator.
    Dead,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Skipped => "skipped",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "delivered" => Self::Delivered,
            "skipped" => Self::Skipped,
            "dead" => Self::Dead,
            _ => return None,
        })
    }
}

/// One outbox event as dispatchers and operators see it.
#[derive(Clone, Debug)]
pub struct OutboxEvent {
    pub id: Uuid,
    pub topic: String,
    pub aggregate_id: Uuid,
    pub payload: Value,
    pub region: String,
    pub created_at: OffsetDateTime,
    pub status: EventStatus,
    /// Leases taken so far (delivery attempts begun); fences a late dispatcher.
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub published_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

/// The columns [`event`] reads, in its order.
macro_rules! event_columns {
    () => {
        "id, topic, aggregate_id, payload, region, created_at, status, attempts, next_attempt_at, published_at, last_error"
    };
}

fn event(row: &Row) -> OutboxEvent {
    let status: String = row.get(6);
    OutboxEvent {
        id: row.get(0),
        topic: row.get(1),
        aggregate_id: row.get(2),
        payload: row.get(3),
        region: row.get(4),
        created_at: row.get(5),
        status: EventStatus::parse(&status).unwrap_or(EventStatus::Pending),
        attempts: row.get(7),
        next_attempt_at: row.get(8),
        published_at: row.get(9),
        last_error: row.get(10),
    }
}

/// Leases up to `limit` due events of `region` to `owner` for `lease_ms`, oldest due first
/// (locked in id order: see the module).
pub async fn claim(store: &Store, owner: &str, region: &str, limit: i64, lease_ms: i64) -> Result<Vec<OutboxEvent>> {
    const SQL: &str = concat!(
        "WITH due AS MATERIALIZED (SELECT id FROM outbox WHERE status = 'pending' AND region = $3 ",
        "AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now()) ",
        "ORDER BY next_attempt_at, id LIMIT $4), ",
        "locked (locked_id) AS MATERIALIZED (SELECT id FROM outbox WHERE id IN (SELECT id FROM due) ORDER BY id FOR UPDATE) ",
        "UPDATE outbox SET lease_owner = $1, lease_until = now() + $2::INT8 * INTERVAL '1 millisecond', ",
        "attempts = attempts + 1 FROM locked WHERE id = locked_id ",
        "AND status = 'pending' AND (lease_until IS NULL OR lease_until < now()) RETURNING ",
        event_columns!()
    );
    store
        .transaction(|tx| {
            let (owner, region) = (owner.to_string(), region.to_string());
            Box::pin(async move {
                let rows = tx.query_cached(SQL, &[&owner, &lease_ms, &region, &limit]).await?;
                let mut events: Vec<OutboxEvent> = rows.iter().map(event).collect();
                events.sort_by_key(|e| (e.next_attempt_at, e.created_at));
                Ok::<_, CommerceError>(events)
            })
        })
        .await
}

/// What became of one delivery attempt.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub event: Uuid,
    /// The attempt number the lease was taken with ([`OutboxEvent::attempts`]).
    pub attempt: i32,
    pub subscriber: String,
    pub outcome: Outcome,
    pub http_status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub region: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    Skipped,
    /// Failed; try again after this many milliseconds.
    RetryIn(i64),
    /// Failed for good (too many attempts, or refused as malformed).
    Dead,
}

impl Outcome {
    fn log_name(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Skipped => "skipped",
            Self::RetryIn(_) => "failed",
            Self::Dead => "dead",
        }
    }
}

/// Records a batch of attempts by `owner`: each on its event while `owner` still holds the
/// lease it was taken with, and each delivery tried in the delivery log (an event no partner
/// subscribes to is only marked skipped), in one round trip. Returns how many events were changed (the others had been taken over after the lease
/// ran out).
pub async fn finish(store: &Store, owner: &str, attempts: &[Attempt]) -> Result<u64> {
    if attempts.is_empty() {
        return Ok(0);
    }
    let mut events = Columns::default();
    let mut log = Columns::default();
    for a in attempts {
        let (status, retry_ms) = match a.outcome {
            Outcome::Delivered => (EventStatus::Delivered, 0),
            Outcome::Skipped => (EventStatus::Skipped, 0),
            Outcome::RetryIn(ms) => (EventStatus::Pending, ms),
            Outcome::Dead => (EventStatus::Dead, 0),
        };
        events.push(a, status.as_str(), retry_ms);
        if a.outcome != Outcome::Skipped {
            log.push(a, a.outcome.log_name(), 0);
        }
    }
    store
        .transaction(|tx| {
            let (owner, events, log) = (owner.to_string(), events.clone(), log.clone());
            Box::pin(async move {
                let log_params: [&(dyn ToSql + Sync); 9] = [
                    &owner,
                    &log.event,
                    &log.attempt,
                    &log.subscriber,
                    &log.label,
                    &log.http_status,
                    &log.error,
                    &log.duration_ms,
                    &log.region,
                ];
                // One update per event, by primary key (a set-based UPDATE … FROM unnest() was
                // planned as a scan of every pending event, whose SERIALIZABLE read conflicted
                // with new events and claims), sent together with the log in one round trip.
                let updates = (0..events.event.len()).map(|i| {
                    let events = &events;
                    let owner = &owner;
                    async move {
                        tx.execute_cached(
                            "UPDATE outbox SET status = $4, lease_owner = NULL, lease_until = NULL, \
                             published_at = CASE WHEN $4 = 'delivered' THEN now() ELSE published_at END, \
                             next_attempt_at = now() + $5::INT8 * INTERVAL '1 millisecond', last_error = $6 \
                             WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'pending'",
                            &[
                                &events.event[i],
                                owner,
                                &events.attempt[i],
                                &events.label[i],
                                &events.retry_ms[i],
                                &events.error[i],
                            ],
                        )
                        .await
                    }
                });
                let updates = futures::future::join_all(updates);
                let logged = async {
                    if log.event.is_empty() {
                        return Ok(0);
                    }
                    tx.execute_cached(
                        "INSERT INTO outbox_deliveries (event_id, attempt, subscriber, dispatcher, outcome, \
                         http_status, error, duration_ms, region) \
                         SELECT d.event_id, d.attempt, d.subscriber, $1, d.outcome, d.http_status, d.error, \
                         d.duration_ms, d.region \
                         FROM unnest($2::UUID[], $3::INT4[], $4::TEXT[], $5::TEXT[], $6::INT4[], $7::TEXT[], \
                         $8::INT8[], $9::TEXT[]) \
                         AS d (event_id, attempt, subscriber, outcome, http_status, error, duration_ms, region)",
                        &log_params,
                    )
                    .await
                };
                let (updated, logged) = futures::join!(updates, logged);
                let done = crate::pipeline(
                    updated
                        .into_iter()
                        .chain(std::iter::once(logged))
                        .map(|r| async { r.map_err(CommerceError::from) }),
                )
                .await?;
                Ok::<_, CommerceError>(done[..done.len() - 1].iter().sum())
            })
        })
        .await
}

/// Deletes up to `limit` of `region`'s delivered and skipped events that finished more than
/// `older_than_ms` ago, with their delivery log; returns how many events went.
pub async fn purge(store: &Store, region: &str, older_than_ms: i64, limit: i64) -> Result<u64> {
    store
        .transaction(|tx| {
            let region = region.to_string();
            Box::pin(async move {
                let gone: Vec<Uuid> = tx
                    .query_cached(
                        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox \
                         WHERE status IN ('delivered', 'skipped') AND region = $1 \
                         AND next_attempt_at < now() - $2::INT8 * INTERVAL '1 millisecond' LIMIT $3) \
                         AND status IN ('delivered', 'skipped') RETURNING id",
                        &[&region, &older_than_ms, &limit],
                    )
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                if !gone.is_empty() {
                    tx.execute_cached("DELETE FROM outbox_deliveries WHERE event_id = ANY($1)", &[&gone]).await?;
                }
                Ok::<_, CommerceError>(gone.len() as u64)
            })
        })
        .await
}

/// Attempts as one array per column, for statements over a whole batch.
#[derive(Clone, Default)]
struct Columns {
    event: Vec<Uuid>,
    attempt: Vec<i32>,
    subscriber: Vec<String>,
    /// The event's new status, or the delivery log's outcome.
    label: Vec<&'static str>,
    retry_ms: Vec<i64>,
    http_status: Vec<Option<i32>>,
    error: Vec<Option<String>>,
    duration_ms: Vec<i64>,
    region: Vec<String>,
}

impl Columns {
    fn push(&mut self, a: &Attempt, label: &'static str, retry_ms: i64) {
        self.event.push(a.event);
        self.attempt.push(a.attempt);
        self.subscriber.push(a.subscriber.clone());
        self.label.push(label);
        self.retry_ms.push(retry_ms);
        self.http_status.push(a.http_status);
        self.error.push(a.error.clone());
        self.duration_ms.push(a.duration_ms);
        self.region.push(a.region.clone());
    }
}

/// The outbox's health, for operators and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxStats {
    /// Events waiting for delivery (due or backing off), leased ones included.
    pub pending: i64,
    /// Pending events held by a dispatcher right now.
    pub leased: i64,
    /// Pending events that failed at least once and wait for their next attempt.
    pub retrying: i64,
    /// Events given up on, waiting for an operator.
    pub dead: i64,
    /// Age of the oldest pending event in milliseconds (0 with none): the delivery lag.
    pub lag_ms: i64,
}

/// Counts pending and dead events (all regions, or one) and the age of the oldest pending one,
/// on the database's clock. Bounded by what is undelivered, never by history.
pub async fn stats(client: &impl GenericClient, region: Option<&str>) -> Result<OutboxStats> {
    let row = client
        .query_one_cached(
            "SELECT \
               COALESCE(sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0)::INT8, \
               COALESCE(sum(CASE WHEN status = 'pending' AND lease_until >= now() THEN 1 ELSE 0 END), 0)::INT8, \
               COALESCE(sum(CASE WHEN status = 'pending' AND last_error IS NOT NULL THEN 1 ELSE 0 END), 0)::INT8, \
               COALESCE(sum(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), 0)::INT8, \
               now(), min(CASE WHEN status = 'pending' THEN created_at END) \
             FROM outbox WHERE status IN ('pending', 'dead') AND ($1::TEXT IS NULL OR region = $1)",
            &[&region],
        )
        .await?;
    let now: OffsetDateTime = row.get(4);
    let oldest: Option<OffsetDateTime> = row.get(5);
    let lag_ms = oldest.map(|t| ((now - t).whole_milliseconds().max(0)) as i64).unwrap_or(0);
    Ok(OutboxStats { pending: row.get(0), leased: row.get(1), retrying: row.get(2), dead: row.get(3), lag_ms })
}

/// Events in `status`, oldest first, at most `limit`.
pub async fn list(client: &impl GenericClient, status: EventStatus, limit: i64) -> Result<Vec<OutboxEvent>> {
    const SQL: &str =
        concat!("SELECT ", event_columns!(), " FROM outbox WHERE status = $1 ORDER BY next_attempt_at, id LIMIT $2");
    let rows = client.query_cached(SQL, &[&status.as_str(), &limit]).await?;
    Ok(rows.iter().map(event).collect())
}

/// Dead events, newest first (by creation time, then id), after `after`, at most `limit`.
pub async fn dead_page(
    client: &impl GenericClient,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<OutboxEvent>> {
    const SQL: &str = concat!(
        "SELECT ",
        event_columns!(),
        " FROM outbox WHERE status = 'dead' AND ($1::TIMESTAMPTZ IS NULL OR (created_at, id) < ($1, $2::UUID)) \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let (at, id) = (after.map(|a| a.0), after.map(|a| a.1));
    let rows = client.query_cached(SQL, &[&at, &id, &limit]).await?;
    Ok(rows.iter().map(event).collect())
}

/// One line of the delivery log.
#[derive(Clone, Debug)]
pub struct DeliveryRecord {
    pub attempt: i32,
    pub subscriber: String,
    pub dispatcher: String,
    pub outcome: String,
    pub http_status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: OffsetDateTime,
}

/// An event and its delivery log, oldest attempt first.
pub async fn find(client: &impl GenericClient, id: Uuid) -> Result<Option<(OutboxEvent, Vec<DeliveryRecord>)>> {
    const SQL: &str = concat!("SELECT ", event_columns!(), " FROM outbox WHERE id = $1");
    let Some(row) = client.query_opt_cached(SQL, &[&id]).await? else {
        return Ok(None);
    };
    let log = client
        .query_cached(
            "SELECT attempt, subscriber, dispatcher, outcome, http_status, error, duration_ms, created_at \
             FROM outbox_deliveries WHERE event_id = $1 ORDER BY created_at, attempt",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| DeliveryRecord {
            attempt: r.get(0),
            subscriber: r.get(1),
            dispatcher: r.get(2),
            outcome: r.get(3),
            http_status: r.get(4),
            error: r.get(5),
            duration_ms: r.get(6),
            at: r.get(7),
        })
        .collect();
    Ok(Some((event(&row), log)))
}

/// An operator's replay: a dead (or delivered, or skipped) event becomes pending again, due
/// now, with its attempts counted afresh. Receivers dedupe by id, so replaying a delivered
/// event is harmless. A pending event is refused (`event_pending`): it is on its way already.
pub async fn replay(store: &Store, id: Uuid) -> Result<OutboxEvent> {
    const SQL: &str = concat!(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, ",
        "lease_until = NULL, last_error = NULL WHERE id = $1 AND status <> 'pending' RETURNING ",
        event_columns!()
    );
    store
        .transaction(|tx| {
            Box::pin(async move {
                if let Some(row) = tx.query_opt_cached(SQL, &[&id]).await? {
                    return Ok(event(&row));
                }
                match tx.query_opt_cached("SELECT status FROM outbox WHERE id = $1", &[&id]).await? {
                    Some(_) => {
                        Err(CommerceError::Rejected("the event is pending delivery already".into(), "event_pending"))
                    }
                    None => Err(CommerceError::NotFound("event")),
                }
            })
        })
        .await
}

/// Replays every dead event (of one topic, or all), at most `limit`; returns how many.
pub async fn replay_dead(store: &Store, topic: Option<&str>, limit: i64) -> Result<u64> {
    store
        .transaction(|tx| {
            let topic = topic.map(str::to_string);
            Box::pin(async move {
                let n = tx
                    .execute_cached(
                        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), \
                         lease_owner = NULL, lease_until = NULL, last_error = NULL \
                         WHERE id IN (SELECT id FROM outbox WHERE status = 'dead' AND ($1::TEXT IS NULL OR topic = $1) \
                                      ORDER BY next_attempt_at LIMIT $2) AND status = 'dead'",
                        &[&topic, &limit],
                    )
                    .await?;
                Ok::<_, CommerceError>(n)
            })
        })
        .await
}
