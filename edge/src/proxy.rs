//! The edge proxy: one `impl ProxyHttp` whose phases each call a few plain functions from
//! [`routing`](crate::routing), [`headers`](crate::headers), [`upstream`](crate::upstream) and
//! [`replies`](crate::replies).
//!
//! Phase order for a forwarded request: `request_filter` (answer `/healthz`, resolve the market,
//! compute the canonical upstream URI, answer from the [cache](crate::cache) or wait for a
//! concurrent fill) → `upstream_peer` (pick a healthy core not yet tried) → `fail_to_connect`
//! (mark it tried, retry) → `upstream_request_filter` (rewrite path, add headers) →
//! `response_filter` (add headers, start collecting a storable response) →
//! `response_body_filter` (collect it, store it at the end) → `error_while_proxy` (no answer:
//! count it against the core, retry elsewhere when safe) → `fail_to_proxy` (stale response or
//! JSON error) → `logging`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use http::{Method, Uri};
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::lb::selection::RoundRobin;
use pingora::lb::{Backend, LoadBalancer};
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, ProxyWarnLogContext, Session};
use regions::{Catalog, Region};

use crate::cache::{self, Entry, FillGuard, Lookup, Outcome, Pending, ResponseCache, X_CACHE};
use crate::metrics::METRICS;
use crate::outliers::Outliers;
use crate::protect::{self, Class, Limits, RateLimits};
use crate::routing::{self, Route, Scope};
use crate::{headers, replies, retries, timeouts, tls, upstream};

/// The edge of one region.
pub struct Edge {
    /// Regions and markets, to resolve requests that name no market.
    catalog: Arc<Catalog>,
    /// The region this edge serves: its default market and its markets.
    region: Region,
    /// The region's cores, health-checked by a background service.
    cores: Arc<LoadBalancer<RoundRobin>>,
    /// Other regions' cores, nearest first, each health-checked: used when none of this
    /// region's is healthy.
    failover: Vec<(String, Arc<LoadBalancer<RoundRobin>>)>,
    /// Cached catalog reads; `None` when caching is off.
    cache: Option<Arc<ResponseCache>>,
    /// Size limits and client timeouts.
    limits: Limits,
    /// Rate limits per client address and token.
    rate_limits: Arc<RateLimits>,
    /// Cores whose recent requests got no answer, left out for a while.
    outliers: Arc<Outliers>,
}

impl Edge {
    /// `region` must be a region of `catalog`.
    pub fn new(
        catalog: Arc<Catalog>,
        region: Region,
        cores: Arc<LoadBalancer<RoundRobin>>,
        failover: Vec<(String, Arc<LoadBalancer<RoundRobin>>)>,
        cache: Option<Arc<ResponseCache>>,
        limits: Limits,
        rate_limits: Arc<RateLimits>,
    ) -> Self {
        Self { catalog, region, cores, failover, cache, limits, rate_limits, outliers: Arc::default() }
    }

    /// A core for this request's next attempt: a healthy one not tried yet and not ejected,
    /// here, else in the nearest other region; when every such core is ejected, an ejected
    /// one (panic mode). With the region it is in, when not this one.
    fn pick_core(&self, ctx: &RequestCtx) -> Option<(Backend, Option<String>)> {
        for outliers in [Some(self.outliers.as_ref()), None] {
            if let Some(core) = upstream::select(&self.cores, &ctx.failed_cores, outliers) {
                return Some((core, None));
            }
            let other = self.failover.iter().find_map(|(region, cores)| {
                upstream::select(cores, &ctx.failed_cores, outliers).map(|c| (c, Some(region.clone())))
            });
            if other.is_some() {
                return other;
            }
        }
        None
    }

    /// The peer for `core`, waiting for its answer as long as this request's route allows.
    fn peer_for(&self, session: &Session, ctx: &RequestCtx, core: &Backend) -> Result<Box<HttpPeer>> {
        let req = session.req_header();
        let path = ctx.upstream_uri.as_ref().map_or(req.uri.path(), Uri::path);
        upstream::peer(core, timeouts::read_timeout(&req.method, path))
    }

