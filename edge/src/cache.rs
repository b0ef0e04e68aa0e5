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
}

/// A cache key: method and canonical path-and-query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// What catalog changes make it obsolete; set when it is stored.
    tag: Tag,
}

/// Response header by which core names the product a detail page shows.
pub const PRODUCT_ID: &str = "x-product-id";

/// Which catalog changes an entry depends on, beyond changes of the whole catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// A product's page (by id or slug): that product's changes.
    Product(uuid::Uuid),
    /// A product listing: any product's change (prices and availability are shown).
    Listing,
    /// Markets, categories: only changes of the whole catalog.
    Other,
}

impl Tag {
    /// The tag of a response stored under `path_and_query` with `header`.
    pub fn of(path_and_query: &str, header: &ResponseHeader) -> Self {
        if let Some(id) = header.headers.get(PRODUCT_ID).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()) {
            return Self::Product(id);
        }
        let path = path_and_query.split_once('?').map_or(path_and_query, |(p, _)| p);
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["v1", _, _, "products"] => Self::Listing,
            ["v1", _, _, "products", id] => id.parse().map_or(Self::Other, Self::Product),
            _ => Self::Other,
        }
    }

    fn affected_by(self, product: uuid::Uuid) -> bool {
        match self {
            Self::Product(p) => p == product,
            Self::Listing => true,
            Self::Other => false,
        }
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
        Ok(Self { header, body, wire_head: Bytes::new(), stored: Instant::now(), lifetimes, tag: Tag::Other })
    }

    /// The stored head as HTTP/1.1 bytes, without the fields of [`PER_ANSWER`].
    pub fn wire_head(&self) -> &[u8] {
        &self.wire_head
    }

    /// Seconds since it was stored, for the `Age` header.
    pub fn age(&self) -> Duration {
        self.stored.elapsed()
    }

    fn is_fresh(&self) -> bool {
        self.age() < self.lifetimes.fresh
    }

    fn may_serve_while_revalidating(&self) -> bool {
        self.age() < self.lifetimes.fresh + self.lifetimes.stale_while_revalidate
    }

    /// Whether it may still be served when core fails.
    pub fn may_serve_on_error(&self) -> bool {
        self.age() < self.lifetimes.fresh + self.lifetimes.stale_if_error
    }

    /// Moka weight: body and header bytes (twice: as a map and as wire bytes).
    fn weight(&self) -> u32 {
        let headers: usize = self.header.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
        u32::try_from(self.body.len() + 2 * headers + 64).unwrap_or(u32::MAX)
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
        let entries = moka::sync::Cache::builder()
            .max_capacity(settings.max_bytes)
            .weigher(|_: &CacheKey, entry: &Arc<Entry>| entry.weight())
            .expire_after(EntryExpiry)
            .support_invalidation_closures()
            .build();
        Some(Arc::new(Self { entries, fills: Mutex::new(HashMap::new()), next_fill: AtomicU64::new(0), settings }))
    }

    /// Drops every entry (a change of the whole catalog: categories, promotions…).
    pub fn purge_all(&self) {
        self.entries.invalidate_all();
        crate::metrics::METRICS.cache_purges.inc();
    }

    /// Responses held and their weighted size in bytes (for the metrics).
    pub fn usage(&self) -> (u64, u64) {
        // Moka counts lazily: settle pending inserts and evictions first (scrape time only).
        self.entries.run_pending_tasks();
        (self.entries.entry_count(), self.entries.weighted_size())
    }

    /// Drops the entries a change of `product` makes obsolete: its pages and the listings.
    /// Entries stored afterwards are kept.
    pub fn purge_product(&self, product: uuid::Uuid) {
        if self.entries.invalidate_entries_if(move |_, entry| entry.tag.affected_by(product)).is_err() {
            self.purge_all();
        } else {
            crate::metrics::METRICS.cache_purges.inc();
        }
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
        if let Some(entry) = entry.as_ref().filter(|e| e.is_fresh()) {
            return Lookup::Fresh(entry.clone());
        }
        let mut fills = self.fills.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, done)) = fills.get(key) {
            return match entry.filter(|e| e.may_serve_while_revalidating()) {
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
        self.entries.get(key).filter(|e| e.is_fresh())
    }

    /// Stores `entry`, tagged for purges by what its key and header say it shows.
    pub fn insert(&self, key: CacheKey, mut entry: Entry) {
        entry.tag = Tag::of(&key.path_and_query, &entry.header);
        entry.wire_head = wire_head(&entry.header);
        self.entries.insert(key, Arc::new(entry));
        crate::metrics::METRICS.cache_fills.inc();
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
        let settings = CacheSettings { max_bytes: 1 << 20, defaults: DEFAULTS, lock_timeout: Duration::from_secs(5) };
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

    #[test]
    fn a_product_change_purges_its_pages_and_the_listings_only() {
        let settings = CacheSettings { max_bytes: 1 << 20, defaults: DEFAULTS, lock_timeout: Duration::from_secs(5) };
        let cache = ResponseCache::new(settings).unwrap();
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let store = |target: &str, product: Option<uuid::Uuid>| {
            let key = request_key(&Method::GET, target, &HeaderMap::new()).unwrap();
            let mut header = ResponseHeader::build(200, None).unwrap();
            if let Some(p) = product {
                header.insert_header(PRODUCT_ID, p.to_string()).unwrap();
            }
            cache.insert(key.clone(), Entry::new(header, Bytes::from_static(b"{}"), false, DEFAULTS).unwrap());
            key
        };
        let a_page = store(&format!("/v1/fr/fr/products/{a}"), None);
        let a_de_slug = store("/v1/de/de/products/by-slug/hemd", Some(a));
        let b_page = store(&format!("/v1/fr/fr/products/{b}"), Some(b));
        let listing = store("/v1/fr/fr/products?category=c&sort=newest", None);
        let categories = store("/v1/fr/fr/categories", None);
        let markets = store("/v1/markets", None);
        assert_eq!(cache.get(&a_page).unwrap().tag, Tag::Product(a), "the id in the URL tags a detail page");

        cache.purge_product(a);
        for gone in [&a_page, &a_de_slug, &listing] {
            assert!(cache.get(gone).is_none(), "{gone:?} is purged");
        }
        for kept in [&b_page, &categories, &markets] {
            assert!(cache.get(kept).is_some(), "{kept:?} is kept");
        }
        // What is stored after the purge stays.
        let again = store(&format!("/v1/fr/fr/products/{a}"), None);
        assert!(cache.get(&again).is_some());

        cache.purge_all();
        for key in [&b_page, &categories, &markets, &again] {
            assert!(cache.get(key).is_none());
        }
    }
}
