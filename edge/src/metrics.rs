//! The edge's metrics, declared in one place, and the admin listener that serves them.
//!
//! `/metrics` is served on a separate admin address (`--admin-listen`, by default the region's
//! `dev.edge_port + 1000` on 127.0.0.1), never on the shoppers' listener: the proxy's address
//! is public, the admin one is for the monitoring network only. Every series carries the edge's
//! `region`; requests carry the route template and journey (never a raw path), cache and
//! failover events are counted where they happen. Recording is atomic updates only: the series
//! of a route or a region are resolved once ([`telemetry::Memo`]).

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;
use telemetry::{Histogram, HistogramVec, HttpMetrics, IntCounter, IntCounterVec, IntGauge, Memo, Registry};

use crate::cache::{Outcome, ResponseCache};

/// Path of the metrics on the admin listener.
pub const METRICS_PATH: &str = "/metrics";

/// Every metric of the edge.
#[derive(Debug)]
pub struct Metrics {
    pub registry: Registry,
    /// Requests answered (by status class) and the time from their arrival to their logging,
    /// by route template and journey.
    http: HttpMetrics,
    /// Catalog reads answered from a fresh cached response.
    pub cache_hits: IntCounter,
    /// Cacheable reads that went to core.
    pub cache_misses: IntCounter,
    /// Answers from a response past its freshness (while revalidating, or because core failed).
    pub cache_stale_serves: IntCounter,
    /// Requests the cache does not apply to.
    pub cache_bypasses: IntCounter,
    /// Responses stored by the request that filled their key.
    pub cache_fills: IntCounter,
    /// Purges after catalog changes, by kind (`tag`: the entries of some cache tags; `whole`:
    /// every entry), and the entries each made stale (purges are soft: entries are marked).
    cache_purges: IntCounterVec,
    cache_purged_entries: IntCounterVec,
    /// The tag index's memory, estimated (read at scrape time).
    cache_tag_index_size: IntGauge,
    /// Responses held now (read at scrape time).
    cache_entries: IntGauge,
    /// Weighted size of the responses held now, bytes (read at scrape time).
    cache_size: IntGauge,
    /// Requests answered by another region's core because this region had no healthy one.
    failovers: IntCounterVec,
    failovers_to: Memo<IntCounter>,
    /// Time from sending a request to a core to its response header, by the core's region.
    upstream_latency: HistogramVec,
    upstream_latency_of: Memo<Histogram>,
    /// Cores that refused a connection (another is tried).
    pub upstream_connect_failures: IntCounter,
    /// Requests sent to another core after one gave no answer (safe to repeat).
    pub upstream_retries: IntCounter,
    /// Cores ejected by outlier detection.
    pub upstream_ejections: IntCounter,
}

impl Metrics {
    /// Counts a purge of `kind` that made `entries` stale.
    pub fn cache_purge(&self, kind: &str, entries: u64) {
        self.cache_purges.with_label_values(&[kind]).inc();
        self.cache_purged_entries.with_label_values(&[kind]).inc_by(entries);
    }

