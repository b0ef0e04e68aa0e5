//! What every process shares to be observed: metrics registries whose names are checked
//! ([`Registry`]), the Prometheus text exposition with the process's region ([`Registry::encode`]),
//! a lock-free memo of labelled series ([`Memo`]), the shopper-facing route templates and the
//! user journey each belongs to ([`routes`]), the log setup ([`logs`]) and traces ([`traces`]).
//!
//! Metric names follow `<namespace>_<name>_<unit>[_total]`: counters end in `_total`, gauges and
//! histograms in a unit from [`UNITS`]. A name that does not is a programming error, caught when
//! the crate's metrics are declared (each crate's `metrics.rs` has a test declaring them all).

pub mod card_numbers;
pub mod logs;
pub mod redact;
pub mod routes;
pub mod traces;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use prometheus::core::Collector;
use prometheus::{Encoder, HistogramOpts, Opts, TextEncoder};
pub use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec};

/// Units a gauge or histogram name may end with (base units, as Prometheus recommends).
pub const UNITS: &[&str] = &["seconds", "bytes", "connections", "events", "ratio", "entries"];

/// Latency buckets in seconds: fine below 100 ms where catalog reads live, and one bound at 2 s,
/// the latency objective, so that "answered within 2 s" is one bucket.
pub const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0];

/// The Prometheus content type of [`Registry::encode`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What kind of series a declared metric produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// A metric as declared: its full name, kind, help and label names.
#[derive(Debug, Clone)]
pub struct Declared {
    pub name: String,
    pub kind: Kind,
    pub help: String,
    pub labels: Vec<String>,
}

impl Declared {
    /// The series names a query may use: the name, or a histogram's `_bucket`, `_sum`, `_count`.
    pub fn series(&self) -> Vec<String> {
        match self.kind {
            Kind::Histogram => ["_bucket", "_sum", "_count"].iter().map(|s| format!("{}{s}", self.name)).collect(),
            _ => vec![self.name.clone()],
        }
    }
}

/// A metrics registry of one process: every metric is declared through it, with a checked
/// name, so that the process (and the dashboards' checker) can list what exists.
pub struct Registry {
    /// Prefix of every name (`core`, `edge`, `payments`).
    namespace: &'static str,
    /// The underlying registry that gathers and encodes.
    inner: prometheus::Registry,
    /// Every declaration, in order, for [`Registry::declared`].
    declared: Mutex<Vec<Declared>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("namespace", &self.namespace).finish_non_exhaustive()
    }
}

/// Why a name breaks the convention, or `None` when it keeps it.
pub fn name_problem(namespace: &str, name: &str, kind: Kind) -> Option<String> {
    let Some(rest) = name.strip_prefix(namespace).and_then(|r| r.strip_prefix('_')) else {
        return Some(format!("`{name}` does not start with `{namespace}_`"));
    };
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Some(format!("`{name}` is not lowercase snake case"));
    }
    let counter_ok = rest.ends_with("_total");
    match kind {
        Kind::Counter if !counter_ok => Some(format!("counter `{name}` does not end in `_total`")),
        Kind::Gauge | Kind::Histogram if counter_ok => Some(format!("`{name}` ends in `_total` but is no counter")),
        Kind::Gauge | Kind::Histogram if !UNITS.iter().any(|u| rest.ends_with(&format!("_{u}"))) => {
            Some(format!("`{name}` does not end in a unit ({})", UNITS.join(", ")))
        }
        _ => None,
    }
}

impl Registry {
    pub fn new(namespace: &'static str) -> Self {
        Self { namespace, inner: prometheus::Registry::new(), declared: Mutex::new(Vec::new()) }
    }

