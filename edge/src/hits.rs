//! The cache hit path: answers fresh cached catalog reads over HTTP/1.1 before the proxy's
//! per-request machinery, and hands every other request to the proxy ([`Edge`](crate::proxy::Edge)
//! through Pingora's `HttpProxy`) unchanged.
//!
//! A cached answer through the `ProxyHttp` phases costs about twice nginx's CPU: a session and a
//! context per request, the phases, header maps built and serialized on every answer. Here a
//! connection's requests are read into one buffer and parsed in place (`httparse`); a request
//! this path may answer is written as the entry's pre-serialized head, the fields of this answer,
//! and the body, in one write. What it answers, and how, is what the proxy would answer:
//!
//! - only `GET`/`HEAD` over HTTP/1.1 without a body, `Connection`, `Upgrade` or `Expect`, with a
//!   plain origin-form target, at most [`MAX_FIELDS`] fields and within the size limits;
//! - only when the rate limits let the request through, traces are off, and routing finds an
//!   explicit (or unscoped) catalog read whose key holds a fresh entry;
//! - with the same headers (`date`, `connection`, `x-request-id`, HSTS over TLS, `x-cache: hit`,
//!   `age`), the same metrics and the same access log line.
//!
//! Anything else (a miss, a stale entry, a resolved market, a write, a malformed or oversized
//! request, a rate-limited client…) goes to the proxy with every byte read so far, as if it had
//! read them itself (Pingora's pipelined prefix), and the proxy answers it as before.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::{Buf, BytesMut};
use http::Method;
use pingora::apps::{HttpServerApp, HttpServerOptions, ReusedHttpStream};
use pingora::protocols::Stream;
use pingora::protocols::http::ServerSession;
use pingora::protocols::http::date::get_cached_date;
use pingora::protocols::http::v2::server::H2Options;
use pingora::proxy::HttpProxy;
use pingora::server::ShutdownWatch;
use regions::{Catalog, Region};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cache::{self, CacheKey, Entry, Outcome, PERSONAL_HEADERS, ResponseCache};
use crate::headers::{self, REQUEST_ID};
use crate::metrics::METRICS;
use crate::protect::{Class, Limits, RateLimits};
use crate::proxy::{AccessLog, Edge, market_source};
use crate::routing::{self, Route, Scope};

/// Most request header fields this path parses; a request with more goes to the proxy.
pub const MAX_FIELDS: usize = 32;
/// Request header fields after which only the proxy answers.
const PROXY_ONLY: [&str; 4] = ["content-length", "transfer-encoding", "upgrade", "expect"];

/// The edge's HTTP application: the hit path in front of the proxy.
pub struct EdgeApp {
    proxy: Arc<HttpProxy<Edge>>,
    /// `None` when caching is off: every request goes to the proxy.
    hits: Option<HitPath>,
}

impl EdgeApp {
    pub fn new(proxy: HttpProxy<Edge>, hits: Option<HitPath>) -> Self {
        Self { proxy: Arc::new(proxy), hits }
    }
}

/// What the hit path needs to decide and answer: the same catalog, region, cache and limits as
/// the proxy's.
pub struct HitPath {
    pub catalog: Arc<Catalog>,
    pub region: Region,
    pub cache: Arc<ResponseCache>,
    pub limits: Limits,
    pub rate_limits: Arc<RateLimits>,
}

/// What the connection knows about its client.
struct Client {
    address: Option<IpAddr>,
    tls: bool,
}

#[async_trait]
impl HttpServerApp for EdgeApp {
    async fn process_new_http(
        self: &Arc<Self>,
        session: ServerSession,
        shutdown: &ShutdownWatch,
    ) -> Option<ReusedHttpStream> {
        match (&self.hits, session) {
            (Some(hits), ServerSession::H1(h1)) => self.serve_h1(hits, h1.into_inner(), shutdown).await,
            (_, session) => self.proxy.process_new_http(session, shutdown).await,
        }
    }

    async fn http_cleanup(&self) {
        self.proxy.http_cleanup().await;
    }

    fn server_options(&self) -> Option<&HttpServerOptions> {
        self.proxy.server_options()
    }

    fn h2_options(&self) -> Option<H2Options> {
        self.proxy.h2_options()
    }
}