    fn new() -> Self {
        let r = Registry::new("edge");
        Self {
            http: HttpMetrics::declare(&r),
            cache_hits: r.counter("cache_hits_total", "Catalog reads answered from a fresh cached response"),
            cache_misses: r.counter("cache_misses_total", "Cacheable reads that went to core"),
            cache_stale_serves: r.counter(
                "cache_stale_serves_total",
                "Answers from a cached response past its freshness (revalidating, or core failing)",
            ),
            cache_bypasses: r.counter("cache_bypasses_total", "Requests the cache does not apply to"),
            cache_fills: r.counter("cache_fills_total", "Responses stored in the cache"),
            cache_purges: r.counter_vec(
                "cache_purges_total",
                "Purges after catalog changes, by kind (tag: the entries of some cache tags; whole: every entry)",
                &["kind"],
            ),
            cache_purged_entries: r.counter_vec(
                "cache_purged_entries_total",
                "Entries made stale by purges (soft: kept to answer while one request refreshes them), by kind",
                &["kind"],
            ),
            cache_tag_index_size: r.gauge(
                "cache_tag_index_bytes",
                "Memory of the tag index (cache tags and their entries' keys), estimated; within the cache's bound",
            ),
            cache_entries: r.gauge("cache_entries", "Responses held in the cache"),
            cache_size: r.gauge("cache_size_bytes", "Weighted size of the responses held in the cache"),
            failovers: r.counter_vec(
                "upstream_failovers_total",
                "Requests answered by another region's core, by that region",
                &["to_region"],
            ),
            failovers_to: Memo::default(),
            upstream_latency: r.latency_vec(
                "upstream_response_duration_seconds",
                "Time from sending a request to a core to its response header, by the core's region",
                &["upstream_region"],
            ),
            upstream_latency_of: Memo::default(),
            upstream_connect_failures: r
                .counter("upstream_connect_failures_total", "Connections to a core that failed (another is tried)"),
            upstream_retries: r.counter(
                "upstream_retries_total",
                "Requests sent to another core after one gave no answer (idempotent, or with an Idempotency-Key)",
            ),
            upstream_ejections: r.counter(
                "upstream_ejections_total",
                "Cores left out for a while because their last requests got no answer",
            ),
            registry: r,
        }
    }

    /// Records an answered request: its route, status and duration, how the cache answered and
    /// whether another region's core did.
    pub fn request(&self, path: &str, status: u16, seconds: f64, cache: Option<Outcome>, failover: Option<&str>) {
        let (route, journey) = telemetry::routes::template_of(path);
        self.http.record(route, journey, status, seconds);
        match cache {
            Some(Outcome::Hit) => self.cache_hits.inc(),
            Some(Outcome::Miss) => self.cache_misses.inc(),
            Some(Outcome::Stale) => self.cache_stale_serves.inc(),
            Some(Outcome::Bypass) => self.cache_bypasses.inc(),
            None => {}
        }
        if let Some(region) = failover {
            self.failovers_to.get(region, || self.failovers.with_label_values(&[region])).inc();
        }
    }

    /// Records how long a core of `region` took to send its response header.
    pub fn upstream(&self, region: &str, seconds: f64) {
        self.upstream_latency_of.get(region, || self.upstream_latency.with_label_values(&[region])).observe(seconds);
    }
}

/// The edge's metrics (one set per process).
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// Every metric the edge declares (for the dashboards' checker).
pub fn declared() -> Vec<telemetry::Declared> {
    METRICS.registry.declared()
}

/// The admin listener's application: `GET /metrics` in the Prometheus text format; anything
/// else 404.
pub struct AdminApp {
    /// The edge's region, the `region` label of every series.
    pub region: String,
    /// The cache, for its size at scrape time; `None` when caching is off.
    pub cache: Option<Arc<ResponseCache>>,
}

#[async_trait]
impl ServeHttp for AdminApp {
    async fn response(&self, session: &mut ServerSession) -> http::Response<Vec<u8>> {
        let path = session.req_header().uri.path();
        if path != METRICS_PATH {
            return http::Response::builder()
                .status(404)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(br#"{"code":"not_found","message":"the admin listener serves /metrics only"}"#.to_vec())
                .expect("static response");
        }
        if let Some(cache) = &self.cache {
            let (entries, bytes) = cache.usage();
            METRICS.cache_entries.set(i64::try_from(entries).unwrap_or(i64::MAX));
            METRICS.cache_size.set(i64::try_from(bytes).unwrap_or(i64::MAX));
            METRICS.cache_tag_index_size.set(i64::try_from(cache.index_bytes()).unwrap_or(i64::MAX));
        }
        http::Response::builder()
            .status(200)
            .header(http::header::CONTENT_TYPE, telemetry::CONTENT_TYPE)
            .body(METRICS.registry.encode(Some(&self.region)).into_bytes())
            .expect("metrics response")
    }
}