    /// Applies the client timeouts and the size and rate limits; answers the request itself
    /// (`Ok(true)`) when it is over one.
    async fn protect(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        session.set_read_timeout(Some(self.limits.client_timeout));
        session.set_write_timeout(Some(self.limits.client_timeout));
        session.set_keepalive(Some(self.limits.keepalive.as_secs()));
        let req = session.req_header();
        if let Err(reply) = protect::check_size(req, &self.limits) {
            replies::respond_error(session, &reply, &ctx.request_id, &self.region.id).await?;
            return Ok(true);
        }
        let class = Class::of(&req.method, req.uri.path());
        if class == Class::Partner
            && let Err(reply) = protect::check_webhook_signature(req, std::time::SystemTime::now())
        {
            tracing::debug!(request_id = %ctx.request_id, "unsigned webhook refused");
            replies::respond_error(session, &reply, &ctx.request_id, &self.region.id).await?;
            return Ok(true);
        }
        let address = session.client_addr().and_then(|a| a.as_inet()).map(|a| a.ip());
        let token = req.headers.get(http::header::AUTHORIZATION).map(|v| v.as_bytes());
        if let Err(limited) = self.rate_limits.check(class, req.uri.path(), address, token) {
            tracing::debug!(request_id = %ctx.request_id, limit = limited.limit, "rate limited");
            let retry = Some(limited.retry_after_seconds());
            replies::respond_error_retry(session, &replies::RATE_LIMITED, &ctx.request_id, &self.region.id, retry)
                .await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Answers from the cache when it can (`Ok(true)`); otherwise leaves the request to go to
    /// core, as the filler of its key or after waiting for another request's fill.
    async fn cache_lookup(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        let Some(cache) = &self.cache else { return Ok(false) };
        let req = session.req_header();
        let key = ctx.upstream_uri.as_ref().and_then(|uri| {
            let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
            cache::request_key(&req.method, target, &req.headers)
        });
        let Some(key) = key else {
            ctx.cache = Some(Outcome::Bypass);
            return Ok(false);
        };
        let answer = match cache.lookup(&key) {
            Lookup::Fresh(entry) => Some((entry, Outcome::Hit)),
            Lookup::Stale(entry) => Some((entry, Outcome::Stale)),
            Lookup::Fill(guard, stale) => {
                ctx.fill = Some(guard);
                ctx.stale = stale.filter(|e| e.may_serve_on_error());
                None
            }
            Lookup::Wait(done) => {
                if !cache.wait(done).await {
                    tracing::debug!(request_id = %ctx.request_id, "cache fill wait timed out");
                }
                match cache.get_fresh(&key) {
                    Some(entry) => Some((entry, Outcome::Hit)),
                    None => {
                        ctx.stale = cache.get(&key).filter(|e| e.may_serve_on_error());
                        None
                    }
                }
            }
        };
        match answer {
            Some((entry, outcome)) => {
                self.respond_cached(session, ctx, &entry, outcome).await?;
                Ok(true)
            }
            None => {
                ctx.cache = Some(Outcome::Miss);
                Ok(false)
            }
        }
    }

    /// Writes a stored response with this request's edge headers.
    async fn respond_cached(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        entry: &Entry,
        outcome: Outcome,
    ) -> Result<()> {
        ctx.cache = Some(outcome);
        let mut header = entry.header.clone();
        headers::request_headers(&mut header, &ctx.request_id, ctx.scope.as_ref(), ctx.tls)?;
        header.insert_header(X_CACHE, outcome.as_str())?;
        header.insert_header(http::header::AGE, entry.age().as_secs())?;
        let head_only = session.req_header().method == Method::HEAD || entry.body.is_empty();
        session.write_response_header(Box::new(header), head_only).await?;
        if !head_only {
            session.write_response_body(Some(entry.body.clone()), true).await?;
        }
        Ok(())
    }

    /// For the filler of a key: stores a bodiless response now, or starts collecting the body of
    /// a storable one.
    /// `tags`: the cache tags core named on it (`None`: too many to index, so not stored).
    fn cache_start(
        &self,
        method: &Method,
        response: &ResponseHeader,
        tags: Option<Box<[Box<str>]>>,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let Some(fill) = &ctx.fill else { return Ok(()) };
        let Some(tags) = tags else { return Ok(()) };
        let cache = fill.cache();
        let lifetimes = cache::lifetimes(response.status.as_u16(), &response.headers, &cache.settings().defaults);
        let declared_len = response
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let Some(lifetimes) = lifetimes.filter(|_| declared_len.is_none_or(|len| len <= cache.max_entry_bytes()))
        else {
            return Ok(());
        };
        if *method == Method::HEAD {
            let entry = Entry::new(response.clone(), Bytes::new(), true, lifetimes)?.with_tags(tags);
            self.store(ctx.fill.take(), entry)?;
        } else {
            ctx.pending = Some(Pending { header: response.clone(), body: BytesMut::new(), lifetimes, tags });
        }
        Ok(())
    }

    /// Collects a body chunk of a storable response; stores it at the end of the stream.
    fn cache_collect(&self, ctx: &mut RequestCtx, chunk: Option<&Bytes>, end_of_stream: bool) -> Result<()> {
        let (Some(pending), Some(fill)) = (ctx.pending.as_mut(), ctx.fill.as_ref()) else { return Ok(()) };
        if let Some(chunk) = chunk {
            pending.body.extend_from_slice(chunk);
        }
        if pending.body.len() > fill.cache().max_entry_bytes() {
            ctx.pending = None;
            ctx.fill = None;
        } else if end_of_stream && let Some(pending) = ctx.pending.take() {
            let entry =
                Entry::new(pending.header, pending.body.freeze(), false, pending.lifetimes)?.with_tags(pending.tags);
            self.store(ctx.fill.take(), entry)?;
        }
        Ok(())
    }

    /// Stores `entry` under the key `fill` was filling, then releases the waiters. The headers
    /// this edge adds to every answer are added once, here, not on every hit.
    fn store(&self, fill: Option<FillGuard>, mut entry: Entry) -> Result<()> {
        if let Some(fill) = fill {
            headers::edge_headers(&mut entry.header, &self.region.id)?;
            fill.cache().insert(fill.key().clone(), entry);
        }
        Ok(())
    }
}

impl Edge {
    /// Counts a transport failure against `core`; logs and counts its ejection.
    fn note_failure(&self, core: &Backend, ctx: &RequestCtx) {
        if let Some(addr) = core.addr.as_inet()
            && self.outliers.failure(*addr, Instant::now())
        {
            tracing::warn!(core = %core.addr, request_id = %ctx.request_id, "core ejected: its last requests got no answer");
            METRICS.upstream_ejections.inc();
        }
    }
}

/// Per-request state shared by the phases.
#[derive(Debug)]
pub struct RequestCtx {
    /// When the request arrived, for the access log.
    started: Instant,
    /// Correlation id sent to core and back to the client.
    pub request_id: String,
    /// How the market was decided; `None` until `request_filter` ran, and for local answers.
    pub scope: Option<Scope>,
    /// Canonical, explicit path and query sent to core (`/v1/fr/fr-CA/products?x=1`): what a
    /// cache must key on. `None` until `request_filter` ran, and for local answers.
    pub upstream_uri: Option<Uri>,
    /// Whether `upstream_uri` differs from the client's request target.
    rewrite: bool,
    /// The core chosen for the current attempt.
    core: Option<Backend>,
    /// The other region whose core answers, when this region has no healthy core.
    pub failover_region: Option<String>,
    /// The shopper's home region, when their write went to its core.
    pub routed_region: Option<String>,
    /// When the request was sent to a core, for the upstream latency metric.
    upstream_sent: Option<Instant>,
    /// The request's trace span (disabled when traces are off); its context goes to core.
    span: tracing::Span,
    /// Cores this request could not connect to; not tried again.
    failed_cores: Vec<Backend>,
    /// How the cache answered; `None` when caching is off or for local answers.
    pub cache: Option<Outcome>,
    /// Held while this request fills its key; dropping it releases the requests waiting for it.
    fill: Option<FillGuard>,
    /// A stored response past its freshness that may answer if core fails.
    stale: Option<Arc<Entry>>,
    /// The response being collected for the cache.
    pending: Option<Pending>,
    /// Whether the client came over TLS.
    tls: bool,
    /// Request body bytes received so far.
    body_bytes: usize,
}

impl Default for RequestCtx {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            request_id: String::new(),
            scope: None,
            upstream_uri: None,
            rewrite: false,
            core: None,
            failed_cores: Vec::new(),
            failover_region: None,
            routed_region: None,
            upstream_sent: None,
            span: tracing::Span::none(),
            cache: None,
            fill: None,
            stale: None,
            pending: None,
            tls: false,
            body_bytes: 0,
        }
    }
}