impl EdgeApp {
    /// Answers the connection's requests from the cache while it can, then hands the connection
    /// to the proxy with what it read of the next request.
    async fn serve_h1(
        self: &Arc<Self>,
        hits: &HitPath,
        mut stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<ReusedHttpStream> {
        let client = Client {
            address: stream.get_socket_digest().and_then(|d| d.peer_addr().and_then(|a| a.as_inet()).map(|a| a.ip())),
            tls: stream.get_ssl_digest().is_some(),
        };
        let mut input = BytesMut::with_capacity(4096);
        let mut output = Vec::with_capacity(8192);
        let mut stopping = shutdown.clone();
        loop {
            if !input.is_empty() {
                match hits.answer(&input, &client, &mut output) {
                    Parse::Answered { consumed, close } => {
                        let write = async {
                            stream.write_all(&output).await?;
                            stream.flush().await
                        };
                        if !matches!(tokio::time::timeout(hits.limits.client_timeout, write).await, Ok(Ok(()))) {
                            return None;
                        }
                        if close {
                            let _ = stream.shutdown().await;
                            return None;
                        }
                        input.advance(consumed);
                        continue;
                    }
                    Parse::Proxy => break,
                    Parse::Partial if input.len() > hits.limits.max_header_bytes => break,
                    Parse::Partial => {}
                }
            }
            // Idle between requests: the keep-alive timeout, and the shutdown closes it.
            let idle = input.is_empty();
            if idle && *stopping.borrow() {
                return None;
            }
            let wait = if idle { hits.limits.keepalive } else { hits.limits.client_timeout };
            let read = tokio::select! {
                biased;
                read = tokio::time::timeout(wait, stream.read_buf(&mut input)) => read,
                _ = stopping.changed(), if idle => return None,
            };
            match read {
                Ok(Ok(n)) if n > 0 => {}
                _ => return None,
            }
        }
        let mut session = ServerSession::new_http1(stream);
        session.set_keepalive((!*shutdown.borrow()).then_some(hits.limits.keepalive.as_secs()));
        if let ServerSession::H1(h1) = &mut session {
            h1.set_pipelined_prefix(input);
        }
        self.proxy.process_new_http(session, shutdown).await
    }
}

/// What the hit path made of the bytes read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parse {
    /// A request answered from the cache: its length in the input, and whether the client asked
    /// to close the connection after it (`Connection: close`); the answer is in `output`.
    Answered { consumed: usize, close: bool },
    /// The request head is not complete yet.
    Partial,
    /// The proxy answers this request.
    Proxy,
}

impl HitPath {
    /// Parses the request at the start of `input` and, when it is a fresh hit, writes the
    /// answer into `output`.
    fn answer(&self, input: &[u8], client: &Client, output: &mut Vec<u8>) -> Parse {
        let started = Instant::now();
        let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
        let mut req = httparse::Request::new(&mut fields);
        let consumed = match req.parse(input) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Parse::Partial,
            Err(_) => return Parse::Proxy,
        };
        let (Some(method), Some(target), Some(1)) = (req.method, req.path, req.version) else {
            return Parse::Proxy;
        };
        let method = match method {
            "GET" => Method::GET,
            "HEAD" => Method::HEAD,
            _ => return Parse::Proxy,
        };
        let Some(hit) = self.lookup(&method, target, req.headers, client) else { return Parse::Proxy };
        hit.write(&method, client.tls, output);
        METRICS.request(hit.path(), 200, started.elapsed().as_secs_f64(), Some(Outcome::Hit), None);
        if tracing::enabled!(tracing::Level::INFO) {
            AccessLog {
                request_id: hit.request_id.as_str(),
                trace_id: "-",
                method: &method,
                path: target.split('?').next().unwrap_or(target),
                query: target.split_once('?').map(|(_, q)| q),
                upstream: &telemetry::redact::target(
                    hit.key_target.split('?').next().unwrap_or(&hit.key_target),
                    hit.key_target.split_once('?').map(|(_, q)| q),
                ),
                status: 200,
                market_source: market_source(Some(&hit.scope)),
                cache: Outcome::Hit.as_str(),
                elapsed_ms: started.elapsed().as_millis() as u64,
            }
            .write();
        }
        Parse::Answered { consumed, close: hit.close }
    }

    /// The fresh entry answering this request, when the proxy would answer it from the cache
    /// too.
    fn lookup(&self, method: &Method, target: &str, fields: &[httparse::Header<'_>], client: &Client) -> Option<Hit> {
        if !plain_target(target) || target.len() > self.limits.max_uri_bytes || telemetry::traces::enabled() {
            return None;
        }
        let field_bytes: usize = fields.iter().map(|f| f.name.len() + f.value.len() + 4).sum();
        if fields.len() > self.limits.max_headers || field_bytes + target.len() > self.limits.max_header_bytes {
            return None;
        }
        let field = |name: &str| fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value);
        if PROXY_ONLY.iter().chain(PERSONAL_HEADERS.iter()).any(|name| field(name).is_some()) {
            return None;
        }
        // `Connection: close` or `keep-alive` only, once; anything else is the proxy's.
        let close = match fields.iter().filter(|f| f.name.eq_ignore_ascii_case("connection")).count() {
            0 => false,
            1 => match field("connection") {
                Some(v) if v.eq_ignore_ascii_case(b"close") => true,
                Some(v) if v.eq_ignore_ascii_case(b"keep-alive") => false,
                _ => return None,
            },
            _ => return None,
        };
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        if self.rate_limits.check(Class::of(method, path), path, client.address, None).is_err() {
            return None;
        }
        let signals = headers::signals_of(|name| field(name).and_then(visible_ascii));
        let Route::Forward(forward) = routing::route(&self.catalog, &self.region, method, path, query, signals) else {
            return None;
        };
        if matches!(forward.scope, Scope::Resolved { .. }) {
            return None;
        }
        let head = cache::cacheable_request(method, &forward.path_and_query, false)?;
        let key = CacheKey::new(head, forward.path_and_query);
        let entry = self.cache.get_fresh(&key)?;
        let request_id = headers::client_request_id(field(REQUEST_ID)).map_or_else(RequestId::new, RequestId::client);
        Some(Hit { entry, key_target: key.into_target(), scope: forward.scope, request_id, close })
    }
}

