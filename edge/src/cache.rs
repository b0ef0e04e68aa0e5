//! The edge's response cache: shopper catalog reads kept in memory, keyed on the canonical
//! upstream URL (market and language explicit) and the method.
//!
//! - What may be cached is decided by two pure functions: [`request_key`] (GET/HEAD of a catalog
//!   read route, no credentials, no range) and [`lifetimes`] (a `200` without `Set-Cookie`,
//!   `private`, `no-store`, `no-cache` or a `Vary` the URL does not already decide).
//! - Storage is Moka: bounded in bytes (weight = body + headers), TinyLFU admission, each entry
//!   dropped once its last stale window closes.
//! - Freshness: `s-maxage`/`max-age` from core, else the configured TTL; then
//!   stale-while-revalidate (served while another request refreshes the entry) and
//!   stale-if-error (served when core cannot answer), from core's directives or the settings.
//! - Concurrent misses for one key collapse: the first becomes the *filler* and goes to core, the
//!   others wait (bounded) for it and are answered from the stored entry.
//! - Purges are soft: core names what each answer shows in its [`SURROGATE_KEY`] header (cache
//!   tags, indexed by [`TagIndex`]); a purge by tag, or of everything, marks the entries stale
//!   instead of dropping them. The next request refreshes a purged entry while the others are
//!   answered from it for at most the purge grace ([`CacheSettings::purge_grace`]), so a purge
//!   never sends every reader of a hot page, nor the whole working set, to core at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, SET_COOKIE, VARY};
use http::{HeaderMap, Method};
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use tokio::sync::watch;

use crate::headers::COUNTRY_HEADERS;
use crate::metrics::METRICS;
use crate::tag_index::{self, TagIndex};

/// Response header telling the client how the cache answered: `hit`, `miss`, `stale`, `bypass`.
pub const X_CACHE: &str = "x-cache";
/// The cart capability token; a request carrying it is personal.
pub const CART_TOKEN: &str = "x-cart-token";
/// Largest body kept; larger responses are forwarded but not stored.
pub const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;
/// Request headers whose values the canonical URL already accounts for, so a `Vary` on them
/// does not split the cache.
const VARY_DECIDED_BY_URL: [&str; 1] = ["accept-language"];
/// Hop-by-hop headers dropped from stored responses.
const HOP_BY_HOP: [&str; 5] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"];

/// How the cache answered a request, sent as [`X_CACHE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered from a fresh entry.
    Hit,
    /// Asked core (as the filler, or after waiting for one that stored nothing).
    Miss,
    /// Answered from an entry past its freshness (being refreshed, or core failing).
    Stale,
    /// Not a cacheable request.
    Bypass,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Stale => "stale",
            Self::Bypass => "bypass",
        }
    }
}

/// How long a stored response is served, from when it was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Served as a hit.
    pub fresh: Duration,
    /// After `fresh`: served as stale while another request refreshes it.
    pub stale_while_revalidate: Duration,
    /// After `fresh`: served as stale when core fails (connect error, 5xx).
    pub stale_if_error: Duration,
}

impl Lifetimes {
    /// How long Moka keeps the entry: until the last stale window closes.
    fn retention(&self) -> Duration {
        self.fresh + self.stale_while_revalidate.max(self.stale_if_error)
    }
}

/// Settings of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// Bound on the sum of entry weights (body and header bytes); 0 disables the cache.
    pub max_bytes: u64,
    /// Lifetimes when core's `Cache-Control` says nothing.
    pub defaults: Lifetimes,
    /// How long a request waits for a concurrent fill of its key before asking core itself.
    pub lock_timeout: Duration,
    /// After a purge, how long an entry may still answer while one request refreshes it.
    pub purge_grace: Duration,
}

/// A cache key: method and canonical path-and-query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey {
    head: bool,
    path_and_query: String,
}

/// The key of a request, or `None` when it must not use the cache.
///
/// `path_and_query` is the canonical upstream target computed by routing.
pub fn request_key(method: &Method, path_and_query: &str, headers: &HeaderMap) -> Option<CacheKey> {
    let personal = PERSONAL_HEADERS.iter().any(|name| headers.contains_key(*name));
    let head = cacheable_request(method, path_and_query, personal)?;
    Some(CacheKey { head, path_and_query: path_and_query.to_string() })
}