    fn declare<C: Collector + Clone + 'static>(&self, name: &str, kind: Kind, help: &str, labels: &[&str], c: C) -> C {
        let full = format!("{}_{name}", self.namespace);
        if let Some(problem) = name_problem(self.namespace, &full, kind) {
            panic!("metric name breaks the convention: {problem}");
        }
        self.inner.register(Box::new(c.clone())).unwrap_or_else(|e| panic!("registering `{full}`: {e}"));
        self.declared.lock().expect("declarations").push(Declared {
            name: full,
            kind,
            help: help.into(),
            labels: labels.iter().map(|l| (*l).to_string()).collect(),
        });
        c
    }

    fn opts(&self, name: &str, help: &str) -> Opts {
        Opts::new(format!("{}_{name}", self.namespace), help)
    }

    /// A counter; `name` without the namespace, ending in `_total`.
    pub fn counter(&self, name: &str, help: &str) -> IntCounter {
        let c = IntCounter::with_opts(self.opts(name, help)).expect("counter options");
        self.declare(name, Kind::Counter, help, &[], c)
    }

    /// A counter with labels.
    pub fn counter_vec(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        let c = IntCounterVec::new(self.opts(name, help), labels).expect("counter options");
        self.declare(name, Kind::Counter, help, labels, c)
    }

    /// A gauge; `name` ends in a unit.
    pub fn gauge(&self, name: &str, help: &str) -> IntGauge {
        let g = IntGauge::with_opts(self.opts(name, help)).expect("gauge options");
        self.declare(name, Kind::Gauge, help, &[], g)
    }

    /// A gauge with labels.
    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
        let g = IntGaugeVec::new(self.opts(name, help), labels).expect("gauge options");
        self.declare(name, Kind::Gauge, help, labels, g)
    }

    /// A histogram of seconds with [`LATENCY_BUCKETS`].
    pub fn latency(&self, name: &str, help: &str) -> Histogram {
        let opts = HistogramOpts::from(self.opts(name, help)).buckets(LATENCY_BUCKETS.to_vec());
        let h = Histogram::with_opts(opts).expect("histogram options");
        self.declare(name, Kind::Histogram, help, &[], h)
    }

    /// A histogram of seconds with [`LATENCY_BUCKETS`] and labels.
    pub fn latency_vec(&self, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
        let opts = HistogramOpts::from(self.opts(name, help)).buckets(LATENCY_BUCKETS.to_vec());
        let h = HistogramVec::new(opts, labels).expect("histogram options");
        self.declare(name, Kind::Histogram, help, labels, h)
    }

    /// Every metric declared, in declaration order.
    pub fn declared(&self) -> Vec<Declared> {
        self.declared.lock().expect("declarations").clone()
    }

    /// The Prometheus text exposition of every series, each with the `region` label of the
    /// process when it has one (one label for the whole process, added here rather than at every
    /// call site).
    pub fn encode(&self, region: Option<&str>) -> String {
        let mut families = self.inner.gather();
        for family in families.iter_mut().filter(|_| region.is_some()) {
            let region = region.unwrap_or_default();
            for metric in family.mut_metric() {
                let mut pair = prometheus::proto::LabelPair::default();
                pair.set_name("region".into());
                pair.set_value(region.into());
                let mut labels = metric.take_label();
                labels.insert(0, pair);
                metric.set_label(labels);
            }
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&families, &mut out).expect("text encoding");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// Series built once per key and then read without locks: the request path loads a snapshot
/// (an atomic load) and finds its series; only the first request of a key takes the writers'
/// lock to build it. Keys must be bounded (route templates, outcomes), never raw input.
pub struct Memo<T> {
    map: ArcSwap<HashMap<String, Arc<T>>>,
    writers: Mutex<()>,
}

impl<T> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("keys", &self.map.load().len()).finish()
    }
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self { map: ArcSwap::from_pointee(HashMap::new()), writers: Mutex::new(()) }
    }
}

impl<T> Memo<T> {
    /// The value of `key`, built by `make` the first time.
    pub fn get(&self, key: &str, make: impl FnOnce() -> T) -> Arc<T> {
        if let Some(v) = self.map.load().get(key) {
            return v.clone();
        }
        let _writer = self.writers.lock().expect("memo writers");
        let current = self.map.load_full();
        if let Some(v) = current.get(key) {
            return v.clone();
        }
        let value = Arc::new(make());
        let mut next = HashMap::clone(&current);
        next.insert(key.to_string(), value.clone());
        self.map.store(Arc::new(next));
        value
    }
}

/// The class of an HTTP status for the `code` label: `2xx` … `5xx`, or `none` when no answer
/// was written (the client went away first).
pub fn code_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "none",
    }
}

/// Counters of a route by status class, and its latency, resolved once so that recording a
/// request is two atomic updates.
#[derive(Debug)]
pub struct RouteSeries {
    codes: [IntCounter; 6],
    latency: Histogram,
}

const CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "none"];

