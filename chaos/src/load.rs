//! The shoppers' load: journeys started at a fixed rate per region whatever the platform does
//! (open loop), each a short run of dependent steps (see [`journeys`](crate::journeys)), every
//! operation written to the history. Shoppers reach their region's edge, and the next region's
//! when theirs stops answering, as latency-based DNS with health checks would send them.
//!
//! Bounded: journeys start for `duration_ms`; those still running get until a deadline, then
//! are dropped; at most `max_in_flight` run at once (a journey due while that many run is
//! counted as skipped, never queued).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc};

use crate::client::{Client, Reply};
use crate::history::{self, Ack, Journey, Op, Outcome};
use crate::journeys;
use crate::zipf::Zipf;

/// A region as shoppers see it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegionTarget {
    pub id: String,
    /// Its edge, for shoppers.
    pub edge: SocketAddr,
    /// Its core's staff listener, for the support staff who approve returns.
    pub staff: SocketAddr,
    /// The market and language its shoppers buy in.
    pub market: String,
    pub language: String,
    /// Regions whose edges its shoppers go to when theirs does not answer, nearest first.
    pub failover: Vec<String>,
    /// Journeys started per second.
    pub rate: f64,
}

/// A product shoppers may view and buy, by popularity (the first is the most viewed).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Product {
    pub product: String,
    pub variant: String,
}

/// A flash sale: extra buyers of one variant for a while, in every region.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FlashSale {
    pub product: Product,
    /// From and to, in milliseconds since the load began.
    pub from_ms: u64,
    pub to_ms: u64,
    /// Buyers per second per region.
    pub rate: f64,
}

/// Shares of journey kinds (weights).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mix {
    pub browse: u32,
    pub buy: u32,
    pub track: u32,
    pub returns: u32,
}

/// What the load generator does.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Seeds every shopper's choices.
    pub seed: u64,
    pub duration_ms: u64,
    pub regions: Vec<RegionTarget>,
    /// The payment provider, for the card tokens shoppers' browsers get.
    pub payments: SocketAddr,
    pub products: Vec<Product>,
    /// Zipf exponent of product popularity.
    pub zipf_s: f64,
    pub mix: Mix,
    pub flash: Option<FlashSale>,
    /// How long a shopper waits for one answer.
    pub op_timeout_ms: u64,
    /// The staff's service token.
    pub staff_token: String,
    pub max_in_flight: usize,
    /// Where the history goes.
    pub history: PathBuf,
}

/// What a load run did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub journeys: u64,
    pub ops: u64,
    /// Journeys not started because `max_in_flight` were running.
    pub skipped: u64,
    /// Journeys still running at the deadline, dropped.
    pub dropped: u64,
}

/// An order a shopper placed, for later tracking and returns.
#[derive(Clone, Debug)]
pub struct Placed {
    pub order: String,
    pub region: String,
    pub cart_token: String,
    pub lines: Vec<history::Line>,
    /// The last status a read showed.
    pub status: String,
    pub returned: bool,
}

/// Edge health as DNS health checks see it: an edge is left out after two failed checks in a
/// row, back after one good one.
struct Dns {
    edges: BTreeMap<String, SocketAddr>,
    failover: BTreeMap<String, Vec<String>>,
    /// Consecutive failed checks per region.
    failures: std::sync::Mutex<BTreeMap<String, u32>>,
}

impl Dns {
    const UNHEALTHY_AFTER: u32 = 2;

    /// Where `home`'s shoppers go, in order: the healthy edges of home and its failover
    /// regions, then the others (a shopper whose connection is refused tries the next).
    fn resolve(&self, home: &str) -> Vec<(String, SocketAddr)> {
        let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let order = std::iter::once(home.to_string()).chain(self.failover.get(home).into_iter().flatten().cloned());
        let (healthy, sick): (Vec<_>, Vec<_>) = order
            .filter_map(|r| self.edges.get(&r).map(|a| (r, *a)))
            .partition(|(r, _)| failures.get(r).copied().unwrap_or(0) < Self::UNHEALTHY_AFTER);
        healthy.into_iter().chain(sick).collect()
    }

