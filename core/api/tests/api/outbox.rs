//! The outbox dispatcher against a real HTTP receiver on loopback: delivery with signatures,
//! retries with backoff, dead letters and replay, the delivery log, leases shared by several
//! dispatchers, and a lease taken over after it ran out.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use core_api::Secret;
use core_api::outbox::{DispatchConfig, Dispatcher, Subscriber, WebhookSubscriber};
use core_store::Store;
use core_store::commerce::CommerceError;
use core_store::commerce::outbox::{self, Attempt, EventStatus, Outcome};
use serde_json::{Value, json};
use testkit::eventually;
use uuid::Uuid;

use super::spawn_app;

const SECRET: &str = "whsec_outbox_test";

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// Accepted deliveries per event id.
    accepted: HashMap<Uuid, u32>,
    /// Deliveries in flight right now, by event id.
    in_flight: HashSet<Uuid>,
    /// Deliveries that arrived while another of the same event was in flight.
    parallel: u32,
    /// Deliveries whose signature did not verify.
    bad_signatures: u32,
}

/// A partner on loopback taking signed events: answers 503 while `down`, 422 to topics
/// ending in `.malformed`, 503 to topics ending in `.flaky`, and takes `delay` per delivery.
#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Seen>>,
    down: Arc<AtomicBool>,
    refused: Arc<AtomicU32>,
    delay: Duration,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("shop-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if partners_signing::verify_signature(
        SECRET.as_bytes(),
        signature,
        &body,
        SystemTime::now(),
        partners_signing::DEFAULT_TOLERANCE,
    )
    .is_err()
    {
        r.seen.lock().unwrap().bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let event: Value = serde_json::from_slice(&body).unwrap();
    let id: Uuid = event["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(headers.get("idempotency-key").unwrap().to_str().unwrap(), id.to_string());
    let topic = event["topic"].as_str().unwrap().to_string();
    if r.down.load(Ordering::SeqCst) || topic.ends_with(".flaky") {
        r.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if topic.ends_with(".malformed") {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    {
        let mut seen = r.seen.lock().unwrap();
        if !seen.in_flight.insert(id) {
            seen.parallel += 1;
        }
    }
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let mut seen = r.seen.lock().unwrap();
    seen.in_flight.remove(&id);
    *seen.accepted.entry(id).or_default() += 1;
    StatusCode::OK
}

impl Receiver {
    async fn start(delay: Duration) -> (Self, String) {
        let r = Receiver { seen: Default::default(), down: Default::default(), refused: Default::default(), delay };
        let app = axum::Router::new().route("/events", post(receive)).with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    fn accepted(&self) -> HashMap<Uuid, u32> {
        self.seen.lock().unwrap().accepted.clone()
    }
}

fn quick() -> DispatchConfig {
    DispatchConfig {
        poll: Duration::from_millis(10),
        batch: 16,
        concurrency: 8,
        lease: Duration::from_secs(10),
        delivery_timeout: Duration::from_secs(2),
        max_attempts: 3,
        retry_base: Duration::from_millis(20),
        retry_max: Duration::from_millis(200),
        retention: None,
    }
}

fn subscribers(url: &str) -> Vec<Arc<dyn Subscriber>> {
    vec![Arc::new(WebhookSubscriber::new("test", vec!["test.".into()], url, Secret::new(SECRET)))]
}

async fn publish(store: &Store, topic: &str, n: usize) -> Vec<Uuid> {
    let topic = topic.to_string();
    store
        .transaction(|tx| {
            let topic = topic.clone();
            Box::pin(async move {
                let mut ids = Vec::new();
                for i in 0..n {
                    ids.push(outbox::publish(tx, &topic, Uuid::new_v4(), "eu-west", &json!({"n": i})).await?);
                }
                Ok::<_, CommerceError>(ids)
            })
        })
        .await
        .unwrap()
}

/// Runs `dispatcher` until `done` says so, at most 30 s: round after round while it finds
/// events due, waiting its poll interval after a round that found none (as a running one does).
async fn dispatch_until(dispatcher: &Dispatcher, what: &str, mut done: impl AsyncFnMut() -> bool) {
    eventually(what, Duration::from_secs(30), Duration::ZERO, async || {
        if done().await {
            return Ok(());
        }
        let dispatched = dispatcher.run_once().await.unwrap();
        if dispatched == 0 {
            tokio::time::sleep(quick().poll).await;
        }
        Err(format!("{dispatched} events in the last round"))
    })
    .await
}

async fn status(store: &Store, id: Uuid) -> EventStatus {
    let client = store.client().await.unwrap();
    outbox::find(&client, id).await.unwrap().unwrap().0.status
}

#[tokio::test]
async fn events_are_delivered_retried_while_the_partner_is_down_and_dead_lettered() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    let (receiver, url) = Receiver::start(Duration::ZERO).await;
    let dispatcher =
        Dispatcher::new(store.clone(), "eu-west", subscribers(&url), DispatchConfig { max_attempts: 10, ..quick() });
    let strict = Dispatcher::new(store.clone(), "eu-west", subscribers(&url), quick());

    // The partner is down: deliveries fail and are retried later, none accepted.
    receiver.down.store(true, Ordering::SeqCst);
    let ids = publish(&store, "test.order", 20).await;
    let other_region = store
        .transaction(|tx| {
            Box::pin(async move { outbox::publish(tx, "test.order", Uuid::new_v4(), "us-east", &json!({})).await })
        })
        .await
        .unwrap();
    dispatch_until(&dispatcher, "retries", async || receiver.refused.load(Ordering::SeqCst) >= 40).await;
    let a = app.admin("GET", "/admin/v1/outbox?region=eu-west", None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["pending"], 20, "{}", a.body);
    assert!(a.body["retrying"].as_i64().unwrap() > 0, "{}", a.body);
    assert!(a.body["lag_ms"].as_i64().unwrap() > 0, "{}", a.body);
    assert!(receiver.accepted().is_empty());

    // Back up: every event is delivered once, before any dies.
    receiver.down.store(false, Ordering::SeqCst);
    dispatch_until(&dispatcher, "recovery", async || receiver.accepted().len() == ids.len()).await;
    let accepted = receiver.accepted();
    for id in &ids {
        assert_eq!(accepted.get(id), Some(&1), "{id} delivered once");
        assert_eq!(status(&store, *id).await, EventStatus::Delivered);
    }
    assert_eq!(receiver.seen.lock().unwrap().bad_signatures, 0);
    // Another region's event is left to that region's dispatchers.
    assert_eq!(status(&store, other_region).await, EventStatus::Pending);
    assert!(!accepted.contains_key(&other_region));

    // The delivery log shows the failed attempts, then the delivery.
    let a = app.admin("GET", &format!("/admin/v1/outbox/events/{}", ids[0]), None).await;
    assert_eq!(a.status, 200);
    let log = a.body["deliveries"].as_array().unwrap();
    assert!(log.len() >= 2, "{}", a.body);
    assert_eq!(log.last().unwrap()["outcome"], "delivered");
    assert_eq!(log.last().unwrap()["http_status"], 200);
    assert!(log[..log.len() - 1].iter().all(|d| d["outcome"] == "failed" && d["http_status"] == 503), "{}", a.body);
    assert_eq!(a.body["event"]["status"], "delivered");

    // A refused event dies at once; one that keeps failing dies after its attempts; a topic no
    // partner takes is skipped.
    let malformed = publish(&store, "test.malformed", 1).await[0];
    let flaky = publish(&store, "test.flaky", 1).await[0];
    let nobody = publish(&store, "nobody.cares", 1).await[0];
    dispatch_until(&strict, "dead letters", async || {
        status(&store, malformed).await == EventStatus::Dead && status(&store, flaky).await == EventStatus::Dead
    })
    .await;
    assert_eq!(status(&store, nobody).await, EventStatus::Skipped);
    let a = app.admin("GET", &format!("/admin/v1/outbox/events/{flaky}"), None).await;
    let outcomes: Vec<&str> =
        a.body["deliveries"].as_array().unwrap().iter().map(|d| d["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["failed", "failed", "dead"], "{}", a.body);
    let a = app.admin("GET", "/admin/v1/outbox", None).await;
    assert_eq!(a.body["dead"], 2, "{}", a.body);
    let dead: HashSet<&str> =
        a.body["dead_events"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(dead, HashSet::from([malformed.to_string().as_str(), flaky.to_string().as_str()]));
    // Every dead event a page at a time, as every list.
    let first = app.admin("GET", "/admin/v1/outbox/dead?limit=1", None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let cursor = first.body["next_cursor"].as_str().expect("a second page").to_string();
    let second = app.admin("GET", &format!("/admin/v1/outbox/dead?limit=1&cursor={cursor}"), None).await;
    let paged: HashSet<String> = [&first, &second]
        .iter()
        .flat_map(|a| a.body["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(paged, HashSet::from([malformed.to_string(), flaky.to_string()]));
    assert!(second.body["next_cursor"].is_null(), "{}", second.body);
    let a = app.admin("GET", "/admin/v1/outbox/dead?cursor=nope", None).await;
    assert_eq!((a.status.as_u16(), a.code()), (400, "invalid_cursor"));

    // Replay: a pending event is refused, an unknown one is not found; a dead one goes again.
    let a = app.admin("POST", &format!("/admin/v1/outbox/events/{other_region}/replay"), None).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "event_pending"));
    let a = app.admin("POST", &format!("/admin/v1/outbox/events/{}/replay", Uuid::new_v4()), None).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "event_not_found"));
    let a = app.admin("POST", "/admin/v1/outbox/events/not-an-id/replay", None).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "event_not_found"));
    let a = app.admin("GET", "/admin/v1/outbox?region=atlantis", None).await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "region_not_found"));
    let a = app.admin("POST", &format!("/admin/v1/outbox/events/{malformed}/replay"), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!((a.body["status"].as_str(), a.body["attempts"].as_i64()), (Some("pending"), Some(0)));
    let a = app.admin("POST", "/admin/v1/outbox/replay-dead", Some(json!({"topic": "test.flaky"}))).await;
    assert_eq!(a.body["replayed"], 1, "{}", a.body);
    dispatch_until(&strict, "replayed dead letters", async || {
        status(&store, malformed).await == EventStatus::Dead && status(&store, flaky).await == EventStatus::Dead
    })
    .await;
    let a = app.admin("GET", &format!("/admin/v1/outbox/events/{malformed}"), None).await;
    assert_eq!(a.body["deliveries"].as_array().unwrap().len(), 2, "replayed once more: {}", a.body);

    // Only admins reach the outbox.
    let a = app.get("/admin/v1/outbox").await;
    assert_eq!(a.status, 401);
}

/// Four dispatchers (as on four core replicas) share the events: each is delivered exactly
/// once, never two deliveries of one event at the same time.
#[tokio::test]
async fn dispatchers_on_several_replicas_never_deliver_an_event_twice() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    let (receiver, url) = Receiver::start(Duration::from_millis(2)).await;
    let ids = publish(&store, "test.many", 300).await;
    let dispatchers: Vec<Dispatcher> = (0..4)
        .map(|_| Dispatcher::new(store.clone(), "eu-west", subscribers(&url), DispatchConfig { batch: 8, ..quick() }))
        .collect();
    let n = ids.len();
    futures::future::join_all(dispatchers.iter().map(|d| {
        let receiver = receiver.clone();
        async move { dispatch_until(d, "every delivery", async || receiver.accepted().len() == n).await }
    }))
    .await;
    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.parallel, 0, "an event was delivered twice at once");
    assert_eq!(seen.accepted.len(), ids.len());
    assert!(seen.accepted.values().all(|&n| n == 1), "an event was delivered twice");
}