impl RouteSeries {
    /// The series of `route` (and its journey) in `requests` (labels `route`, `journey`, `code`)
    /// and `latency` (labels `route`, `journey`).
    pub fn new(requests: &IntCounterVec, latency: &HistogramVec, route: &str, journey: &str) -> Self {
        Self {
            codes: CLASSES.map(|class| requests.with_label_values(&[route, journey, class])),
            latency: latency.with_label_values(&[route, journey]),
        }
    }

    /// Records one answered request.
    pub fn record(&self, status: u16, seconds: f64) {
        let class = code_class(status);
        let i = CLASSES.iter().position(|c| *c == class).unwrap_or(CLASSES.len() - 1);
        self.codes[i].inc();
        self.latency.observe(seconds);
    }
}

/// The request metrics every HTTP process declares: `<namespace>_http_requests_total` (labels
/// `route`, `journey`, `code`) and `<namespace>_http_request_duration_seconds` (labels `route`,
/// `journey`), with each route's series resolved once.
pub struct HttpMetrics {
    requests: IntCounterVec,
    latency: HistogramVec,
    routes: Memo<RouteSeries>,
}

impl std::fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetrics").field("routes", &self.routes).finish()
    }
}

impl HttpMetrics {
    pub fn declare(registry: &Registry) -> Self {
        Self {
            requests: registry.counter_vec(
                "http_requests_total",
                "Requests answered, by route template, journey and status class",
                &["route", "journey", "code"],
            ),
            latency: registry.latency_vec(
                "http_request_duration_seconds",
                "Time to answer a request, by route template and journey",
                &["route", "journey"],
            ),
            routes: Memo::default(),
        }
    }

    /// Answers a request of `route` through `answer`, inside `span` (see
    /// [`traces::server_span`]), and records its status and duration.
    pub async fn observe<R>(
        &self,
        route: &str,
        journey: &str,
        span: tracing::Span,
        answer: impl std::future::Future<Output = R>,
        status: impl Fn(&R) -> u16,
    ) -> R {
        let started = std::time::Instant::now();
        let response = tracing::Instrument::instrument(answer, span.clone()).await;
        let code = status(&response);
        span.record("http.response.status_code", code);
        self.record(route, journey, code, started.elapsed().as_secs_f64());
        response
    }

    /// Records one answered request of `route` (a template, never a raw path).
    pub fn record(&self, route: &str, journey: &str, status: u16, seconds: f64) {
        self.routes
            .get(route, || RouteSeries::new(&self.requests, &self.latency, route, journey))
            .record(status, seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_convention() {
        let check = |name: &str, kind| name_problem("core", name, kind);
        assert_eq!(check("core_http_requests_total", Kind::Counter), None);
        assert_eq!(check("core_http_request_duration_seconds", Kind::Histogram), None);
        assert_eq!(check("core_db_pool_connections", Kind::Gauge), None);
        assert!(check("core_http_requests", Kind::Counter).is_some());
        assert!(check("edge_http_requests_total", Kind::Counter).is_some());
        assert!(check("core_http_latency", Kind::Histogram).is_some());
        assert!(check("core_orders_total", Kind::Gauge).is_some());
        assert!(check("core_Orders_total", Kind::Counter).is_some());
    }

    #[test]
    #[should_panic(expected = "does not end in `_total`")]
    fn a_bad_name_is_refused_at_declaration() {
        Registry::new("core").counter("orders", "orders");
    }

    #[test]
    fn encoding_adds_the_region_and_lists_declarations() {
        let r = Registry::new("edge");
        let http = HttpMetrics::declare(&r);
        http.record("/v1/markets", "browse", 200, 0.003);
        http.record("/v1/markets", "browse", 503, 3.0);
        let text = r.encode(Some("eu-west"));
        assert!(
            text.contains(
                r#"edge_http_requests_total{region="eu-west",code="2xx",journey="browse",route="/v1/markets"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"code="5xx",journey="browse",route="/v1/markets"} 1"#), "{text}");
        assert!(text.contains(r#"le="2"} 1"#), "{text}");
        let names: Vec<String> = r.declared().iter().flat_map(Declared::series).collect();
        assert!(names.contains(&"edge_http_request_duration_seconds_bucket".to_string()));
        assert!(names.contains(&"edge_http_requests_total".to_string()));
    }

    #[test]
    fn memo_builds_once_per_key() {
        let memo = Memo::default();
        let mut built = 0;
        for _ in 0..3 {
            memo.get("a", || {
                built += 1;
                1
            });
        }
        assert_eq!(built, 1);
        assert_eq!(*memo.get("b", || 2), 2);
    }
}