    /// Checks every edge's `/healthz` each second until `stop` is set.
    async fn probe(self: Arc<Self>, stop: Arc<AtomicBool>) {
        let client = Client::new(Duration::from_millis(1_000));
        while !stop.load(Ordering::Relaxed) {
            for (region, addr) in &self.edges {
                let ok = client.call(*addr, "GET", "/healthz", &[], None).await.status() == Some(200);
                let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let n = failures.entry(region.clone()).or_insert(0);
                *n = if ok { 0 } else { *n + 1 };
            }
            tokio::time::sleep(Duration::from_millis(1_000)).await;
        }
    }
}

/// What every journey shares.
pub struct Ctx {
    pub config: Config,
    pub client: Client,
    dns: Arc<Dns>,
    ops: mpsc::UnboundedSender<Op>,
    next_op: AtomicU64,
    pub zipf: Zipf,
    pub orders: Mutex<Vec<Placed>>,
    regions: BTreeMap<String, RegionTarget>,
}

/// One request a shopper makes.
pub struct Call<'a> {
    pub shopper: u64,
    pub journey: Journey,
    pub step: &'a str,
    pub home: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a Value>,
    pub key: Option<&'a str>,
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Whether an answer counts as served: below 500 other than 408 and 429.
pub fn served(status: u16) -> bool {
    status < 500 && status != 429 && status != 408
}

impl Ctx {
    pub fn region(&self, id: &str) -> &RegionTarget {
        &self.regions[id]
    }

    /// Sends `call` through the shopper's edge (the next one when a connection is refused) and
    /// records it; `ack` turns a 2xx body into what it acknowledged.
    pub async fn send(&self, call: Call<'_>, ack: impl FnOnce(&Value) -> Option<Ack>) -> (Reply, u64) {
        let id = self.next_op.fetch_add(1, Ordering::Relaxed);
        let start_ms = now_ms();
        let mut headers: Vec<(&str, &str)> = call.headers.to_vec();
        if let Some(key) = call.key {
            headers.push(("idempotency-key", key));
        }
        let mut reply = Reply::NotSent("no edge".into());
        let mut edge = call.home.to_string();
        for (region, addr) in self.dns.resolve(call.home) {
            edge = region;
            reply = self.client.call(addr, call.method, call.path, &headers, call.body).await;
            if !matches!(reply, Reply::NotSent(_)) {
                break;
            }
        }
        self.record_reply(id, &call, &edge, start_ms, &reply, ack);
        (reply, id)
    }

    /// Sends `call` straight to `addr` (the provider, a staff listener) and records it.
    pub async fn send_to(&self, addr: SocketAddr, call: Call<'_>, ack: impl FnOnce(&Value) -> Option<Ack>) -> Reply {
        let id = self.next_op.fetch_add(1, Ordering::Relaxed);
        let start_ms = now_ms();
        let mut headers: Vec<(&str, &str)> = call.headers.to_vec();
        if let Some(key) = call.key {
            headers.push(("idempotency-key", key));
        }
        let reply = self.client.call(addr, call.method, call.path, &headers, call.body).await;
        self.record_reply(id, &call, "-", start_ms, &reply, ack);
        reply
    }

    fn record_reply(
        &self,
        id: u64,
        call: &Call<'_>,
        edge: &str,
        start_ms: u64,
        reply: &Reply,
        ack: impl FnOnce(&Value) -> Option<Ack>,
    ) {
        let (outcome, available) = match reply {
            Reply::Answer { status, .. } if (200..300).contains(status) => (Outcome::Ok, true),
            Reply::Answer { status, .. } if *status < 500 => (Outcome::Fail, served(*status)),
            Reply::Answer { .. } | Reply::Lost(_) => (Outcome::Unknown, false),
            Reply::NotSent(_) => (Outcome::Fail, false),
        };
        let ack = match (outcome, reply.body()) {
            (Outcome::Ok, Some(body)) => ack(body).or(Some(Ack::Done)),
            _ => None,
        };
        let op = Op {
            id,
            shopper: call.shopper,
            journey: call.journey,
            step: call.step.to_string(),
            region: call.home.to_string(),
            edge: edge.to_string(),
            start_ms,
            end_ms: now_ms(),
            status: reply.status(),
            outcome,
            available,
            error: reply.error(),
            key: call.key.map(str::to_string),
            body_hash: call.body.filter(|_| call.key.is_some()).map(body_hash),
            ack,
        };
        let _ = self.ops.send(op);
    }
}