/// Claims racing for the same due events (as every replica's dispatcher polls at once under
/// load) lock them in one order: each event is leased once, and no claim ever deadlocks, which
/// on PostgreSQL would stall both claims for the deadlock timeout (a second) before one retried.
#[tokio::test]
async fn racing_claims_lease_each_event_once_without_deadlocks() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.extend(publish(&store, "test.race", 100).await);
    }
    let deadlocks = store.stats().deadlocks();
    let leased = Mutex::new(Vec::new());
    let claimers = (0..6).map(|i| {
        let (store, leased, n) = (&store, &leased, ids.len());
        async move {
            let owner = format!("claimer-{i}");
            eventually("every event leased", Duration::from_secs(60), Duration::ZERO, async || {
                let held = leased.lock().unwrap().len();
                if held >= n {
                    return Ok(());
                }
                let events = outbox::claim(store, &owner, "eu-west", 16, 600_000).await.unwrap();
                leased.lock().unwrap().extend(events.iter().map(|e| e.id));
                Err(format!("{held} of {n} leased"))
            })
            .await;
        }
    });
    futures::future::join_all(claimers).await;
    let leased = leased.lock().unwrap().clone();
    assert_eq!(leased.len(), ids.len(), "an event was leased twice");
    assert_eq!(leased.iter().collect::<HashSet<_>>(), ids.iter().collect::<HashSet<_>>());
    assert_eq!(store.stats().deadlocks() - deadlocks, 0, "claims deadlocked");
}

