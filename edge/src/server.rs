//! Assembles the pingora server: the proxy service on the listen address and the cores' health
//! check as a background service, with a shutdown short enough for deploys and tests.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use anyhow::Context;
use pingora::listeners::ListenerConfig;
use pingora::prelude::*;
use pingora::protocols::l4::stream::L4BufferSettings;
use pingora::server::configuration::ServerConf;
use regions::Catalog;

use crate::cache::ResponseCache;
use crate::hits::{EdgeApp, HitPath};
use crate::protect::{Forgetter, RateLimits};
use crate::proxy::Edge;
use crate::settings::Settings;
use crate::upstream;

/// Seconds between SIGTERM and the runtimes being stopped: in-flight requests finish, new
/// connections are refused. Pingora's default is 300 s.
const GRACE_PERIOD_SECONDS: u64 = 1;
/// Seconds the runtimes get to stop after the grace period before tasks are dropped.
const SHUTDOWN_TIMEOUT_SECONDS: u64 = 1;

/// The pingora configuration for `settings`. Never daemonized; SIGTERM exits within about
/// `GRACE_PERIOD_SECONDS + SHUTDOWN_TIMEOUT_SECONDS`.
pub fn server_conf(settings: &Settings) -> ServerConf {
    // Pid file and upgrade socket are only used when daemonized or upgrading, which the edge
    // does not do yet; make them distinct per edge so that one never touches another's.
    let tag = format!("shop-edge-{}-{}", settings.region, settings.listen.port());
    let tmp = std::env::temp_dir();
    ServerConf {
        daemon: false,
        threads: settings.threads,
        grace_period_seconds: Some(GRACE_PERIOD_SECONDS),
        graceful_shutdown_timeout_seconds: Some(SHUTDOWN_TIMEOUT_SECONDS),
        pid_file: tmp.join(format!("{tag}.pid")).display().to_string(),
        upgrade_sock: tmp.join(format!("{tag}.sock")).display().to_string(),
        ..ServerConf::default()
    }
}

/// Runs the edge until SIGTERM (graceful) or SIGINT (immediate), then exits the process.
/// Returns only if the server cannot be set up.
pub fn run(settings: Settings, catalog: Catalog) -> anyhow::Result<()> {
    let region = catalog
        .region(&settings.region)
        .cloned()
        .with_context(|| format!("region `{}` is not in the catalog", settings.region))?;

    check_listen(settings.listen)?;
    if let Some(tls) = &settings.tls {
        check_listen(tls.listen)?;
    }
    let mut server = Server::new_with_opt_and_conf(None, server_conf(&settings));
    server.bootstrap();

    let balancer = upstream::balancer(&settings.cores, &region.id, settings.health_interval)
        .context("building the core balancer")?;
    let health = background_service("core health check", balancer);
    let mut failover_checks = Vec::new();
    let mut failover = Vec::new();
    for (other, addr) in &settings.failover_cores {
        let balancer = upstream::balancer(std::slice::from_ref(addr), &region.id, settings.health_interval)
            .context("building a failover balancer")?;
        let check = background_service("failover core health check", balancer);
        failover.push((other.clone(), check.task()));
        failover_checks.push(check);
    }
    let cache = ResponseCache::new(settings.cache);
    // The catalog change feed purges the cache.
    let follower = cache.clone().map(|cache| {
        background_service(
            "catalog change feed",
            crate::changes::ChangeFollower::new(settings.cores.clone(), cache, settings.change_feed_interval),
        )
    });
    let admin = settings.admin_listen.map(|addr| {
        let app = crate::metrics::AdminApp { region: region.id.clone(), cache: cache.clone() };
        let mut service = pingora::services::listening::Service::new("admin".to_string(), app);
        service.add_tcp(&addr.to_string());
        service
    });
    if let Some(addr) = settings.admin_listen {
        check_listen(addr)?;
    }
    let rate_limits = Arc::new(RateLimits::new(&settings.limits));
    let forgetter = background_service("rate limit table cleanup", Forgetter(rate_limits.clone()));
    let catalog = Arc::new(catalog);
    let hits = cache.clone().map(|cache| HitPath {
        catalog: catalog.clone(),
        region: region.clone(),
        cache,
        limits: settings.limits.clone(),
        rate_limits: rate_limits.clone(),
    });
    let edge = Edge::new(catalog, region, health.task(), failover, cache, settings.limits.clone(), rate_limits);
    // Fresh cache hits are answered in front of the proxy; everything else goes through it.
    let app = EdgeApp::new(pingora::proxy::http_proxy(&server.configuration, edge), hits);
    let mut proxy = pingora::services::listening::Service::new("edge".to_string(), app);
    proxy.add_listener(ListenerConfig::tcp(settings.listen.to_string()).l4_buffer(l4_buffer()));
    if let Some(tls) = &settings.tls {
        let tls_settings = crate::tls::listener_settings(tls)?;
        proxy.add_listener(ListenerConfig::tcp(tls.listen.to_string()).tls(tls_settings).l4_buffer(l4_buffer()));
    }

    tracing::info!(
        region = %settings.region,
        listen = %settings.listen,
        tls_listen = ?settings.tls.as_ref().map(|t| t.listen),
        cores = ?settings.cores,
        threads = settings.threads,
        cache_bytes = settings.cache.max_bytes,
        admin = ?settings.admin_listen,
        "edge starting"
    );
    server.add_service(proxy);
    if let Some(admin) = admin {
        server.add_service(admin);
    }
    server.add_service(health);
    server.add_service(forgetter);
    for check in failover_checks {
        server.add_service(check);
    }
    if let Some(follower) = follower {
        server.add_service(follower);
    }
    server.run_forever()
}

/// Socket buffers of client connections. Pingora's default write buffer is one segment (1460
/// bytes): a response header and a product page of a few kilobytes then leave in two `send`s
/// (two TLS records and two syscalls). 16 KiB holds both, sent once when the response ends.
fn l4_buffer() -> L4BufferSettings {
    L4BufferSettings::new(64 * 1024, 16 * 1024)
}

/// Fails fast when the listen address is taken. Pingora retries a busy address for 30 s and then
/// panics inside the service task, leaving a process that runs but never listens.
fn check_listen(addr: SocketAddr) -> anyhow::Result<()> {
    TcpListener::bind(addr).map(drop).with_context(|| format!("cannot listen on {addr}"))
}