/// Request headers that make a request personal (or partial), so never answered from the cache.
pub const PERSONAL_HEADERS: [&str; 4] = ["authorization", "cookie", CART_TOKEN, "range"];

/// Whether a request for the canonical `path_and_query` may use the cache (`personal`: it
/// carries one of [`PERSONAL_HEADERS`]); `Some(true)` for a HEAD.
pub fn cacheable_request(method: &Method, path_and_query: &str, personal: bool) -> Option<bool> {
    let head = match *method {
        Method::GET => false,
        Method::HEAD => true,
        _ => return None,
    };
    let path = path_and_query.split_once('?').map_or(path_and_query, |(p, _)| p);
    (catalog_read_path(path) && !personal).then_some(head)
}

impl CacheKey {
    /// The key of a request [`cacheable_request`] accepted.
    pub fn new(head: bool, path_and_query: String) -> Self {
        Self { head, path_and_query }
    }

    /// The canonical path and query it was made of.
    pub fn into_target(self) -> String {
        self.path_and_query
    }

    /// The length of its path and query.
    pub fn target_len(&self) -> usize {
        self.path_and_query.len()
    }
}

/// Whether `path` is a shopper catalog read route: `/v1/markets`,
/// `/v1/{market}/{language}/categories`, `.../products`, `.../products/{id}`,
/// `.../products/by-slug/{slug}`.
pub fn catalog_read_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/v1/") else { return false };
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return false;
    }
    match segments.as_slice() {
        ["markets"] => true,
        [_market, _language, tail @ ..] => {
            matches!(tail, ["categories"] | ["products"] | ["products", _] | ["products", "by-slug", _])
                && tail != ["products", "by-slug"]
        }
        _ => false,
    }
}

/// How long a response from core may be served, or `None` when it must not be stored.
pub fn lifetimes(status: u16, headers: &HeaderMap, defaults: &Lifetimes) -> Option<Lifetimes> {
    if status != 200 || headers.contains_key(SET_COOKIE) {
        return None;
    }
    let vary_ok = headers
        .get_all(VARY)
        .iter()
        .flat_map(|v| v.to_str().map_or(vec!["*"], |v| v.split(',').collect()))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .all(|name| VARY_DECIDED_BY_URL.iter().chain(COUNTRY_HEADERS.iter()).any(|n| n.eq_ignore_ascii_case(name)));
    if !vary_ok {
        return None;
    }
    let mut result = *defaults;
    let (mut max_age, mut s_maxage) = (None, None);
    for directive in headers.get_all(CACHE_CONTROL).iter() {
        let Ok(directive) = directive.to_str() else { return None };
        for part in directive.split(',') {
            let (name, value) = match part.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                None => (part.trim(), None),
            };
            let seconds = value.and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs);
            match name.to_ascii_lowercase().as_str() {
                "private" | "no-store" | "no-cache" => return None,
                "max-age" => max_age = seconds,
                "s-maxage" => s_maxage = seconds,
                "stale-while-revalidate" => result.stale_while_revalidate = seconds?,
                "stale-if-error" => result.stale_if_error = seconds?,
                _ => {}
            }
        }
    }
    if let Some(fresh) = s_maxage.or(max_age) {
        result.fresh = fresh;
    }
    (!result.fresh.is_zero()).then_some(result)
}

/// A stored response: core's header (without the edge's own headers) and body.
#[derive(Debug)]
pub struct Entry {
    pub header: ResponseHeader,
    pub body: Bytes,
    /// `header` as HTTP/1.1 bytes (status line and fields, without the blank line), less the
    /// fields each answer sets itself ([`PER_ANSWER`]); made when it is stored. The hit path
    /// ([`crate::hits`]) writes it as it is.
    wire_head: Bytes,
    stored: Instant,
    lifetimes: Lifetimes,
    /// The cache tags of what it shows (core's [`SURROGATE_KEY`]): a purge of one of them
    /// makes it stale.
    tags: Box<[Box<str>]>,
    /// Its number in the cache's order of storing (a purge of everything makes the older ones
    /// stale).
    number: u64,
    /// When a purge by tag made it stale (the cache's clock, microseconds), 0 if none did.
    purged_at: AtomicU64,
}