/// Finished events (delivered, or skipped for want of a subscriber) past the retention go with
/// their delivery log; pending and dead ones stay, and so does everything while it is young.
#[tokio::test]
async fn finished_events_past_their_retention_are_purged_and_the_others_kept() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    let (receiver, url) = Receiver::start(Duration::ZERO).await;
    let config = DispatchConfig { max_attempts: 1, ..quick() };
    let keeping = Dispatcher::new(
        store.clone(),
        "eu-west",
        subscribers(&url),
        DispatchConfig { retention: Some(Duration::from_secs(3600)), ..config.clone() },
    );
    let delivered = publish(&store, "test.purge", 5).await;
    let dead = publish(&store, "test.purge.malformed", 2).await;
    let skipped = publish(&store, "nobody.listens", 3).await;
    dispatch_until(&keeping, "every delivery", async || receiver.accepted().len() == delivered.len()).await;
    dispatch_until(&keeping, "dead letters and skips", async || {
        status(&store, dead[1]).await == EventStatus::Dead && status(&store, skipped[2]).await == EventStatus::Skipped
    })
    .await;
    let pending = publish(&store, "test.purge", 1).await;

    // Young: nothing goes.
    assert_eq!(keeping.purge().await.unwrap(), 0);
    // Past the retention: the finished events and their log go, the rest stays.
    let purging = Dispatcher::new(
        store.clone(),
        "eu-west",
        subscribers(&url),
        DispatchConfig { retention: Some(Duration::ZERO), ..config },
    );
    // (Finished "more than zero" ago: wait, bounded, for the database clock to pass them.)
    let mut purged = 0;
    eventually("the 8 finished events purged", Duration::from_secs(5), Duration::ZERO, async || {
        purged += purging.purge().await.unwrap();
        if purged >= 8 { Ok(()) } else { Err(format!("{purged} purged")) }
    })
    .await;
    let client = store.client().await.unwrap();
    for id in delivered.iter().chain(&skipped) {
        assert!(outbox::find(&client, *id).await.unwrap().is_none(), "finished event {id} kept");
    }
    let logged: i64 = client
        .query_one("SELECT count(*) FROM outbox_deliveries WHERE event_id = ANY($1)", &[&delivered])
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, 0, "the purged events' delivery log is kept");
    for id in &dead {
        assert_eq!(status(&store, *id).await, EventStatus::Dead);
    }
    assert_eq!(status(&store, pending[0]).await, EventStatus::Pending);
}