/// A request answered from the cache.
struct Hit {
    entry: Arc<Entry>,
    /// The canonical path and query (the cache key's).
    key_target: String,
    scope: Scope,
    request_id: RequestId,
    /// The client asked to close the connection after this answer.
    close: bool,
}

impl Hit {
    /// The canonical path, for the metrics' route template.
    fn path(&self) -> &str {
        self.key_target.split_once('?').map_or(&self.key_target, |(path, _)| path)
    }

    /// The answer: the stored head, this answer's fields, the body unless it is a HEAD.
    fn write(&self, method: &Method, tls: bool, output: &mut Vec<u8>) {
        output.clear();
        output.extend_from_slice(self.entry.wire_head());
        field(output, "date", get_cached_date().as_bytes());
        field(output, "connection", if self.close { b"close".as_slice() } else { b"keep-alive" });
        field(output, REQUEST_ID, self.request_id.as_str().as_bytes());
        if tls {
            field(output, "strict-transport-security", crate::tls::HSTS.as_bytes());
        }
        field(output, cache::X_CACHE, Outcome::Hit.as_str().as_bytes());
        let mut age = itoa_buffer();
        field(output, "age", format_u64(&mut age, self.entry.age().as_secs()));
        output.extend_from_slice(b"\r\n");
        if *method != Method::HEAD {
            output.extend_from_slice(&self.entry.body);
        }
    }
}

/// A request id: the client's, or a new UUID, without allocating.
enum RequestId {
    Client(String),
    New([u8; uuid::fmt::Hyphenated::LENGTH]),
}

impl RequestId {
    fn new() -> Self {
        let mut id = [0; uuid::fmt::Hyphenated::LENGTH];
        uuid::Uuid::new_v4().hyphenated().encode_lower(&mut id);
        Self::New(id)
    }

    fn client(id: &str) -> Self {
        Self::Client(id.to_string())
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Client(id) => id,
            // `encode_lower` writes ASCII only.
            Self::New(id) => std::str::from_utf8(id).unwrap_or_default(),
        }
    }
}

fn field(output: &mut Vec<u8>, name: &str, value: &[u8]) {
    output.extend_from_slice(name.as_bytes());
    output.extend_from_slice(b": ");
    output.extend_from_slice(value);
    output.extend_from_slice(b"\r\n");
}

fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// `n` in decimal, written at the end of `buf`.
fn format_u64(buf: &mut [u8; 20], mut n: u64) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// A field value as text, as `HeaderValue::to_str` reads it: visible ASCII and tabs only.
fn visible_ascii(value: &[u8]) -> Option<&str> {
    value.iter().all(|&b| b == b'\t' || (32..127).contains(&b)).then(|| std::str::from_utf8(value).ok()).flatten()
}