#[async_trait]
impl ProxyHttp for Edge {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx::default()
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        ctx.tls = tls::is_tls(session);
        let req = session.req_header();
        ctx.request_id = headers::request_id(req);
        if telemetry::traces::enabled() {
            let (template, _) = telemetry::routes::template_of(req.uri.path());
            ctx.span = telemetry::traces::server_span("edge", template, req.method.as_str(), &req.headers);
        }
        let route = routing::route(
            &self.catalog,
            &self.region,
            &req.method,
            req.uri.path(),
            req.uri.query(),
            headers::signals(req),
        );
        if matches!(route, Route::Forward(_)) && self.protect(session, ctx).await? {
            return Ok(true);
        }
        match route {
            Route::EdgeHealth => {
                replies::respond_health(session, &ctx.request_id, &self.region.id).await?;
                Ok(true)
            }
            Route::NotServed => {
                replies::respond_error(session, &replies::NOT_FOUND, &ctx.request_id, &self.region.id).await?;
                Ok(true)
            }
            Route::Forward(forward) => match forward.path_and_query.parse::<Uri>() {
                Ok(uri) => {
                    ctx.rewrite = forward.rewrites();
                    ctx.upstream_uri = Some(uri);
                    ctx.scope = Some(forward.scope);
                    self.cache_lookup(session, ctx).await
                }
                Err(_) => {
                    replies::respond_error(session, &replies::BAD_REQUEST, &ctx.request_id, &self.region.id).await?;
                    Ok(true)
                }
            },
        }
    }

    async fn upstream_peer(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<Box<HttpPeer>> {
        // A shopper's writes go to their home region's core (their rows live there), while it
        // has a healthy one; guests' and everything else to this region's.
        let req = session.req_header();
        let now = Instant::now();
        if !matches!(req.method, Method::GET | Method::HEAD)
            && let Some(home) = req
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(headers::token_home_region)
            && home != self.region.id
            && let Some((region, cores)) = self.failover.iter().find(|(r, _)| *r == home)
            && let Some(core) = upstream::select(cores, &ctx.failed_cores, Some(&self.outliers))
        {
            ctx.routed_region = Some(region.clone());
            let peer = self.peer_for(session, ctx, &core)?;
            ctx.core = Some(core);
            return Ok(peer);
        }
        ctx.routed_region = None;
        // This region's cores first; then the nearest other region with a healthy core.
        let (core, region) =
            self.pick_core(ctx).ok_or_else(|| replies::upstream_unavailable("no healthy core left to try"))?;
        if let Some(region) = &region {
            tracing::debug!(region = %region, request_id = %ctx.request_id, "failing over to another region's core");
        }
        if core.addr.as_inet().is_some_and(|a| self.outliers.ejected(*a, now)) {
            tracing::warn!(core = %core.addr, request_id = %ctx.request_id, "every core is ejected; trying an ejected one");
        }
        ctx.failover_region = region;
        let peer = self.peer_for(session, ctx, &core)?;
        ctx.core = Some(core);
        Ok(peer)
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        if let Some(core) = ctx.core.take() {
            tracing::warn!(core = %core.addr, request_id = %ctx.request_id, error = %e, "cannot connect to core, trying another");
            METRICS.upstream_connect_failures.inc();
            self.note_failure(&core, ctx);
            ctx.failed_cores.push(core);
        }
        // Nothing reached the core, so any request may go to another one.
        e.set_retry(true);
        e
    }

    /// A failure after the request reached a core: the core is not tried again for this
    /// request, and the request goes to another when repeating it is safe (see
    /// [`retries`](crate::retries)). A connection the core closed while it sat in the pool is
    /// not held against the core.
    fn error_while_proxy(
        &self,
        peer: &HttpPeer,
        session: &mut Session,
        e: Box<Error>,
        ctx: &mut RequestCtx,
        client_reused: bool,
    ) -> Box<Error> {
        let mut e = e.more_context(format!("Peer: {peer}"));
        let transport = retries::is_transport_failure(e.etype(), e.esource());
        let stale = client_reused && matches!(e.etype(), ErrorType::ConnectionClosed);
        if transport
            && !stale
            && let Some(core) = ctx.core.take()
        {
            tracing::warn!(core = %core.addr, request_id = %ctx.request_id, error = %e, "no answer from core");
            self.note_failure(&core, ctx);
            ctx.failed_cores.push(core);
        }
        let req = session.req_header();
        let keyed = req.headers.contains_key("idempotency-key");
        let retry = transport
            && retries::may_retry(
                &req.method,
                keyed,
                !session.as_ref().retry_buffer_truncated(),
                session.response_written().is_some(),
            );
        if retry {
            METRICS.upstream_retries.inc();
        }
        e.set_retry(retry);
        e
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if ctx.rewrite
            && let Some(uri) = &ctx.upstream_uri
        {
            upstream_request.set_uri(uri.clone());
        }
        ctx.upstream_sent = Some(Instant::now());
        let mut trace = http::HeaderMap::new();
        telemetry::traces::inject(&ctx.span, &mut trace);
        for (name, value) in trace {
            if let Some(name) = name {
                upstream_request.insert_header(name, value)?;
            }
        }
        let client = session.client_addr().and_then(|a| a.as_inet()).map(|a| a.ip());
        headers::to_core(upstream_request, &ctx.request_id, &self.region.id, client)
    }

    async fn response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if let Some(sent) = ctx.upstream_sent.take() {
            let region = ctx.routed_region.as_deref().or(ctx.failover_region.as_deref()).unwrap_or(&self.region.id);
            METRICS.upstream(region, sent.elapsed().as_secs_f64());
        }
        if let Some(addr) = ctx.core.as_ref().and_then(|c| c.addr.as_inet()) {
            self.outliers.success(*addr);
        }
        let status = upstream_response.status.as_u16();
        if status >= 500 && ctx.stale.is_some() {
            // `fail_to_proxy` answers with the stale response instead.
            return Err(Error::create(
                ErrorType::HTTPStatus(status),
                ErrorSource::Upstream,
                Some("core answered with a server error".into()),
                None,
            ));
        }
        // Core's cache tags are the edge's: stored with the entry, never forwarded.
        let tags = cache::take_tags(upstream_response);
        self.cache_start(&session.req_header().method, upstream_response, tags, ctx)?;
        if let Some(outcome) = ctx.cache {
            upstream_response.insert_header(X_CACHE, outcome.as_str())?;
        }
        if let Some(region) = &ctx.routed_region {
            upstream_response.insert_header(headers::X_HOME_REGION, region.as_str())?;
        }
        if let Some(region) = &ctx.failover_region {
            upstream_response.insert_header(headers::X_FAILOVER, region.as_str())?;
        }
        headers::to_client(upstream_response, &ctx.request_id, &self.region.id, ctx.scope.as_ref(), ctx.tls)
    }

    /// Counts the body as it arrives: one larger than the limit (a chunked one, or one longer
    /// than its `Content-Length` said) is refused with 413.
    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        ctx.body_bytes += body.as_ref().map_or(0, Bytes::len);
        if ctx.body_bytes > self.limits.max_body_bytes {
            return Err(Error::explain(ErrorType::HTTPStatus(413), "request body over the size limit"));
        }
        Ok(())
    }

    fn response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<Option<Duration>> {
        self.cache_collect(ctx, body.as_ref(), end_of_stream)?;
        Ok(None)
    }

    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut RequestCtx) -> FailToProxy {
        let stale = ctx.stale.take().filter(|entry| {
            entry.may_serve_on_error()
                && session.response_written().is_none()
                && replies::classify(e).is_some_and(|reply| reply.status >= 500)
        });
        if let Some(stale) = stale {
            tracing::warn!(request_id = %ctx.request_id, error = %e, "core failed, serving a stale cached response");
            match self.respond_cached(session, ctx, &stale, Outcome::Stale).await {
                Ok(()) => return FailToProxy { error_code: stale.header.status.as_u16(), can_reuse_downstream: false },
                Err(write_error) => {
                    tracing::debug!(request_id = %ctx.request_id, error = %write_error, "cannot send stale response");
                    return FailToProxy { error_code: 0, can_reuse_downstream: false };
                }
            }
        }
        let Some(reply) = replies::classify(e) else {
            return FailToProxy { error_code: 0, can_reuse_downstream: false };
        };
        if let Err(write_error) = replies::respond_error(session, &reply, &ctx.request_id, &self.region.id).await {
            tracing::debug!(request_id = %ctx.request_id, error = %write_error, "cannot send error response");
        }
        FailToProxy { error_code: reply.status, can_reuse_downstream: false }
    }

    /// `logging` logs every failed request once, with its request id.
    fn suppress_error_log(&self, _session: &Session, _ctx: &RequestCtx, _error: &Error) -> bool {
        true
    }

    /// `fail_to_connect` logs each core it could not connect to.
    fn suppress_proxy_warn_log(
        &self,
        _: &Session,
        _: &RequestCtx,
        error: &Error,
        context: ProxyWarnLogContext,
    ) -> bool {
        context == ProxyWarnLogContext::UpstreamRetry && replies::is_connect_failure(error)
    }

    async fn logging(&self, session: &mut Session, e: Option<&Error>, ctx: &mut RequestCtx) {
        let status = session.response_written().map_or(0, |r| r.status.as_u16());
        let req = session.req_header();
        let elapsed = ctx.started.elapsed();
        let route_path = ctx.upstream_uri.as_ref().map_or(req.uri.path(), Uri::path);
        METRICS.request(route_path, status, elapsed.as_secs_f64(), ctx.cache, ctx.failover_region.as_deref());
        ctx.span.record("http.response.status_code", status);
        // The access log line costs more than the rest of a cached answer: nothing more to do
        // when it is off.
        if !(tracing::enabled!(tracing::Level::INFO) || e.is_some() && tracing::enabled!(tracing::Level::WARN)) {
            return;
        }
        let upstream =
            ctx.upstream_uri.as_ref().map(|u| telemetry::redact::target(u.path(), u.query())).unwrap_or_default();
        let elapsed_ms = elapsed.as_millis() as u64;
        let cache = ctx.cache.map_or("-", Outcome::as_str);
        let trace_id = telemetry::traces::trace_id(&ctx.span);
        let trace_id = trace_id.as_deref().unwrap_or("-");
        match e {
            Some(e) => tracing::warn!(
                request_id = %ctx.request_id, trace_id, method = %req.method,
                route = telemetry::routes::template_of(route_path).0,
                path = %telemetry::redact::target(req.uri.path(), req.uri.query()), upstream, status,
                cache, elapsed_ms, error = %e, "request failed"
            ),
            None => AccessLog {
                request_id: &ctx.request_id,
                trace_id,
                method: &req.method,
                path: req.uri.path(),
                query: req.uri.query(),
                upstream: &upstream,
                status,
                market_source: market_source(ctx.scope.as_ref()),
                cache,
                elapsed_ms,
            }
            .write(),
        }
    }
}