/// Response header by which core names what an answer shows: its cache tags, space-separated
/// (`p:<product> c:<category> m:<market>`…). The edge reads it, indexes the stored answer
/// under each, and never forwards it.
pub const SURROGATE_KEY: &str = "surrogate-key";

/// Takes the cache tags out of a response from core; `None` when it names too many, or too
/// long ones, to be indexed (the answer is then not stored).
pub fn take_tags(header: &mut ResponseHeader) -> Option<Box<[Box<str>]>> {
    let value = header.remove_header(SURROGATE_KEY);
    match value {
        None => Some(Box::default()),
        Some(v) => tag_index::parse(v.to_str().ok()?),
    }
}

impl Entry {
    /// An entry for `header` and `body` as core sent them; hop-by-hop headers are dropped and,
    /// for a GET, the length set to the body's.
    pub fn new(mut header: ResponseHeader, body: Bytes, head: bool, lifetimes: Lifetimes) -> Result<Self> {
        for name in HOP_BY_HOP {
            header.remove_header(name);
        }
        if !head {
            header.insert_header(CONTENT_LENGTH, body.len())?;
        }
        Ok(Self {
            header,
            body,
            wire_head: Bytes::new(),
            stored: Instant::now(),
            lifetimes,
            tags: Box::default(),
            number: 0,
            purged_at: AtomicU64::new(0),
        })
    }

    /// The same, under these cache tags.
    pub fn with_tags(mut self, tags: Box<[Box<str>]>) -> Self {
        self.tags = tags;
        self
    }

    /// The stored head as HTTP/1.1 bytes, without the fields of [`PER_ANSWER`].
    pub fn wire_head(&self) -> &[u8] {
        &self.wire_head
    }

    /// Seconds since it was stored, for the `Age` header.
    pub fn age(&self) -> Duration {
        self.stored.elapsed()
    }

    /// Within its freshness (a purge aside).
    fn is_fresh(&self) -> bool {
        self.age() < self.lifetimes.fresh
    }

    /// Within its stale-while-revalidate window (a purge aside).
    fn may_serve_while_revalidating(&self) -> bool {
        self.age() < self.lifetimes.fresh + self.lifetimes.stale_while_revalidate
    }

    /// Whether it may still be served when core fails.
    pub fn may_serve_on_error(&self) -> bool {
        self.age() < self.lifetimes.fresh + self.lifetimes.stale_if_error
    }

    /// Moka weight: body and header bytes (twice: as a map and as wire bytes), and its tags
    /// (held again by the tag index with a copy of the key each), so that the cache's bound
    /// covers the index too.
    fn weight(&self) -> u32 {
        let headers: usize = self.header.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
        let tags: usize = self.tags.iter().map(|t| 2 * t.len() + 96).sum();
        u32::try_from(self.body.len() + 2 * headers + tags + 64).unwrap_or(u32::MAX)
    }
}

/// Response fields every answer from the cache sets itself: the connection's, the request's,
/// and how the cache answered.
pub const PER_ANSWER: [&str; 6] = ["date", "connection", "x-request-id", "strict-transport-security", X_CACHE, "age"];

