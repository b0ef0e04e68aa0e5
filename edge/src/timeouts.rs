//! How long the edge waits for a core's answer, per route: long enough for the route's slowest
//! honest answer, short enough that a core that accepts connections but answers nothing (a
//! frozen process, a stuck database) is given up on, and the request tried on another core
//! when that is safe, while the shopper still waits less than the 2 s objective would forgive.
//!
//! The wait is per read: time to the first byte of the answer, then between chunks.
//! Order event streams send a heartbeat at least this often, so they keep the long wait.

use std::time::Duration;

use http::Method;

/// Catalog reads: a page is a few indexed queries, answered in milliseconds.
pub const BROWSE: Duration = Duration::from_secs(3);
/// Other reads (carts, orders, tracking) and writes that are not checkouts.
pub const DEFAULT: Duration = Duration::from_secs(5);
/// A checkout: repricing, reserving, ordering in one transaction, then the payment provider
/// (which core itself gives up on after its own timeout).
pub const CHECKOUT: Duration = Duration::from_secs(10);
/// Partner webhooks: signature checks and one transaction; partners retry.
pub const PARTNER: Duration = Duration::from_secs(10);
/// Streams of server-sent events, between two events.
pub const STREAM: Duration = Duration::from_secs(30);

/// The read timeout for `method path` (a raw path; the route template is found here).
pub fn read_timeout(method: &Method, path: &str) -> Duration {
    let (template, journey) = telemetry::routes::template_of(path);
    if telemetry::routes::STREAMING.contains(&template) {
        return STREAM;
    }
    match journey {
        "browse" | "search" if matches!(*method, Method::GET | Method::HEAD) => BROWSE,
        "checkout" => CHECKOUT,
        "partner" => PARTNER,
        _ => DEFAULT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: Method, path: &str, expected: Duration) {
        assert_eq!(read_timeout(&method, path), expected, "{method} {path}");
    }

    #[test]
    fn each_route_waits_for_its_slowest_honest_answer() {
        check(Method::GET, "/v1/fr/fr/products/0b6e", BROWSE);
        check(Method::GET, "/v1/fr/fr/categories", BROWSE);
        check(Method::GET, "/v1/fr/fr/products?category=1", BROWSE);
        check(Method::POST, "/v1/fr/fr/carts", DEFAULT);
        check(Method::PUT, "/v1/carts/abc/lines/v1", DEFAULT);
        check(Method::POST, "/v1/carts/abc/checkout", CHECKOUT);
        check(Method::GET, "/v1/orders/o1", DEFAULT);
        check(Method::GET, "/v1/orders/o1/events", STREAM);
        check(Method::POST, "/webhooks/payments", PARTNER);
        check(Method::GET, "/something/else", DEFAULT);
    }

    #[test]
    fn a_frozen_core_is_given_up_on_well_before_the_old_thirty_seconds() {
        for d in [BROWSE, DEFAULT, CHECKOUT, PARTNER] {
            assert!(d <= Duration::from_secs(10));
        }
    }
}
