//! Protection of the region's cores from abusive or broken clients: rate limits per client
//! address and per session token (stricter on credential and checkout routes), request size and
//! header limits, and slow-client timeouts. What goes over a limit is answered by the edge
//! itself with a stable error code and never reaches core.
//!
//! Rate limits are GCRA token buckets (the `governor` crate) kept in this edge's memory; each
//! edge process limits on its own, so a client spread over `n` edges gets `n` times the rate,
//! which is what a per-region limit means. Tokens are kept as keyed hashes, never in clear.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use http::Method;
use pingora::http::RequestHeader;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::replies::{self, Reply};

/// The limits of an edge; a rate of 0 turns that limit off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Requests per second from one client address, any route (bursts of twice that).
    pub address_per_second: u32,
    /// Requests per second carrying one session token, any route (bursts of twice that).
    pub token_per_second: u32,
    /// Sign-ups, logins and second-factor confirmations per minute from one client address.
    pub credentials_per_minute: u32,
    /// Checkouts per minute by one session token, or by one address for guests.
    pub checkout_per_minute: u32,
    /// Webhooks per second to one partner's webhook route (bursts of twice that), signed or not:
    /// partners retry what is refused, so a flood cannot crowd out the rest of a core's work.
    pub webhook_per_second: u32,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Largest request line and headers, in bytes.
    pub max_header_bytes: usize,
    /// Most request header fields.
    pub max_headers: usize,
    /// Longest request target (path and query).
    pub max_uri_bytes: usize,
    /// Longest wait for the next part of a request body, or for a client to take response bytes.
    pub client_timeout: Duration,
    /// How long an idle keep-alive connection is kept open.
    pub keepalive: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            address_per_second: 200,
            token_per_second: 50,
            credentials_per_minute: 10,
            checkout_per_minute: 20,
            webhook_per_second: 200,
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 32 * 1024,
            max_headers: 100,
            max_uri_bytes: 8 * 1024,
            client_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(60),
        }
    }
}

/// The route classes with a stricter limit of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Sign-up, login (shopper and staff) and TOTP confirmation: credential stuffing targets.
    Credentials,
    /// Checkout: each one reserves stock and asks the payment provider.
    Checkout,
    /// Everything else.
    Other,
    /// Partners' signed webhooks (`/webhooks/…`): verified by core, sent from a few partner
    /// addresses at volume, so limited per partner route rather than per address; one without a
    /// well-formed signature is refused here ([`check_webhook_signature`]).
    Partner,
}

impl Class {
    pub fn of(method: &Method, path: &str) -> Self {
        if path.starts_with(WEBHOOKS_PREFIX) {
            return Self::Partner;
        }
        if *method != Method::POST {
            return Self::Other;
        }
        match path {
            "/v1/accounts" | "/v1/sessions" | "/admin/v1/sessions" | "/admin/v1/staff/me/totp/confirm" => {
                Self::Credentials
            }
            _ if path.starts_with("/v1/carts/") && path.ends_with("/checkout") => Self::Checkout,
            _ => Self::Other,
        }
    }
}

/// The partners' webhook routes.
pub const WEBHOOKS_PREFIX: &str = "/webhooks/";

/// How far a webhook signature's timestamp may be from this edge's clock before the edge
/// refuses it: core refuses beyond 5 minutes; the edge leaves room for clock skew.
pub const WEBHOOK_TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(600);

/// A partner webhook is refused by the edge itself, without a secret and before any body is read,
/// unless it carries a signature header (`<Partner>-Signature`) of the partners' form,
/// `t=<unix seconds>,v1=<64 hex digits>[,v1=…]`, dated within [`WEBHOOK_TIMESTAMP_TOLERANCE`]:
/// an unsigned flood costs the edge a header scan and never reaches core. Core verifies the
/// HMAC itself.
pub fn check_webhook_signature(req: &RequestHeader, now: std::time::SystemTime) -> Result<(), Reply> {
    let now = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let signed = req.headers.iter().any(|(name, value)| {
        name.as_str().ends_with("-signature") && value.to_str().is_ok_and(|v| well_formed_signature(v, now))
    });
    if signed { Ok(()) } else { Err(replies::UNSIGNED_WEBHOOK) }
}