/// `header` as HTTP/1.1 bytes (status line, then one line per field, no blank line), leaving
/// out the fields of [`PER_ANSWER`].
pub fn wire_head(header: &ResponseHeader) -> Bytes {
    let mut out = BytesMut::with_capacity(512);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(header.status.as_str().as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(header.status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &header.headers {
        if PER_ANSWER.contains(&name.as_str()) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.freeze()
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    /// A fresh entry: answer with it.
    Fresh(Arc<Entry>),
    /// A stale entry within stale-while-revalidate while another request refreshes it.
    Stale(Arc<Entry>),
    /// Nothing usable and no fill in flight: this request fills; the stale entry, if any, may
    /// answer if core fails.
    Fill(FillGuard, Option<Arc<Entry>>),
    /// Another request is filling: wait for it with [`ResponseCache::wait`].
    Wait(watch::Receiver<()>),
}

/// The in-memory response cache of one edge.
pub struct ResponseCache {
    entries: moka::sync::Cache<CacheKey, Arc<Entry>>,
    /// Keys being filled; a waiter's receiver closes when the filler is done (or gone).
    fills: Mutex<HashMap<CacheKey, (u64, watch::Receiver<()>)>>,
    next_fill: AtomicU64,
    settings: CacheSettings,
    /// Tag → keys of the entries stored under it.
    index: Arc<TagIndex>,
    /// The number of the next entry stored.
    next_entry: AtomicU64,
    /// The last purge of everything: entries numbered below `whole_below` are stale since
    /// `whole_at` (the cache's clock, microseconds).
    whole_below: AtomicU64,
    whole_at: AtomicU64,
    /// The cache's clock starts here.
    epoch: Instant,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.entries.entry_count())
            .field("weighted_bytes", &self.entries.weighted_size())
            .field("settings", &self.settings)
            .finish()
    }
}

/// Expires each entry when its last stale window closes.
struct EntryExpiry;

impl moka::Expiry<CacheKey, Arc<Entry>> for EntryExpiry {
    fn expire_after_create(&self, _: &CacheKey, entry: &Arc<Entry>, _: Instant) -> Option<Duration> {
        Some(entry.lifetimes.retention())
    }

    fn expire_after_update(
        &self,
        _: &CacheKey,
        entry: &Arc<Entry>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.lifetimes.retention())
    }
}

impl ResponseCache {
    /// `None` when `settings.max_bytes` is 0 (cache disabled).
    pub fn new(settings: CacheSettings) -> Option<Arc<Self>> {
        if settings.max_bytes == 0 {
            return None;
        }
        let index = Arc::new(TagIndex::default());
        let unindex = index.clone();
        let entries = moka::sync::Cache::builder()
            .max_capacity(settings.max_bytes)
            .weigher(|_: &CacheKey, entry: &Arc<Entry>| entry.weight())
            .expire_after(EntryExpiry)
            // Whatever drops an entry (eviction, expiry, replacement) drops its references.
            .eviction_listener(move |key: Arc<CacheKey>, entry: Arc<Entry>, _| {
                unindex.remove(&key, &entry.tags, entry.number);
            })
            .build();
        Some(Arc::new(Self {
            entries,
            fills: Mutex::new(HashMap::new()),
            next_fill: AtomicU64::new(0),
            settings,
            index,
            next_entry: AtomicU64::new(1),
            whole_below: AtomicU64::new(0),
            whole_at: AtomicU64::new(0),
            epoch: Instant::now(),
        }))
    }