/// How the market of a request was decided, for the access log.
pub(crate) fn market_source(scope: Option<&Scope>) -> &'static str {
    match scope {
        Some(Scope::Resolved { by, .. }) => by.as_str(),
        Some(Scope::Explicit { .. }) => "url",
        Some(Scope::Unscoped) | None => "-",
    }
}

/// The access log line of an answered request (at `INFO`). The request target is logged as its
/// route template and a redacted form (ids and words kept, values never: see
/// [`telemetry::redact`]), so that whatever a client typed into a URL stays out of the log.
pub(crate) struct AccessLog<'a> {
    pub request_id: &'a str,
    pub trace_id: &'a str,
    pub method: &'a Method,
    /// The path as the client sent it (never logged as it is).
    pub path: &'a str,
    /// The query string as the client sent it (never logged as it is).
    pub query: Option<&'a str>,
    /// The canonical path and query sent to core (or that keys the cache), already redacted.
    pub upstream: &'a str,
    pub status: u16,
    pub market_source: &'a str,
    pub cache: &'a str,
    pub elapsed_ms: u64,
}

impl AccessLog<'_> {
    pub(crate) fn write(&self) {
        tracing::info!(
            request_id = %self.request_id, trace_id = self.trace_id, method = %self.method,
            route = telemetry::routes::template_of(self.path).0,
            path = %telemetry::redact::target(self.path, self.query),
            upstream = self.upstream, status = self.status, market_source = self.market_source, cache = self.cache,
            elapsed_ms = self.elapsed_ms, "request"
        );
    }
}