/// Whether `target` is an origin-form target of RFC 3986 characters only (no fragment, no
/// empty query), which Pingora's own parsing takes as it is.
fn plain_target(target: &str) -> bool {
    target.starts_with('/')
        && !target.ends_with('?')
        && target.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use pingora::http::ResponseHeader;

    use super::*;
    use crate::cache::{CacheSettings, Lifetimes};

    const PRODUCT: &str = "/v1/fr/fr/products/7c3e4d3a-56c2-4a8e-9d43-5f1d2a6b8e01";
    const BODY: &str = r#"{"id":"7c3e4d3a"}"#;

    /// A hit path whose cache holds `PRODUCT` (GET), fresh for ten minutes, with `limits`.
    fn hit_path(limits: Limits) -> HitPath {
        let catalog = Catalog::load_workspace().unwrap();
        let region = catalog.region("eu-west").unwrap().clone();
        let minutes = Duration::from_secs(600);
        let lifetimes = Lifetimes { fresh: minutes, stale_while_revalidate: minutes, stale_if_error: minutes };
        let cache = ResponseCache::new(CacheSettings {
            max_bytes: 1 << 20,
            defaults: lifetimes,
            lock_timeout: Duration::from_secs(1),
            purge_grace: Duration::from_secs(1),
        })
        .unwrap();
        let mut header = ResponseHeader::build(200, None).unwrap();
        header.insert_header("content-type", "application/json").unwrap();
        header.insert_header("x-request-id", "the-filler").unwrap();
        header.insert_header("date", "Thu, 01 Jan 2026 00:00:00 GMT").unwrap();
        header.insert_header("x-edge-region", "eu-west").unwrap();
        let entry = Entry::new(header, Bytes::from_static(BODY.as_bytes()), false, lifetimes).unwrap();
        cache.insert(CacheKey::new(false, PRODUCT.to_string()), entry);
        let rate_limits = Arc::new(RateLimits::new(&limits));
        HitPath { catalog: Arc::new(catalog), region, cache, limits, rate_limits }
    }

    fn answer(hits: &HitPath, request: &str, tls: bool) -> (Parse, String) {
        let client = Client { address: Some(IpAddr::from([127, 0, 0, 1])), tls };
        let mut output = Vec::new();
        let parse = hits.answer(request.as_bytes(), &client, &mut output);
        (parse, String::from_utf8(output).unwrap())
    }

    #[test]
    fn a_fresh_hit_is_answered_with_the_proxy_s_headers() {
        let hits = hit_path(Limits::default());
        let request = format!("GET {PRODUCT} HTTP/1.1\r\nhost: shop.test\r\nx-request-id: abc-1\r\n\r\nGET /next");
        let (parse, out) = answer(&hits, &request, false);
        assert_eq!(parse, Parse::Answered { consumed: request.len() - "GET /next".len(), close: false });
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, BODY);
        let lines: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(lines[0], "HTTP/1.1 200 OK");
        for expected in [
            "x-request-id: abc-1",
            "x-cache: hit",
            "age: 0",
            "connection: keep-alive",
            "x-edge-region: eu-west",
            "content-type: application/json",
        ] {
            assert!(lines.contains(&expected), "{expected} in {lines:?}");
        }
        assert!(lines.contains(&format!("content-length: {}", BODY.len()).as_str()), "{lines:?}");
        let count = |name: &str| lines.iter().filter(|l| l.starts_with(name)).count();
        assert_eq!((count("x-request-id"), count("date: "), count("strict-transport-security")), (1, 1, 0));
        assert!(!head.contains("the-filler") && !head.contains("2026 00:00:00"), "{head}");

        // Over TLS with HSTS; HEAD has no stored entry of its own; `Connection: close` closes.
        let (_, out) = answer(&hits, &format!("GET {PRODUCT} HTTP/1.1\r\n\r\n"), true);
        assert!(out.contains("strict-transport-security: "), "{out}");
        assert_eq!(answer(&hits, &format!("HEAD {PRODUCT} HTTP/1.1\r\n\r\n"), false).0, Parse::Proxy);
        let close = format!("GET {PRODUCT} HTTP/1.1\r\nConnection: close\r\n\r\n");
        let (parse, out) = answer(&hits, &close, false);
        assert_eq!(parse, Parse::Answered { consumed: close.len(), close: true });
        assert!(out.contains("connection: close\r\n"), "{out}");
        // A new request id when the client's is missing or not kept.
        let (_, out) = answer(&hits, &format!("GET {PRODUCT} HTTP/1.1\r\nx-request-id: a b\r\n\r\n"), false);
        let id = out.split("\r\n").find_map(|l| l.strip_prefix("x-request-id: ")).unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }

    #[test]
    fn everything_else_goes_to_the_proxy() {
        let hits = hit_path(Limits::default());
        let check = |request: String, expected: Parse| {
            assert_eq!(answer(&hits, &request, false).0, expected, "{request}");
        };
        check(format!("GET {PRODUCT} HTTP/1.1\r\nhost: x\r\n"), Parse::Partial);
        check(format!("GET {PRODUCT}"), Parse::Partial);
        check(format!("GET {PRODUCT} HTTP/1.0\r\n\r\n"), Parse::Proxy);
        check(format!("POST {PRODUCT} HTTP/1.1\r\ncontent-length: 0\r\n\r\n"), Parse::Proxy);
        check(format!("GET {PRODUCT}?x=1 HTTP/1.1\r\n\r\n"), Parse::Proxy);
        check("GET /v1/fr/fr/products/unknown HTTP/1.1\r\n\r\n".to_string(), Parse::Proxy);
        // A URL naming no market is resolved by the proxy (its answers carry x-market and Vary).
        check("GET /v1/products/7c3e4d3a-56c2-4a8e-9d43-5f1d2a6b8e01 HTTP/1.1\r\n\r\n".to_string(), Parse::Proxy);
        for field in [
            "authorization: Bearer t",
            "cookie: sid=1",
            "x-cart-token: c",
            "range: bytes=0-1",
            "content-length: 2",
            "transfer-encoding: chunked",
            "connection: upgrade",
            "upgrade: websocket",
            "expect: 100-continue",
        ] {
            check(format!("GET {PRODUCT} HTTP/1.1\r\n{field}\r\n\r\n"), Parse::Proxy);
        }
        check(format!("GET {PRODUCT} HTTP/1.1\r\nconnection: close\r\nconnection: close\r\n\r\n"), Parse::Proxy);
        let many: String = (0..MAX_FIELDS + 1).map(|i| format!("x-f{i}: v\r\n")).collect();
        check(format!("GET {PRODUCT} HTTP/1.1\r\n{many}\r\n"), Parse::Proxy);
        check(format!("GET {PRODUCT}\x01 HTTP/1.1\r\n\r\n"), Parse::Proxy);
        // Over the size limits: the proxy answers 414 or 431.
        let small = Limits { max_uri_bytes: 16, ..Limits::default() };
        assert_eq!(answer(&hit_path(small), &format!("GET {PRODUCT} HTTP/1.1\r\n\r\n"), false).0, Parse::Proxy);
    }

    #[test]
    fn hits_count_against_the_address_rate_limit() {
        let hits = hit_path(Limits { address_per_second: 1, ..Limits::default() });
        let request = format!("GET {PRODUCT} HTTP/1.1\r\n\r\n");
        let answered: Vec<Parse> = (0..10).map(|_| answer(&hits, &request, false).0).collect();
        let hit = Parse::Answered { consumed: request.len(), close: false };
        // Bursts of twice the rate pass; past them, the proxy answers (429).
        assert_eq!(answered[..2], [hit.clone(), hit]);
        assert!(answered.contains(&Parse::Proxy), "{answered:?}");
    }

    #[test]
    fn only_plain_origin_form_targets() {
        fn check(target: &str, plain: bool) {
            assert_eq!(plain_target(target), plain, "{target}");
        }
        check("/v1/fr/fr/products/1", true);
        check("/v1/fr/fr/products?page=2&sort=price", true);
        check("/v1/fr/fr/products?", false);
        check("/v1/x#frag", false);
        check("http://example.com/v1/markets", false);
        check("*", false);
        check("/v1/\"quoted\"", false);
        check("/v1/caf%C3%A9", true);
    }

    #[test]
    fn numbers_and_field_values() {
        let mut buf = itoa_buffer();
        assert_eq!(format_u64(&mut buf, 0), b"0");
        assert_eq!(format_u64(&mut buf, 600), b"600");
        assert_eq!(format_u64(&mut buf, u64::MAX), u64::MAX.to_string().as_bytes());
        assert_eq!(visible_ascii(b"fr-CA, en;q=0.5"), Some("fr-CA, en;q=0.5"));
        assert_eq!(visible_ascii("café".as_bytes()), None);
        assert_eq!(visible_ascii(b"a\x01"), None);
        assert_eq!(RequestId::new().as_str().len(), 36);
    }
}