    /// The cache's clock, microseconds (never 0).
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX) + 1
    }

    /// Makes every entry stored so far stale (a change of everything: an attribute definition,
    /// a promotion on every product, or changes the feed could not name).
    pub fn purge_all(&self) {
        // The time first: a reader that sees the new bound sees its time.
        self.whole_at.store(self.now(), Ordering::Release);
        self.whole_below.store(self.next_entry.load(Ordering::Acquire), Ordering::Release);
        METRICS.cache_purge("whole", self.entries.entry_count());
    }

    /// Makes the entries stored under any of `tags` stale; answers how many it marked.
    pub fn purge_tags(&self, tags: &[String]) -> usize {
        let now = self.now();
        let mut marked = 0;
        for key in self.index.keys(tags) {
            if let Some(entry) = self.entries.get(&key)
                && entry.purged_at.compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire).is_ok()
            {
                marked += 1;
            }
        }
        METRICS.cache_purge("tag", marked as u64);
        marked
    }

    /// When a purge made `entry` stale, if one did.
    fn purged_at(&self, entry: &Entry) -> Option<u64> {
        let own = entry.purged_at.load(Ordering::Acquire);
        let whole = if entry.number < self.whole_below.load(Ordering::Acquire) {
            self.whole_at.load(Ordering::Acquire)
        } else {
            0
        };
        [own, whole].into_iter().filter(|at| *at > 0).min()
    }

    /// Fresh: within its lifetime, and no purge since it was stored.
    fn is_fresh(&self, entry: &Entry) -> bool {
        entry.is_fresh() && self.purged_at(entry).is_none()
    }

    /// May answer while another request refreshes it: within its stale-while-revalidate
    /// window, or within the purge grace of the purge that made it stale.
    fn may_serve_while_revalidating(&self, entry: &Entry) -> bool {
        match self.purged_at(entry) {
            Some(at) => self.now().saturating_sub(at) < self.settings.purge_grace.as_micros() as u64,
            None => entry.may_serve_while_revalidating(),
        }
    }

    /// Tags indexed and references to entries over all of them.
    pub fn index_size(&self) -> (usize, usize) {
        self.index.size()
    }

    /// The tag index's memory, estimated in bytes (for the metrics).
    pub fn index_bytes(&self) -> usize {
        self.index.bytes()
    }

    /// Responses held and their weighted size in bytes (for the metrics).
    pub fn usage(&self) -> (u64, u64) {
        // Moka counts lazily: settle pending inserts and evictions first (scrape time only).
        self.entries.run_pending_tasks();
        (self.entries.entry_count(), self.entries.weighted_size())
    }

    pub fn settings(&self) -> &CacheSettings {
        &self.settings
    }

    /// Largest body stored.
    pub fn max_entry_bytes(&self) -> usize {
        usize::try_from(self.settings.max_bytes).unwrap_or(usize::MAX).min(MAX_ENTRY_BYTES)
    }

    /// Finds `key`, or makes the caller its filler, or tells it to wait for the filler.
    pub fn lookup(self: &Arc<Self>, key: &CacheKey) -> Lookup {
        let entry = self.entries.get(key);
        if let Some(entry) = entry.as_ref().filter(|e| self.is_fresh(e)) {
            return Lookup::Fresh(entry.clone());
        }
        let mut fills = self.fills.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, done)) = fills.get(key) {
            return match entry.filter(|e| self.may_serve_while_revalidating(e)) {
                Some(entry) => Lookup::Stale(entry),
                None => Lookup::Wait(done.clone()),
            };
        }
        let id = self.next_fill.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = watch::channel(());
        fills.insert(key.clone(), (id, rx));
        let guard = FillGuard { cache: self.clone(), key: key.clone(), id, _done: tx };
        Lookup::Fill(guard, entry)
    }

    /// Waits until the filler of a key is done, at most `lock_timeout`. `false` on timeout.
    pub async fn wait(&self, mut done: watch::Receiver<()>) -> bool {
        // The sender never sends: `changed` returns when it is dropped.
        tokio::time::timeout(self.settings.lock_timeout, done.changed()).await.is_ok()
    }

    /// The entry for `key`, fresh or not.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<Entry>> {
        self.entries.get(key)
    }

    /// The entry for `key` if it is fresh.
    pub fn get_fresh(&self, key: &CacheKey) -> Option<Arc<Entry>> {
        self.entries.get(key).filter(|e| self.is_fresh(e))
    }

    /// Stores `entry`, indexed under its tags.
    pub fn insert(&self, key: CacheKey, mut entry: Entry) {
        entry.wire_head = wire_head(&entry.header);
        entry.number = self.next_entry.fetch_add(1, Ordering::AcqRel);
        self.index.add(&key, &entry.tags, entry.number);
        self.entries.insert(key, Arc::new(entry));
        METRICS.cache_fills.inc();
    }
}

/// Held by the request filling a key; dropping it (stored or not) releases the waiters.
#[derive(Debug)]
pub struct FillGuard {
    cache: Arc<ResponseCache>,
    key: CacheKey,
    id: u64,
    _done: watch::Sender<()>,
}

impl FillGuard {
    pub fn key(&self) -> &CacheKey {
        &self.key
    }

    pub fn cache(&self) -> &Arc<ResponseCache> {
        &self.cache
    }
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        let mut fills = self.cache.fills.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if fills.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
            fills.remove(&self.key);
        }
        // `_done` drops after this, waking the waiters once the key is free.
    }
}