/// A short fingerprint of a JSON body (FNV-1a of its text).
pub fn body_hash(body: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Runs the load as `config` says and writes its history.
pub async fn run(config: Config) -> Result<Summary> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Op>();
    let mut writer = history::Writer::create(&config.history)?;
    let writer_task = tokio::spawn(async move {
        let mut n = 0u64;
        while let Some(op) = rx.recv().await {
            writer.write(&op)?;
            n += 1;
        }
        writer.finish()?;
        anyhow::Ok(n)
    });
    let dns = Arc::new(Dns {
        edges: config.regions.iter().map(|r| (r.id.clone(), r.edge)).collect(),
        failover: config.regions.iter().map(|r| (r.id.clone(), r.failover.clone())).collect(),
        failures: std::sync::Mutex::new(BTreeMap::new()),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let probe = tokio::spawn(dns.clone().probe(stop.clone()));
    let ctx = Arc::new(Ctx {
        client: Client::new(Duration::from_millis(config.op_timeout_ms)),
        dns,
        ops: tx,
        next_op: AtomicU64::new(1),
        zipf: Zipf::new(config.products.len(), config.zipf_s),
        orders: Mutex::new(Vec::new()),
        regions: config.regions.iter().map(|r| (r.id.clone(), r.clone())).collect(),
        config,
    });
    anyhow::ensure!(!ctx.config.products.is_empty(), "no products to shop for");

    let started = tokio::time::Instant::now();
    let duration = Duration::from_millis(ctx.config.duration_ms);
    let mut journeys = tokio::task::JoinSet::new();
    let mut summary = Summary::default();
    let next_shopper = AtomicU64::new(1);
    // Every region's arrivals on one timeline: the next due start of each, and of the flash sale.
    let mut due: Vec<(Duration, Option<String>)> =
        ctx.config.regions.iter().map(|r| (Duration::ZERO, Some(r.id.clone()))).collect();
    if let Some(flash) = &ctx.config.flash {
        due.push((Duration::from_millis(flash.from_ms), None));
    }
    while let Some((i, at)) = due.iter().enumerate().map(|(i, (at, _))| (i, *at)).min_by_key(|(_, at)| *at) {
        if at >= duration {
            break;
        }
        tokio::time::sleep_until(started + at).await;
        while journeys.try_join_next().is_some() {}
        let shopper = next_shopper.fetch_add(1, Ordering::Relaxed);
        let mut rng = ChaCha8Rng::seed_from_u64(ctx.config.seed ^ shopper.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let kind = due[i].1.clone();
        match &kind {
            Some(region) => {
                let rate = ctx.region(region).rate.max(0.01);
                due[i].0 = at + Duration::from_secs_f64(1.0 / rate);
            }
            None => {
                let flash = ctx.config.flash.as_ref().expect("a flash sale is due");
                let rate = flash.rate.max(0.01) * ctx.config.regions.len() as f64;
                due[i].0 = at + Duration::from_secs_f64(1.0 / rate);
                if due[i].0 >= Duration::from_millis(flash.to_ms) {
                    due[i].0 = duration;
                }
            }
        }
        if journeys.len() >= ctx.config.max_in_flight {
            summary.skipped += 1;
            continue;
        }
        summary.journeys += 1;
        let ctx = ctx.clone();
        match kind {
            Some(region) => {
                journeys.spawn(async move { journeys::random(&ctx, shopper, &region, &mut rng).await });
            }
            None => {
                let regions: Vec<String> = ctx.config.regions.iter().map(|r| r.id.clone()).collect();
                let region = regions[rng.random_range(0..regions.len())].clone();
                journeys.spawn(async move { journeys::flash_buy(&ctx, shopper, &region, &mut rng).await });
            }
        }
    }
    // Journeys still running get a deadline: every step timing out once, then they are dropped.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ctx.config.op_timeout_ms * 8);
    while !journeys.is_empty() {
        match tokio::time::timeout_at(deadline, journeys.join_next()).await {
            Ok(_) => {}
            Err(_) => {
                summary.dropped = journeys.len() as u64;
                journeys.abort_all();
                while journeys.join_next().await.is_some() {}
                break;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = probe.await;
    drop(ctx);
    summary.ops = writer_task.await.context("the history writer")??;
    Ok(summary)
}
