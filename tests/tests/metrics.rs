//! Metrics after real traffic: every process serves Prometheus text on `/metrics` (edge and
//! core on their admin listeners, never through the shoppers' edge), with route templates,
//! journeys and the region as labels, the edge's cache and failover events, the core's pool,
//! retries and business counters, and the payment provider stand-in's own.
//! Run with `cargo xtask test` (it builds the binaries and starts PostgreSQL).

use std::time::Duration;

use stack_tests::shop::{self, Who};
use stack_tests::{Stack, get, request};
use testkit::eventually;

/// How often a metric or an answer still to come is looked at again.
const POLL: Duration = Duration::from_millis(100);

/// The sum of the samples of `name` whose labels include every pair of `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, sample)) = line.rsplit_once(' ') else { continue };
        let (series_name, series_labels) = series.split_once('{').unwrap_or((series, ""));
        if series_name != name {
            continue;
        }
        if labels.iter().all(|(k, v)| series_labels.contains(&format!("{k}=\"{v}\""))) {
            *found.get_or_insert(0.0) += sample.parse::<f64>().expect("a sample value");
        }
    }
    found
}

async fn scrape(port: u16) -> String {
    let answer = get(port, "/metrics", &[]).await.expect("scraping /metrics");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.header("content-type").is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        answer.headers
    );
    answer.body.as_str().expect("a text body").to_string()
}

