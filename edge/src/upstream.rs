//! The region's core services: a round-robin balancer health-checked over `GET /readyz`, and
//! the choice of a core for each attempt of a request.

use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use http::Uri;
use pingora::lb::health_check::{HealthObserve, HttpHealthCheck};
use pingora::lb::selection::RoundRobin;
use pingora::lb::{Backend, LoadBalancer};
use pingora::prelude::*;

use crate::outliers::Outliers;
use crate::replies;

/// The core route that answers 200 while the process can serve: it is alive and reaches the
/// database (`/readyz`). A core cut off from the database is taken out of rotation like a dead
/// one, and requests fail over to another region's core. Pingora's default health check asks
/// for `/`, which core answers 404, so every core would be marked down.
pub const CORE_HEALTH_PATH: &str = "/readyz";

/// `Host` of health check requests: one value for every core (core ignores it, but an HTTP/1.1
/// request must carry one).
const HEALTH_CHECK_HOST: &str = "core";

/// Consecutive failed checks before a core is taken out of rotation; one blip is not enough.
const CONSECUTIVE_FAILURES: usize = 2;

/// How long to wait for a TCP connection to a core. Cores are in the same region.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long an idle pooled connection to a core is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Round-robin over `cores`, with the `/healthz` health check run every `interval` once the
/// balancer runs as a background service.
pub fn balancer(cores: &[SocketAddr], region: &str, interval: Duration) -> std::io::Result<LoadBalancer<RoundRobin>> {
    let mut balancer = LoadBalancer::<RoundRobin>::try_from_iter(cores.iter().copied())?;
    balancer.set_health_check(Box::new(health_check(region)));
    balancer.health_check_frequency = Some(interval);
    balancer.parallel_health_check = true;
    Ok(balancer)
}

/// `GET /readyz` with a `Host`, any 200 passes.
fn health_check(region: &str) -> HttpHealthCheck {
    let mut check = HttpHealthCheck::new(HEALTH_CHECK_HOST, false);
    // `new` builds `GET /` with the Host header: change only the path, keep the Host.
    check.req.set_uri(Uri::from_static(CORE_HEALTH_PATH));
    let _ = check.req.insert_header("user-agent", format!("shop-edge/{region} health-check"));
    check.consecutive_success = 1;
    check.consecutive_failure = CONSECUTIVE_FAILURES;
    check.health_changed_callback = Some(Box::new(LogHealthChange));
    check
}

/// Logs each core going in or out of rotation.
struct LogHealthChange;

#[async_trait]
impl HealthObserve for LogHealthChange {
    async fn observe(&self, target: &Backend, healthy: bool) {
        if healthy {
            tracing::info!(core = %target.addr, "core is healthy");
        } else {
            tracing::warn!(core = %target.addr, "core is unhealthy");
        }
    }
}

/// A healthy core not yet tried by this request, round robin; with `outliers`, one that is not
/// ejected either.
pub fn select(cores: &LoadBalancer<RoundRobin>, tried: &[Backend], outliers: Option<&Outliers>) -> Option<Backend> {
    let now = std::time::Instant::now();
    cores.select_with(b"", MAX_SELECT_STEPS, |backend, healthy| {
        healthy
            && !tried.contains(backend)
            && !outliers.is_some_and(|o| backend.addr.as_inet().is_some_and(|a| o.ejected(*a, now)))
    })
}

/// Bound on the selection walk. After its first pick, round robin steps through the cores on a
/// counter shared with concurrent requests, so a walk may skip some: allow many steps.
const MAX_SELECT_STEPS: usize = 256;

/// How to reach a core, waiting up to `read_timeout` for each read of its answer (see
/// [`timeouts`](crate::timeouts)).
pub fn peer(backend: &Backend, read_timeout: Duration) -> Result<Box<HttpPeer>> {
    let addr = backend
        .addr
        .as_inet()
        .copied()
        .ok_or_else(|| replies::upstream_unavailable("core address is not an IP socket address"))?;
    let mut peer = HttpPeer::new(addr, false, String::new());
    peer.options.connection_timeout = Some(CONNECT_TIMEOUT);
    peer.options.read_timeout = Some(read_timeout);
    peer.options.idle_timeout = Some(IDLE_TIMEOUT);
    Ok(Box::new(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_check_asks_for_readyz_with_a_host() {
        let check = health_check("eu-west");
        assert_eq!(check.req.uri.path(), "/readyz");
        assert_eq!(check.req.method, http::Method::GET);
        assert_eq!(check.req.headers.get("host").unwrap(), HEALTH_CHECK_HOST);
    }

    #[test]
    fn selection_skips_cores_already_tried() {
        let cores: Vec<SocketAddr> = vec!["127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap()];
        let lb = balancer(&cores, "eu-west", Duration::from_secs(1)).unwrap();
        let first = select(&lb, &[], None).unwrap();
        let second = select(&lb, std::slice::from_ref(&first), None).unwrap();
        assert_ne!(first, second);
        assert!(select(&lb, &[first, second], None).is_none());
    }

    #[test]
    fn selection_skips_ejected_cores() {
        let cores: Vec<SocketAddr> = vec!["127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap()];
        let lb = balancer(&cores, "eu-west", Duration::from_secs(1)).unwrap();
        let outliers = Outliers::default();
        for _ in 0..crate::outliers::CONSECUTIVE_FAILURES {
            outliers.failure(cores[0], std::time::Instant::now());
        }
        for _ in 0..10 {
            let picked = select(&lb, &[], Some(&outliers)).unwrap();
            assert_eq!(picked.addr.as_inet(), Some(&cores[1]));
        }
        assert!(select(&lb, &[picked_other(&lb, &cores[1])], Some(&outliers)).is_none());
    }

    fn picked_other(lb: &LoadBalancer<RoundRobin>, addr: &SocketAddr) -> Backend {
        lb.backends().get_backend().iter().find(|b| b.addr.as_inet() == Some(addr)).unwrap().clone()
    }
}