/// A response from core being collected for storage.
#[derive(Debug)]
pub struct Pending {
    pub header: ResponseHeader,
    pub body: BytesMut,
    pub lifetimes: Lifetimes,
    pub tags: Box<[Box<str>]>,
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use http::header::TRANSFER_ENCODING;

    use super::*;

    const DEFAULTS: Lifetimes = Lifetimes {
        fresh: Duration::from_secs(5),
        stale_while_revalidate: Duration::from_secs(10),
        stale_if_error: Duration::from_secs(300),
    };

    fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_catalog_reads_without_credentials_have_a_key() {
        fn check(method: &str, target: &str, headers: &[(&str, &str)], cacheable: bool) {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let key = request_key(&method, target, &header_map(headers));
            assert_eq!(key.is_some(), cacheable, "{method} {target} {headers:?}");
        }
        for target in [
            "/v1/markets",
            "/v1/fr/fr/categories",
            "/v1/fr/fr-CA/products?category=shoes&limit=5",
            "/v1/de/de/products/0195f0e2-0000-7000-8000-000000000001",
            "/v1/de/de/products/by-slug/red-shoes",
        ] {
            check("GET", target, &[], true);
            check("HEAD", target, &[("accept-language", "de")], true);
            check("POST", target, &[], false);
            check("GET", target, &[("authorization", "Bearer x")], false);
            check("GET", target, &[("cookie", "sid=1")], false);
            check("GET", target, &[("x-cart-token", "t")], false);
            check("GET", target, &[("range", "bytes=0-1")], false);
        }
        for target in [
            "/v1/fr/fr/carts",
            "/v1/carts/abc",
            "/v1/carts/abc/checkout",
            "/v1/fr/fr/quote",
            "/v1/orders",
            "/v1/orders/abc",
            "/v1/returns/abc",
            "/v1/accounts/me",
            "/v1/sessions",
            "/admin/v1/products",
            "/admin/v1/products/abc",
            "/webhooks/payments",
            "/openapi.json",
            "/healthz",
            "/readyz",
            "/v1/fr/fr/products/by-slug",
            "/v1/fr/fr/products/abc/variants",
            "/v1/fr/fr/products/",
            "/v1//fr/products",
            "/v1/fr/fr",
            "/v1/markets/fr",
            "/v2/markets",
        ] {
            check("GET", target, &[], false);
        }
    }

    #[test]
    fn keys_separate_method_and_query() {
        let get = request_key(&Method::GET, "/v1/markets", &HeaderMap::new());
        let head = request_key(&Method::HEAD, "/v1/markets", &HeaderMap::new());
        let query = request_key(&Method::GET, "/v1/markets?x=1", &HeaderMap::new());
        assert_ne!(get, head);
        assert_ne!(get, query);
        assert_eq!(get, request_key(&Method::GET, "/v1/markets", &header_map(&[("x-country", "DE")])));
    }

    #[test]
    fn lifetimes_follow_status_and_cache_control() {
        fn check(status: u16, headers: &[(&str, &str)], expected: Option<(u64, u64, u64)>) {
            let got = lifetimes(status, &header_map(headers), &DEFAULTS)
                .map(|l| (l.fresh.as_secs(), l.stale_while_revalidate.as_secs(), l.stale_if_error.as_secs()));
            assert_eq!(got, expected, "{status} {headers:?}");
        }
        check(200, &[], Some((5, 10, 300)));
        check(
            200,
            &[("cache-control", "public, max-age=30, stale-while-revalidate=30, stale-if-error=600")],
            Some((30, 30, 600)),
        );
        check(200, &[("cache-control", "max-age=30, s-maxage=2")], Some((2, 10, 300)));
        check(200, &[("Cache-Control", "Max-Age=\"7\"")], Some((7, 10, 300)));
        check(200, &[("cache-control", "max-age=0")], None);
        check(200, &[("cache-control", "private, max-age=60")], None);
        check(200, &[("cache-control", "no-store")], None);
        check(200, &[("cache-control", "no-cache")], None);
        check(200, &[("cache-control", "public"), ("cache-control", "no-store")], None);
        check(200, &[("set-cookie", "sid=1")], None);
        check(200, &[("vary", "Accept-Language, x-country")], Some((5, 10, 300)));
        check(200, &[("vary", "accept-encoding")], None);
        check(200, &[("vary", "*")], None);
        for status in [201, 204, 206, 301, 304, 404, 500, 503] {
            check(status, &[], None);
        }
    }