fn well_formed_signature(value: &str, now: u64) -> bool {
    let mut timestamp = None;
    let mut signatures = 0;
    for part in value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) if !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit()) => {
                timestamp = t.parse::<u64>().ok();
            }
            Some(("v1", mac)) if mac.len() == 64 && mac.bytes().all(|b| b.is_ascii_hexdigit()) => signatures += 1,
            Some(_) => {}
            None => return false,
        }
    }
    signatures > 0 && timestamp.is_some_and(|t| t.abs_diff(now) <= WEBHOOK_TIMESTAMP_TOLERANCE.as_secs())
}

/// A request over one of the rate limits: which, and when the client may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub limit: &'static str,
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for `Retry-After`, rounded up, at least 1.
    pub fn retry_after_seconds(&self) -> u64 {
        (self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)).max(1)
    }
}

/// Who a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    Address(IpAddr),
    Token(u64),
}

/// The rate limiters of one edge process.
pub struct RateLimits {
    by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    by_token: Option<DefaultKeyedRateLimiter<u64>>,
    credentials: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checkout: Option<DefaultKeyedRateLimiter<Client>>,
    /// Keyed by a hash of the webhook route's path (one partner, or one carrier).
    webhooks: Option<DefaultKeyedRateLimiter<u64>>,
    hasher: RandomState,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").field("tracked", &self.tracked()).finish_non_exhaustive()
    }
}

fn per_second(rate: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(rate.get().saturating_mul(2)).unwrap_or(rate);
    Some(Quota::per_second(rate).allow_burst(burst))
}

fn per_minute(rate: u32) -> Option<Quota> {
    NonZeroU32::new(rate).map(Quota::per_minute)
}

impl RateLimits {
    pub fn new(limits: &Limits) -> Self {
        Self {
            by_address: per_second(limits.address_per_second).map(DefaultKeyedRateLimiter::keyed),
            by_token: per_second(limits.token_per_second).map(DefaultKeyedRateLimiter::keyed),
            credentials: per_minute(limits.credentials_per_minute).map(DefaultKeyedRateLimiter::keyed),
            checkout: per_minute(limits.checkout_per_minute).map(DefaultKeyedRateLimiter::keyed),
            webhooks: per_second(limits.webhook_per_second).map(DefaultKeyedRateLimiter::keyed),
            hasher: RandomState::new(),
            clock: DefaultClock::default(),
        }
    }