/// A dispatcher that stopped (or stalled) mid-delivery loses its lease when it runs out: another
/// takes the event and delivers it, and the late one's report changes nothing.
#[tokio::test]
async fn a_lease_that_ran_out_is_taken_over_and_fences_the_late_dispatcher() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    let id = publish(&store, "test.crash", 1).await[0];
    let stalled = outbox::claim(&store, "stalled", "eu-west", 10, 200).await.unwrap();
    assert_eq!(stalled.iter().map(|e| e.id).collect::<Vec<_>>(), [id]);
    // While the lease holds, nobody else gets the event.
    assert!(outbox::claim(&store, "other", "eu-west", 10, 200).await.unwrap().is_empty());

    let (receiver, url) = Receiver::start(Duration::ZERO).await;
    let dispatcher = Dispatcher::new(store.clone(), "eu-west", subscribers(&url), quick());
    dispatch_until(&dispatcher, "the takeover", async || receiver.accepted().len() == 1).await;
    assert_eq!(status(&store, id).await, EventStatus::Delivered);

    let late = Attempt {
        event: id,
        attempt: stalled[0].attempts,
        subscriber: "test".into(),
        outcome: Outcome::RetryIn(10),
        http_status: Some(503),
        error: Some("late".into()),
        duration_ms: 1,
        region: "eu-west".into(),
    };
    assert_eq!(outbox::finish(&store, "stalled", &[late]).await.unwrap(), 0, "the late report is fenced");
    let client = store.client().await.unwrap();
    let (event, log) = outbox::find(&client, id).await.unwrap().unwrap();
    assert_eq!(event.status, EventStatus::Delivered);
    assert_eq!(event.attempts, 2);
    let by: Vec<(&str, &str)> = log.iter().map(|d| (d.dispatcher.as_str(), d.outcome.as_str())).collect();
    assert_eq!(by, [(dispatcher.owner(), "delivered"), ("stalled", "failed")]);
}