    #[test]
    fn stored_entries_carry_their_own_length() {
        let mut header = ResponseHeader::build(200, None).unwrap();
        header.insert_header("transfer-encoding", "chunked").unwrap();
        header.insert_header("connection", "keep-alive").unwrap();
        header.insert_header("content-type", "application/json").unwrap();
        let entry = Entry::new(header, Bytes::from_static(b"{}"), false, DEFAULTS).unwrap();
        assert_eq!(entry.header.headers.get(CONTENT_LENGTH).unwrap(), "2");
        assert!(entry.header.headers.get(TRANSFER_ENCODING).is_none());
        assert!(entry.header.headers.get("connection").is_none());
        assert!(entry.is_fresh() && entry.may_serve_on_error());
    }

    #[test]
    fn one_filler_per_key_and_waiters_see_its_entry() {
        let settings = CacheSettings {
            max_bytes: 1 << 20,
            defaults: DEFAULTS,
            lock_timeout: Duration::from_secs(5),
            purge_grace: GRACE,
        };
        let cache = ResponseCache::new(settings).unwrap();
        let key = request_key(&Method::GET, "/v1/markets", &HeaderMap::new()).unwrap();
        let Lookup::Fill(guard, None) = cache.lookup(&key) else { panic!("the first miss fills") };
        let Lookup::Wait(done) = cache.lookup(&key) else { panic!("the second miss waits") };
        let header = ResponseHeader::build(200, None).unwrap();
        cache.insert(key.clone(), Entry::new(header, Bytes::from_static(b"[]"), false, DEFAULTS).unwrap());
        drop(guard);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        assert!(runtime.block_on(cache.wait(done)), "the waiter is released");
        assert!(matches!(cache.lookup(&key), Lookup::Fresh(e) if e.body == "[]"));
        assert!(ResponseCache::new(CacheSettings { max_bytes: 0, ..settings }).is_none());
    }

    const GRACE: Duration = Duration::from_millis(300);

    fn cache() -> Arc<ResponseCache> {
        ResponseCache::new(CacheSettings {
            max_bytes: 1 << 20,
            defaults: DEFAULTS,
            lock_timeout: Duration::from_secs(5),
            purge_grace: GRACE,
        })
        .unwrap()
    }

    /// Stores `body` under `target` with core's `tags` header; answers its key.
    fn store(cache: &ResponseCache, target: &str, tags: &str) -> CacheKey {
        let key = request_key(&Method::GET, target, &HeaderMap::new()).unwrap();
        let mut header = ResponseHeader::build(200, None).unwrap();
        header.insert_header(SURROGATE_KEY, tags).unwrap();
        let tags = take_tags(&mut header).unwrap();
        assert!(header.headers.get(SURROGATE_KEY).is_none(), "the tags are never stored nor forwarded");
        cache.insert(
            key.clone(),
            Entry::new(header, Bytes::from_static(b"{}"), false, DEFAULTS).unwrap().with_tags(tags),
        );
        key
    }

    fn fresh(cache: &Arc<ResponseCache>, key: &CacheKey) -> bool {
        cache.get_fresh(key).is_some()
    }