#[tokio::test]
async fn every_process_counts_real_traffic_with_bounded_labels() {
    let mut stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");

    // Browse, search, a purchase and a declined one, through the edge.
    let variant = shop::product_with_stock(staff, "METRIC", &[("fr", 1500)], "eu-par", 10).await.unwrap();
    let tree = get(edge, "/v1/fr/fr/categories", &[]).await.unwrap();
    let category = tree.body["categories"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["code"] == "general"))
        .and_then(|c| c["id"].as_str())
        .expect("the general category")
        .to_string();
    let listing = get(edge, &format!("/v1/fr/fr/products?category={category}&sort=price_asc"), &[]).await.unwrap();
    assert_eq!(listing.status, 200, "{}", listing.body);
    let product = listing.body["items"][0]["id"].as_str().expect("a listed product").to_string();
    let detail = format!("/v1/fr/fr/products/{product}");
    let first = get(edge, &detail, &[]).await.unwrap();
    assert_eq!(first.status, 200, "{}", first.body);
    // The first read filled the cache; read again until an answer comes from it (bounded).
    eventually("a read of the product page from the cache", Duration::from_secs(2), POLL, async || {
        let again = get(edge, &detail, &[]).await.unwrap();
        let cache = again.header("x-cache");
        if cache == Some("hit") { Ok(()) } else { Err(format!("x-cache {cache:?}")) }
    })
    .await;
    let missing = get(edge, "/v1/fr/fr/products/00000000-0000-0000-0000-000000000000", &[]).await.unwrap();
    assert_eq!(missing.status, 404);

    for (card, payment) in [("4242424242424242", "authorized"), ("4000000000000002", "declined")] {
        let (cart, who) = shop::cart(edge, None, "fr", "fr", &[(variant.as_str(), 1)]).await.unwrap();
        let token = shop::card_token(stack.payments_port, card).await.unwrap();
        let key = format!("metrics-{payment}");
        let answer = shop::call(
            edge,
            &who,
            "POST",
            &format!("/v1/carts/{cart}/checkout"),
            &[("idempotency-key", key.as_str())],
            Some(&shop::checkout_body(&token, Some("metrics@example.com"))),
        )
        .await
        .unwrap();
        assert!(matches!(&who, Who::Guest(_)));
        assert_eq!(answer.status, 201, "{card}: {}", answer.body);
        assert_eq!(answer.body["payment"]["status"], payment, "{card}: {}", answer.body);
    }

    // The shoppers' edge does not serve metrics: `/metrics` there is core's API, which has none.
    let public = get(edge, "/metrics", &[]).await.unwrap();
    assert_eq!(public.status, 404, "{}", public.body);
    assert!(!public.body.to_string().contains("_total"), "{}", public.body);

    let p = &stack.procs["eu-west"];
    let edge_text = scrape(p.edge_admin_port).await;
    let core_text = scrape(p.core_admin_port).await;
    let payments_text = scrape(stack.payments_port).await;

    // Route templates, never raw paths: no product, cart or variant id in any label.
    for text in [&edge_text, &core_text, &payments_text] {
        assert!(!text.contains(&product), "a product id became a label");
        assert!(!text.contains(&variant), "a variant id became a label");
    }

    let detail_route =
        [("region", "eu-west"), ("route", "/v1/{market}/{language}/products/{id}"), ("journey", "browse")];
    assert!(
        value(&edge_text, "edge_http_requests_total", &[detail_route[0], detail_route[1], ("code", "2xx")]).unwrap()
            >= 2.0
    );
    assert!(value(&edge_text, "edge_http_requests_total", &[detail_route[1], ("code", "4xx")]).unwrap() >= 1.0);
    assert!(value(&edge_text, "edge_http_request_duration_seconds_count", &detail_route).unwrap() >= 3.0);
    assert!(value(&edge_text, "edge_http_request_duration_seconds_bucket", &[detail_route[1], ("le", "2")]).is_some());
    assert!(
        value(
            &edge_text,
            "edge_http_requests_total",
            &[("route", "/v1/{market}/{language}/products"), ("journey", "search")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(
        value(
            &edge_text,
            "edge_http_requests_total",
            &[("route", "/v1/carts/{id}/checkout"), ("journey", "checkout"), ("code", "2xx")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(value(&edge_text, "edge_cache_hits_total", &[("region", "eu-west")]).unwrap() >= 1.0);
    assert!(value(&edge_text, "edge_cache_misses_total", &[]).unwrap() >= 1.0);
    assert!(value(&edge_text, "edge_cache_fills_total", &[]).unwrap() >= 1.0);
    assert!(value(&edge_text, "edge_cache_bypasses_total", &[]).unwrap() >= 1.0);
    // The cache's size is read at scrape time (the change feed may have purged it since).
    assert!(value(&edge_text, "edge_cache_entries", &[]).is_some());
    assert!(value(&edge_text, "edge_cache_size_bytes", &[]).is_some());
    assert!(
        value(&edge_text, "edge_upstream_response_duration_seconds_count", &[("upstream_region", "eu-west")]).unwrap()
            >= 1.0
    );

    assert!(
        value(&core_text, "core_http_requests_total", &[("region", "eu-west"), detail_route[1], ("code", "2xx")])
            .unwrap()
            >= 1.0
    );
    assert!(
        value(&core_text, "core_http_requests_total", &[("route", "/admin/v1/products"), ("journey", "admin")])
            .unwrap()
            >= 1.0
    );
    assert!(
        value(&core_text, "core_http_request_duration_seconds_count", &[("route", "/v1/carts/{id}/checkout")]).unwrap()
            >= 2.0
    );
    assert_eq!(value(&core_text, "core_carts_created_total", &[]), Some(2.0));
    assert_eq!(value(&core_text, "core_orders_total", &[]), Some(2.0));
    assert_eq!(value(&core_text, "core_payments_authorized_total", &[]), Some(1.0));
    assert_eq!(value(&core_text, "core_payment_failures_total", &[("reason", "declined")]), Some(1.0));
    assert_eq!(value(&core_text, "core_db_pool_connections", &[("pool", "main"), ("state", "max")]), Some(4.0));
    assert!(value(&core_text, "core_db_pool_connections", &[("pool", "main"), ("state", "idle")]).is_some());
    assert!(value(&core_text, "core_db_transaction_retries_total", &[("pool", "main")]).is_some());

    assert!(
        value(&payments_text, "payments_http_requests_total", &[("route", "/v1/tokens"), ("code", "2xx")]).unwrap()
            >= 2.0
    );
    assert_eq!(value(&payments_text, "payments_authorizations_total", &[("outcome", "authorized")]), Some(1.0));
    assert_eq!(value(&payments_text, "payments_authorizations_total", &[("outcome", "declined")]), Some(1.0));
    assert!(!payments_text.contains("region="), "the stand-in is no region's");

    // A catalog change purges every edge's cache (the change feed), counted.
    let purges = |text: &str| value(text, "edge_cache_purges_total", &[]).unwrap_or(0.0);
    let before = purges(&scrape(p.edge_admin_port).await);
    let changed =
        stack_tests::admin(staff, "POST", &format!("/admin/v1/products/{product}/unpublish"), None).await.unwrap();
    assert_eq!(changed.status, 200, "{}", changed.body);
    eventually("a purge counted after a catalog change", Duration::from_secs(20), POLL, async || {
        let counted = purges(&scrape(p.edge_admin_port).await);
        if counted > before { Ok(()) } else { Err(format!("{counted} purges, {before} before")) }
    })
    .await;

    // With the region's core gone, the edge fails over to the next region's, counted.
    let edge_admin = p.edge_admin_port;
    stack.procs.get_mut("eu-west").unwrap().stop_core();
    eventually("the edge failing over to us-east", Duration::from_secs(20), POLL, async || {
        let answer = request(edge, "GET", "/v1/markets", &[], None).await.unwrap();
        let failed_over = answer.header("x-failover-region") == Some("us-east");
        if failed_over { Ok(()) } else { Err(format!("{} {:?}", answer.status, answer.headers)) }
    })
    .await;
    // The edge counts a request in its logging phase, after the answer went out: the scrape
    // may come first, so it is asked again (bounded) until the failover shows.
    let text = eventually("a failover counted", Duration::from_secs(10), POLL, async || {
        let text = scrape(edge_admin).await;
        let counted = value(&text, "edge_upstream_failovers_total", &[("to_region", "us-east")]).is_some();
        if counted { Ok(text) } else { Err(text) }
    })
    .await;
    assert!(value(&text, "edge_upstream_failovers_total", &[("to_region", "us-east")]).unwrap() >= 1.0);
    assert!(
        value(&text, "edge_upstream_response_duration_seconds_count", &[("upstream_region", "us-east")]).unwrap()
            >= 1.0
    );
}
