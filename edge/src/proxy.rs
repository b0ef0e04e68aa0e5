//! The edge proxy: one `impl ProxyHttp` whose phases each call a few plain functions from
//! [`routing`](crate::routing), [`headers`](crate::headers), [`upstream`](crate::upstream) and
//! [`replies`](crate::replies).
//!
//! Phase order for a forwarded request: `request_filter` (answer `/healthz`, resolve the market
//! and compute the canonical upstream URI) → `upstream_peer` (pick a healthy core not yet tried)
//! → `fail_to_connect` (mark it tried, retry) → `upstream_request_filter` (rewrite path, add
//! headers) → `response_filter` (add headers) → `fail_to_proxy` (JSON error) → `logging`.
//! Caching will slot in between `request_filter` and `upstream_peer`, keyed on
//! [`RequestCtx::upstream_uri`].

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use http::Uri;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::lb::selection::RoundRobin;
use pingora::lb::{Backend, LoadBalancer};
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, ProxyWarnLogContext, Session};
use regions::{Catalog, Region};

use crate::routing::{self, Route, Scope};
use crate::{headers, replies, upstream};

/// The edge of one region.
pub struct Edge {
    /// Regions and markets, to resolve requests that name no market.
    catalog: Arc<Catalog>,
    /// The region this edge serves: its default market and its markets.
    region: Region,
    /// The region's cores, health-checked by a background service.
    cores: Arc<LoadBalancer<RoundRobin>>,
}

impl Edge {
    /// `region` must be a region of `catalog`.
    pub fn new(catalog: Arc<Catalog>, region: Region, cores: Arc<LoadBalancer<RoundRobin>>) -> Self {
        Self { catalog, region, cores }
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
    /// Cores this request could not connect to; not tried again.
    failed_cores: Vec<Backend>,
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
        let req = session.req_header();
        ctx.request_id = headers::request_id(req);
        let route = routing::route(
            &self.catalog,
            &self.region,
            &req.method,
            req.uri.path(),
            req.uri.query(),
            headers::signals(req),
        );
        match route {
            Route::EdgeHealth => {
                replies::respond_health(session, &ctx.request_id, &self.region.id).await?;
                Ok(true)
            }
            Route::Forward(forward) => match forward.path_and_query.parse::<Uri>() {
                Ok(uri) => {
                    ctx.rewrite = forward.rewrites();
                    ctx.upstream_uri = Some(uri);
                    ctx.scope = Some(forward.scope);
                    Ok(false)
                }
                Err(_) => {
                    replies::respond_error(session, &replies::BAD_REQUEST, &ctx.request_id, &self.region.id).await?;
                    Ok(true)
                }
            },
        }
    }

    async fn upstream_peer(&self, _session: &mut Session, ctx: &mut RequestCtx) -> Result<Box<HttpPeer>> {
        let core = upstream::select(&self.cores, &ctx.failed_cores)
            .ok_or_else(|| replies::upstream_unavailable("no healthy core left to try"))?;
        let peer = upstream::peer(&core)?;
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
            ctx.failed_cores.push(core);
        }
        // Nothing reached the core, so any request may go to another one.
        e.set_retry(true);
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
        let client = session.client_addr().and_then(|a| a.as_inet()).map(|a| a.ip());
        headers::to_core(upstream_request, &ctx.request_id, &self.region.id, client)
    }

    async fn response_filter(
        &self,
        _session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        headers::to_client(upstream_response, &ctx.request_id, &self.region.id, ctx.scope.as_ref())
    }

    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut RequestCtx) -> FailToProxy {
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
        let upstream = ctx.upstream_uri.as_ref().map(ToString::to_string).unwrap_or_default();
        let market_source = match &ctx.scope {
            Some(Scope::Resolved { by, .. }) => by.as_str(),
            Some(Scope::Explicit { .. }) => "url",
            Some(Scope::Unscoped) | None => "-",
        };
        let elapsed_ms = ctx.started.elapsed().as_millis() as u64;
        match e {
            Some(e) => tracing::warn!(
                request_id = %ctx.request_id, method = %req.method, path = %req.uri, upstream, status,
                elapsed_ms, error = %e, "request failed"
            ),
            None => tracing::info!(
                request_id = %ctx.request_id, method = %req.method, path = %req.uri, upstream, status,
                market_source, elapsed_ms, "request"
            ),
        }
    }
}