    #[test]
    fn a_purge_by_tag_makes_stale_what_carries_the_tag_only() {
        let cache = cache();
        let a_fr = store(&cache, "/v1/fr/fr/products/a", "p:a c:shoes c:all m:fr");
        let a_de_slug = store(&cache, "/v1/de/de/products/by-slug/schuh", "p:a c:shoes c:all m:de");
        let b_fr = store(&cache, "/v1/fr/fr/products/b", "p:b c:shirts c:all m:fr");
        let listing_a = store(&cache, "/v1/fr/fr/products?category=shoes", "c:shoes m:fr p:a p:c");
        let listing_b = store(&cache, "/v1/fr/fr/products?category=shirts", "c:shirts m:fr p:b");
        let tree = store(&cache, "/v1/fr/fr/categories", "categories m:fr");
        let markets = store(&cache, "/v1/markets", "markets");
        assert_eq!(cache.index_size(), (10, 22));

        // A promotion on product a: its pages in every market and language, and the listings
        // showing it.
        assert_eq!(cache.purge_tags(&["p:a".into()]), 3);
        for stale in [&a_fr, &a_de_slug, &listing_a] {
            assert!(!fresh(&cache, stale) && cache.get(stale).is_some(), "{stale:?} is stale, kept");
        }
        for kept in [&b_fr, &listing_b, &tree, &markets] {
            assert!(fresh(&cache, kept), "{kept:?} stays fresh");
        }
        // A rename of the shirts category: its listings and the pages whose breadcrumbs name it.
        assert_eq!(cache.purge_tags(&["c:shirts".into(), "categories".into()]), 3);
        assert!(!fresh(&cache, &b_fr) && !fresh(&cache, &listing_b) && !fresh(&cache, &tree));
        assert!(fresh(&cache, &markets));
        // An entry already stale is not counted twice; an unknown tag touches nothing.
        assert_eq!(cache.purge_tags(&["p:a".into(), "p:zzz".into()]), 0);

        // What is stored after a purge is fresh; the replaced entry left the index.
        let again = store(&cache, "/v1/fr/fr/products/a", "p:a c:shoes c:all m:fr");
        assert!(fresh(&cache, &again));
        cache.entries.run_pending_tasks();
        assert_eq!(cache.index_size(), (10, 22), "one reference per entry and tag");

        // A purge of everything: every entry stored before it, none after.
        cache.purge_all();
        assert!([&again, &markets, &a_de_slug].iter().all(|k| !fresh(&cache, k) && cache.get(k).is_some()));
        let after = store(&cache, "/v1/markets", "markets");
        assert!(fresh(&cache, &after));
    }

    #[test]
    fn a_purged_entry_answers_while_one_request_refreshes_it_for_the_grace_only() {
        let cache = cache();
        let key = store(&cache, "/v1/fr/fr/products/a", "p:a");
        cache.purge_tags(&["p:a".into()]);
        // The first reader refreshes it (and may answer from it should core fail)...
        let Lookup::Fill(guard, Some(stale)) = cache.lookup(&key) else { panic!("the first reader refreshes") };
        assert!(stale.may_serve_on_error());
        // ...the others are answered from it meanwhile.
        for _ in 0..3 {
            assert!(matches!(cache.lookup(&key), Lookup::Stale(_)), "readers get the stale answer");
        }
        // Past the grace, a reader waits for the refresh instead.
        std::thread::sleep(GRACE + Duration::from_millis(50));
        assert!(matches!(cache.lookup(&key), Lookup::Wait(_)), "no stale answer past the grace");
        // The refresh stored: fresh again.
        let header = ResponseHeader::build(200, None).unwrap();
        cache.insert(key.clone(), Entry::new(header, Bytes::from_static(b"new"), false, DEFAULTS).unwrap());
        drop(guard);
        assert!(matches!(cache.lookup(&key), Lookup::Fresh(e) if e.body == "new"));
    }

    #[test]
    fn answers_with_too_many_tags_are_not_stored() {
        let mut header = ResponseHeader::build(200, None).unwrap();
        let many: Vec<String> = (0..=tag_index::MAX_TAGS_PER_ENTRY).map(|i| format!("p:{i}")).collect();
        header.insert_header(SURROGATE_KEY, many.join(" ")).unwrap();
        assert!(take_tags(&mut header).is_none());
        assert!(header.headers.get(SURROGATE_KEY).is_none(), "never forwarded either");
        let mut untagged = ResponseHeader::build(200, None).unwrap();
        assert_eq!(take_tags(&mut untagged).unwrap().len(), 0);
    }
}