    /// Counts a request of `class` to `path` from `address` with `authorization`; `Err` when it
    /// is over a limit (the stricter class limit is checked first). Partners' webhooks count
    /// against their route's limit only.
    pub fn check(
        &self,
        class: Class,
        path: &str,
        address: Option<IpAddr>,
        authorization: Option<&[u8]>,
    ) -> Result<(), Limited> {
        let limited = |limit: &'static str, not_until: governor::NotUntil<_>| Limited {
            limit,
            retry_after: not_until.wait_time_from(self.clock.now()),
        };
        if class == Class::Partner {
            if let Some(limiter) = &self.webhooks {
                limiter.check_key(&self.hasher.hash_one(path)).map_err(|n| limited("webhook", n))?;
            }
            return Ok(());
        }
        let token = authorization.map(|value| self.hasher.hash_one(value));
        match class {
            Class::Credentials => {
                if let (Some(limiter), Some(address)) = (&self.credentials, address) {
                    limiter.check_key(&address).map_err(|n| limited("credentials", n))?;
                }
            }
            Class::Checkout => {
                let client = token.map(Client::Token).or(address.map(Client::Address));
                if let (Some(limiter), Some(client)) = (&self.checkout, client) {
                    limiter.check_key(&client).map_err(|n| limited("checkout", n))?;
                }
            }
            Class::Other | Class::Partner => {}
        }
        if let (Some(limiter), Some(token)) = (&self.by_token, token) {
            limiter.check_key(&token).map_err(|n| limited("token", n))?;
        }
        if let (Some(limiter), Some(address)) = (&self.by_address, address) {
            limiter.check_key(&address).map_err(|n| limited("address", n))?;
        }
        Ok(())
    }

    /// Clients currently tracked, over all limiters.
    pub fn tracked(&self) -> usize {
        self.by_address.as_ref().map_or(0, |l| l.len())
            + self.by_token.as_ref().map_or(0, |l| l.len())
            + self.credentials.as_ref().map_or(0, |l| l.len())
            + self.checkout.as_ref().map_or(0, |l| l.len())
            + self.webhooks.as_ref().map_or(0, |l| l.len())
    }

    /// Forgets clients whose buckets are full again (they would be recreated identical).
    pub fn forget_idle(&self) {
        if let Some(l) = &self.by_address {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.by_token {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.credentials {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.checkout {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.webhooks {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// The size limits a request header must keep; `Err` is the answer to give.
pub fn check_size(req: &RequestHeader, limits: &Limits) -> Result<(), Reply> {
    let target = req.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > limits.max_uri_bytes {
        return Err(replies::URI_TOO_LONG);
    }
    if req.headers.len() > limits.max_headers {
        return Err(replies::HEADERS_TOO_LARGE);
    }
    let header_bytes: usize = req.headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if header_bytes + target > limits.max_header_bytes {
        return Err(replies::HEADERS_TOO_LARGE);
    }
    let declared =
        req.headers.get(http::header::CONTENT_LENGTH).map(|v| v.to_str().ok().and_then(|v| v.parse::<u64>().ok()));
    match declared {
        Some(None) => Err(replies::BAD_REQUEST),
        Some(Some(len)) if len > limits.max_body_bytes as u64 => Err(replies::PAYLOAD_TOO_LARGE),
        _ => Ok(()),
    }
}

/// Every minute, forgets the clients whose buckets have refilled, so that the tables stay as
/// small as the set of recently active clients.
pub struct Forgetter(pub std::sync::Arc<RateLimits>);

#[async_trait]
impl BackgroundService for Forgetter {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => self.0.forget_idle(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_route() {
        assert_eq!(Class::of(&Method::POST, "/v1/sessions"), Class::Credentials);
        assert_eq!(Class::of(&Method::POST, "/v1/accounts"), Class::Credentials);
        assert_eq!(Class::of(&Method::POST, "/admin/v1/sessions"), Class::Credentials);
        assert_eq!(Class::of(&Method::DELETE, "/v1/sessions"), Class::Other);
        assert_eq!(Class::of(&Method::POST, "/v1/carts/5f0e/checkout"), Class::Checkout);
        assert_eq!(Class::of(&Method::GET, "/v1/carts/5f0e/checkout"), Class::Other);
        assert_eq!(Class::of(&Method::POST, "/webhooks/payments"), Class::Partner);
        assert_eq!(Class::of(&Method::GET, "/v1/fr/fr/products"), Class::Other);
    }

    #[test]
    fn stricter_class_limit_first_then_token_then_address() {
        let limits = Limits {
            address_per_second: 5,
            token_per_second: 3,
            credentials_per_minute: 2,
            checkout_per_minute: 1,
            // Slow enough that no token comes back while a busy machine runs the loop below (at
            // the default 200 a second, one does every 5 ms).
            webhook_per_second: 5,
            ..Limits::default()
        };
        let rl = RateLimits::new(&limits);
        let a: IpAddr = "127.0.0.9".parse().unwrap();
        let b: IpAddr = "127.0.0.10".parse().unwrap();
        // Credentials: 2 per minute per address, whatever the token.
        assert!(rl.check(Class::Credentials, "/p", Some(a), None).is_ok());
        assert!(rl.check(Class::Credentials, "/p", Some(a), None).is_ok());
        let limited = rl.check(Class::Credentials, "/p", Some(a), None).unwrap_err();
        assert_eq!(limited.limit, "credentials");
        assert!(limited.retry_after > Duration::from_secs(20), "{limited:?}");
        assert!(rl.check(Class::Credentials, "/p", Some(b), None).is_ok(), "another address has its own bucket");
        // Checkout by token: one, then limited, while another token may.
        assert!(rl.check(Class::Checkout, "/p", Some(b), Some(b"Bearer one")).is_ok());
        assert_eq!(rl.check(Class::Checkout, "/p", Some(b), Some(b"Bearer one")).unwrap_err().limit, "checkout");
        assert!(rl.check(Class::Checkout, "/p", Some(b), Some(b"Bearer two")).is_ok());
        // Token: bursts of 6.
        let t = Some(&b"Bearer three"[..]);
        let c: IpAddr = "127.0.0.11".parse().unwrap();
        let d: IpAddr = "127.0.0.12".parse().unwrap();
        let passed =
            (0..10).filter(|i| rl.check(Class::Other, "/p", Some(if i % 2 == 0 { c } else { d }), t).is_ok()).count();
        assert_eq!(passed, 6);
        // Address: bursts of 10 (the limited token requests above did not count against it).
        let e: IpAddr = "127.0.0.13".parse().unwrap();
        let passed = (0..20).filter(|_| rl.check(Class::Other, "/p", Some(e), None).is_ok()).count();
        assert_eq!(passed, 10);
        let limited = rl.check(Class::Other, "/p", Some(e), None).unwrap_err();
        assert_eq!((limited.limit, limited.retry_after_seconds()), ("address", 1));
        // Webhooks count against their partner's route only, not the sender's address.
        let partner = |path| rl.check(Class::Partner, path, Some(e), None);
        let passed = (0..100).filter(|_| partner("/webhooks/payments").is_ok()).count();
        assert_eq!(passed, 2 * limits.webhook_per_second as usize);
        assert_eq!(partner("/webhooks/payments").unwrap_err().limit, "webhook");
        assert!(partner("/webhooks/warehouse").is_ok(), "another partner has its own bucket");
    }

    #[test]
    fn webhooks_without_a_well_formed_signature_dated_now_are_refused() {
        let now = std::time::SystemTime::now();
        let secs = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let mac = "ab".repeat(32);
        let req = |headers: &[(&str, String)]| {
            let mut r = RequestHeader::build("POST", b"/webhooks/payments", None).unwrap();
            for (n, v) in headers {
                r.append_header(n.to_string(), v.as_str()).unwrap();
            }
            r
        };
        for good in [
            vec![("payment-signature", format!("t={secs},v1={mac}"))],
            vec![("Carrier-Signature", format!("v1={mac}, t={}", secs - 60))],
            vec![("warehouse-signature", format!("t={secs},v1=00,v1={mac}"))],
        ] {
            assert_eq!(check_webhook_signature(&req(&good), now), Ok(()), "{good:?}");
        }
        for bad in [
            vec![],
            vec![("payment-signature", String::new())],
            vec![("payment-signature", format!("t={secs}"))],
            vec![("payment-signature", format!("v1={mac}"))],
            vec![("payment-signature", format!("t={secs},v1=xyz"))],
            vec![("payment-signature", format!("t={},v1={mac}", secs - 3600))],
            vec![("payment-signature", format!("t={},v1={mac}", secs + 3600))],
            vec![("payment-signature", format!("garbage,t={secs},v1={mac}"))],
            vec![("x-other", format!("t={secs},v1={mac}"))],
        ] {
            assert_eq!(check_webhook_signature(&req(&bad), now), Err(replies::UNSIGNED_WEBHOOK), "{bad:?}");
        }
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limits = Limits {
            address_per_second: 0,
            token_per_second: 0,
            credentials_per_minute: 0,
            checkout_per_minute: 0,
            webhook_per_second: 0,
            ..Limits::default()
        };
        let rl = RateLimits::new(&limits);
        let a: IpAddr = "127.0.0.9".parse().unwrap();
        for class in [Class::Credentials, Class::Checkout, Class::Other, Class::Partner] {
            assert!((0..1000).all(|_| rl.check(class, "/p", Some(a), Some(b"Bearer x")).is_ok()));
        }
        assert_eq!(rl.tracked(), 0);
    }

    #[test]
    fn size_limits() {
        let limits = Limits {
            max_uri_bytes: 64,
            max_headers: 4,
            max_header_bytes: 256,
            max_body_bytes: 10,
            ..Limits::default()
        };
        let req = |uri: &str, headers: &[(&str, &str)]| {
            let mut r = RequestHeader::build("POST", uri.as_bytes(), None).unwrap();
            for (n, v) in headers {
                r.append_header(n.to_string(), *v).unwrap();
            }
            r
        };
        assert_eq!(check_size(&req("/v1/carts", &[("content-length", "10")]), &limits), Ok(()));
        assert_eq!(
            check_size(&req("/v1/carts", &[("content-length", "11")]), &limits),
            Err(replies::PAYLOAD_TOO_LARGE)
        );
        assert_eq!(check_size(&req("/v1/carts", &[("content-length", "x")]), &limits), Err(replies::BAD_REQUEST));
        assert_eq!(check_size(&req(&format!("/v1/{}", "a".repeat(64)), &[]), &limits), Err(replies::URI_TOO_LONG));
        let many: Vec<(String, &str)> = (0..5).map(|i| (format!("x-h{i}"), "v")).collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        assert_eq!(check_size(&req("/", &many), &limits), Err(replies::HEADERS_TOO_LARGE));
        let big = "v".repeat(300);
        assert_eq!(check_size(&req("/", &[("x-big", &big)]), &limits), Err(replies::HEADERS_TOO_LARGE));
    }
}
