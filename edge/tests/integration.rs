//! Integration tests of the `edge` binary against a stub core on 127.0.0.1.
//!
//! Run with `cargo test -p edge --test integration`.

mod support;

use std::time::{Duration, Instant};

use support::{Edge, POLL, StubCore};
use testkit::eventually_blocking;

/// One edge of `region` in front of one healthy stub core.
fn edge_with_core(region: &str) -> (Edge, StubCore) {
    let core = StubCore::start("core-a");
    let edge = Edge::start(region, &[core.addr()], &[]);
    (edge, core)
}

mod routing {
    use super::*;

    #[test]
    fn explicit_paths_are_normalized() {
        let (edge, _core) = edge_with_core("eu-west");
        let resp = edge.get("/v1/FR/fr-ca/products?limit=2", &[("x-country", "DE")]);
        let echo = resp.json();
        assert_eq!(echo["path"], "/v1/fr/fr-CA/products", "{resp:?}");
        assert_eq!(echo["query"], "limit=2");
        assert_eq!(resp.header("x-market"), None, "explicit requests are not resolved");
        assert_eq!(resp.header("vary"), None);

        // Bad or unoffered languages go to core as they are: it answers with its own codes.
        assert_eq!(edge.get("/v1/de/not_a-tag!/categories", &[]).upstream_path(), "/v1/de/not_a-tag!/categories");
        assert_eq!(edge.get("/v1/de/ja/categories", &[]).upstream_path(), "/v1/de/ja/categories");
    }

    #[test]
    fn market_from_country_headers() {
        let (edge, _core) = edge_with_core("eu-west");
        let resp = edge.get("/v1/products", &[("x-country", "DE")]);
        assert_eq!(resp.upstream_path(), "/v1/de/de/products");
        assert_eq!(resp.header("x-market"), Some("de"));
        assert_eq!(resp.header("content-language"), Some("de"));
        assert_eq!(resp.header("vary"), Some("accept-language, x-country"));

        assert_eq!(edge.get("/v1/categories", &[("cf-ipcountry", "GB")]).upstream_path(), "/v1/gb/en/categories");
        assert_eq!(
            edge.get("/v1/categories", &[("cloudfront-viewer-country", "jp")]).upstream_path(),
            "/v1/jp/ja/categories"
        );
    }

    #[test]
    fn market_from_accept_language_within_the_region() {
        let (edge, _core) = edge_with_core("eu-west");
        let resp = edge.get("/v1/products", &[("accept-language", "de-DE,de;q=0.9,en;q=0.5")]);
        assert_eq!(resp.upstream_path(), "/v1/de/de/products");
        assert_eq!(resp.header("x-market"), Some("de"));
        // en-US names the US market, which is not eu-west's: region default, negotiated language.
        let resp = edge.get("/v1/products", &[("accept-language", "en-US")]);
        assert_eq!(resp.upstream_path(), "/v1/fr/en/products");
        assert_eq!(resp.header("content-language"), Some("en"));
    }

    #[test]
    fn region_default_market_when_nothing_says() {
        let (edge, _core) = edge_with_core("eu-west");
        let resp = edge.get("/v1/categories", &[]);
        assert_eq!(resp.upstream_path(), "/v1/fr/fr/categories");
        assert_eq!(resp.header("x-market"), Some("fr"));
        assert_eq!(resp.header("content-language"), Some("fr"));

        let (us_edge, _us_core) = edge_with_core("us-east");
        assert_eq!(us_edge.get("/v1/categories", &[]).upstream_path(), "/v1/us/en/categories");
    }

    #[test]
    fn language_is_negotiated_within_the_market() {
        let (edge, _core) = edge_with_core("us-east");
        let resp = edge.get("/v1/products/x", &[("x-country", "CA"), ("accept-language", "fr")]);
        assert_eq!(resp.upstream_path(), "/v1/ca/fr-CA/products/x");
        assert_eq!(resp.header("x-market"), Some("ca"));
        assert_eq!(resp.header("content-language"), Some("fr-CA"));
    }

    #[test]
    fn query_string_is_kept() {
        let (edge, _core) = edge_with_core("eu-west");
        let query = "category=shoes&sort=price&limit=5&cursor=a%2Fb&attr.color=red";
        let resp = edge.get(&format!("/v1/products?{query}"), &[]);
        let echo = resp.json();
        assert_eq!(echo["path"], "/v1/fr/fr/products");
        assert_eq!(echo["query"], query);
    }

    #[test]
    fn unscoped_paths_are_forwarded_unchanged() {
        let (edge, _core) = edge_with_core("eu-west");
        for target in ["/v1/markets", "/openapi.json", "/readyz", "/v1/unknown?page=2"] {
            let resp = edge.get(target, &[("x-country", "DE"), ("accept-language", "de-DE")]);
            let echo = resp.json();
            let echoed = match echo["query"].as_str() {
                Some(q) => format!("{}?{q}", echo["path"].as_str().unwrap()),
                None => echo["path"].as_str().unwrap().to_string(),
            };
            assert_eq!(echoed, target, "{resp:?}");
            assert_eq!(resp.header("x-market"), None, "{target}");
            assert_eq!(resp.header("vary"), None, "{target}");
        }
        let resp = edge.request("POST", "/v1/accounts", &[("content-length", "0")]);
        assert_eq!(resp.json()["method"], "POST");
    }

    #[test]
    fn the_admin_api_and_core_s_internal_routes_are_never_forwarded() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &[]);
        for (method, target) in [
            ("GET", "/admin/v1/products?page=2"),
            ("POST", "/admin/v1/products"),
            ("POST", "/admin/v1/sessions"),
            ("GET", "/internal/v1/catalog-changes"),
        ] {
            let resp = edge.request(method, target, &[("content-length", "0")]);
            assert_eq!(resp.status, 404, "{method} {target}: {resp:?}");
            assert!(core.seen().iter().all(|s| s.target != target), "{target} reached core");
        }
    }
}

mod forwarding {
    use super::*;

    #[test]
    fn healthz_is_answered_by_the_edge_itself() {
        // No core at all: the edge's own liveness does not depend on core.
        let edge = Edge::start("eu-west", &[format!("127.0.0.1:{}", testkit::free_port())], &[]);
        let resp = edge.get("/healthz", &[]);
        assert_eq!((resp.status, resp.body.as_str()), (200, "ok"), "{resp:?}");
        assert_eq!(resp.header("x-edge-region"), Some("eu-west"));
    }

    #[test]
    fn request_id_and_edge_headers_reach_core_and_come_back() {
        // Without a cache: the second request must reach core too.
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &["--cache-bytes", "0"]);
        let resp = edge.get("/v1/markets", &[("x-request-id", "test-123"), ("x-forwarded-for", "203.0.113.7")]);
        let echo = resp.json();
        assert_eq!(echo["headers"]["x-request-id"], "test-123");
        assert_eq!(echo["headers"]["x-edge-region"], "eu-west");
        assert_eq!(echo["headers"]["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
        assert_eq!(echo["headers"]["host"], "shop.test");
        assert_eq!(resp.header("x-request-id"), Some("test-123"));
        assert_eq!(resp.header("x-edge-region"), Some("eu-west"));

        // Without one, the edge makes one up and sends the same one both ways.
        let resp = edge.get("/v1/markets", &[]);
        let generated = resp.header("x-request-id").expect("a generated request id").to_string();
        assert!(generated.len() >= 16, "{generated}");
        assert_eq!(resp.json()["headers"]["x-request-id"], generated.as_str());
        assert_eq!(resp.json()["headers"]["x-forwarded-for"], "127.0.0.1");
    }

    #[test]
    fn core_health_is_checked_on_readyz_with_a_host() {
        let (_edge, core) = edge_with_core("eu-west");
        let check = eventually_blocking("a health check reaching core", Duration::from_secs(10), POLL, || {
            let seen = core.seen();
            let check = seen.iter().find(|s| s.target == "/readyz").cloned();
            check.ok_or_else(|| format!("{:?}", seen.iter().map(|s| &s.target).collect::<Vec<_>>()))
        });
        assert_eq!(check.method, "GET");
        assert!(check.headers.contains_key("host"), "{check:?}");
        assert!(check.headers.get("user-agent").is_some_and(|ua| ua.contains("health-check")), "{check:?}");
    }

    #[test]
    fn only_core_down_answers_503_upstream_unavailable() {
        let down = format!("127.0.0.1:{}", testkit::free_port());
        let edge = Edge::start("eu-west", &[down], &[]);
        for target in ["/v1/products", "/v1/fr/fr/categories", "/v1/markets"] {
            let started = Instant::now();
            let resp = edge.get(target, &[("x-request-id", "down-1")]);
            assert!(started.elapsed() < Duration::from_secs(5), "{target} took {:?}", started.elapsed());
            assert_eq!(resp.status, 503, "{resp:?}");
            assert_eq!(resp.json()["code"], "upstream_unavailable");
            assert_eq!(resp.header("retry-after"), Some("2"));
            assert_eq!(resp.header("content-type"), Some("application/json"));
            assert_eq!(resp.header("x-request-id"), Some("down-1"));
            assert_eq!(resp.header("x-edge-region"), Some("eu-west"));
        }
    }

    #[test]
    fn core_failing_its_health_check_is_taken_out_of_rotation() {
        let core = StubCore::unhealthy("sick");
        // Without a cache, which would answer with a stale response while core is out.
        let edge = Edge::start("eu-west", &[core.addr()], &["--health-interval-ms", "100", "--cache-bytes", "0"]);
        let resp = eventually_blocking("503 once core fails its health checks", Duration::from_secs(10), POLL, || {
            let resp = edge.get("/v1/markets", &[]);
            if resp.status == 503 { Ok(resp) } else { Err(format!("{resp:?}")) }
        });
        assert_eq!(resp.json()["code"], "upstream_unavailable");
    }

    #[test]
    fn refused_connections_are_retried_on_another_core() {
        let mut first = StubCore::start("first");
        let second = StubCore::start("second");
        // Health checks far apart: the edge still believes `first` is healthy once it stops.
        let edge = Edge::start("eu-west", &[first.addr(), second.addr()], &["--health-interval-ms", "600000"]);
        first.stop();
        for i in 0..6 {
            let resp = edge.get(&format!("/v1/markets?i={i}"), &[]);
            assert_eq!(resp.status, 200, "request {i}: {resp:?}");
            assert_eq!(resp.json()["stub"], "second", "request {i}");
        }
        assert!(edge.log().contains("cannot connect to core"), "round robin never picked the stopped core");
    }

    #[test]
    fn with_no_healthy_core_in_the_region_the_next_region_answers() {
        let mut local = StubCore::start("eu-west-core");
        let far = StubCore::start("ap-southeast-core");
        let near = StubCore::start("us-east-core");
        let failover = [format!("us-east={}", near.addr()), format!("ap-southeast={}", far.addr())];
        let edge = eu_west_edge_with(&local, &failover);
        let resp = edge.get("/v1/fr/fr/products", &[]);
        assert_eq!((resp.json()["stub"].as_str(), resp.header("x-failover-region")), (Some("eu-west-core"), None));
        local.stop();
        // Refused connections move the request on at once; the health check then confirms.
        for i in 0..5 {
            let resp = edge.get(&format!("/v1/fr/fr/products?i={i}"), &[]);
            assert_eq!(resp.status, 200, "{resp:?}");
            assert_eq!(resp.json()["stub"], "us-east-core", "the nearest region first");
            assert_eq!(resp.header("x-failover-region"), Some("us-east"));
            assert_eq!(resp.header("x-edge-region"), Some("eu-west"));
        }
    }

    /// An eu-west edge in front of `local`, without a cache, checking health often, with these
    /// other regions' cores (`REGION=ADDR`, nearest first).
    fn eu_west_edge_with(local: &StubCore, failover: &[String]) -> Edge {
        let mut args = vec!["--cache-bytes", "0", "--health-interval-ms", "100"];
        for core in failover {
            args.extend(["--failover-core", core.as_str()]);
        }
        Edge::start("eu-west", &[local.addr()], &args)
    }

    #[test]
    fn a_shopper_s_writes_go_to_their_home_region_s_core() {
        let mut home = StubCore::start("us-east-core");
        let local = StubCore::start("eu-west-core");
        let edge = eu_west_edge_with(&local, &[format!("us-east={}", home.addr())]);
        // A session token whose claims name us-east (the core checks the signature).
        let claims = r#"{"sid":"00000000-0000-0000-0000-000000000001","sub":"00000000-0000-0000-0000-000000000002","reg":"us-east","knd":"customer","exp":4102444800}"#;
        let token = format!("Bearer v1.{}.bWFj", base64_url(claims.as_bytes()));
        let auth = [("authorization", token.as_str())];
        let write = edge.request("PUT", "/v1/carts/c1/lines/v1", &auth);
        assert_eq!(
            (write.json()["stub"].as_str(), write.header("x-home-region")),
            (Some("us-east-core"), Some("us-east"))
        );
        // Reads, and guests' writes, stay in the region.
        assert_eq!(edge.get("/v1/orders", &auth).json()["stub"], "eu-west-core");
        assert_eq!(edge.request("PUT", "/v1/carts/c1/lines/v1", &[]).json()["stub"], "eu-west-core");
        // The home region's core gone: the write is taken here rather than refused.
        home.stop();
        let write = edge.request("PUT", "/v1/carts/c1/lines/v1", &auth);
        assert_eq!((write.json()["stub"].as_str(), write.header("x-home-region")), (Some("eu-west-core"), None));
    }

    /// Base64url without padding.
    fn base64_url(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn a_failover_core_must_name_another_known_region() {
        for bad in ["eu-west=127.0.0.1:1", "mars=127.0.0.1:1", "us-east", "us-east=nowhere"] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_edge"))
                .args(["--region", "eu-west", "--failover-core", bad, "--check-config"])
                .output()
                .unwrap();
            assert!(!out.status.success(), "{bad}");
            assert!(String::from_utf8_lossy(&out.stderr).contains("--failover-core"), "{bad}");
        }
    }
}

mod cache {
    use super::*;

    /// Long enough that no entry turns stale during a test.
    /// The cache is off by default (until the catalog change feed purges it): these tests turn
    /// it on.
    const ON: [&str; 2] = ["--cache-bytes", "67108864"];
    const LONG_TTL: [&str; 4] = ["--cache-bytes", "67108864", "--cache-ttl-ms", "600000"];

    /// Reads `target` every [`POLL`] until the edge answers it with `x-cache: want` (for at most
    /// `timeout`).
    fn until_x_cache(edge: &Edge, target: &str, want: &str, timeout: Duration) -> support::Response {
        let what = format!("x-cache: {want} for {target}");
        eventually_blocking(&what, timeout, POLL, || {
            let resp = edge.get(target, &[]);
            if resp.header("x-cache") == Some(want) { Ok(resp) } else { Err(format!("{resp:?}")) }
        })
    }

    /// How many requests for `target` the stub core received.
    fn upstream_count(core: &StubCore, target: &str) -> usize {
        core.seen().iter().filter(|s| s.target == target).count()
    }

    #[test]
    fn a_second_get_is_a_hit_answered_without_core() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &LONG_TTL);
        let target = "/v1/fr/fr/products?limit=2";
        let first = edge.get(target, &[("x-request-id", "first")]);
        assert_eq!((first.status, first.header("x-cache")), (200, Some("miss")), "{first:?}");
        let second = edge.get(target, &[("x-request-id", "second")]);
        assert_eq!((second.status, second.header("x-cache")), (200, Some("hit")), "{second:?}");
        assert_eq!(second.body, first.body);
        assert_eq!(second.header("x-request-id"), Some("second"), "edge headers are per request");
        assert_eq!(second.header("x-edge-region"), Some("eu-west"));
        assert!(second.header("age").is_some(), "{second:?}");
        assert_eq!(upstream_count(&core, "/v1/fr/fr/products?limit=2"), 1);

        // A request naming no market shares the entry of its canonical URL, with its own headers.
        let resolved = edge.get("/v1/products?limit=2", &[]);
        assert_eq!(resolved.header("x-cache"), Some("hit"), "{resolved:?}");
        assert_eq!(resolved.header("x-market"), Some("fr"));
        assert_eq!(upstream_count(&core, "/v1/fr/fr/products?limit=2"), 1);

        // HEAD is cached apart from GET.
        let head = edge.request("HEAD", target, &[]);
        assert_eq!((head.status, head.header("x-cache")), (200, Some("miss")), "{head:?}");
        assert_eq!(edge.request("HEAD", target, &[]).header("x-cache"), Some("hit"));
        assert_eq!(upstream_count(&core, "/v1/fr/fr/products?limit=2"), 2);
    }

    #[test]
    fn a_fresh_edge_keeps_its_cache_for_changes_older_than_its_start() {
        let core = StubCore::start("core-a");
        // The feed's newest changes, from before this edge: one of the whole catalog.
        core.add_change(None, Duration::from_secs(600));
        core.add_change(Some(&["p:0b6f4c1e-4a56-4d8e-9a50-2f1f1b0e7a11"]), Duration::from_secs(60));
        let edge = Edge::start("eu-west", &[core.addr()], &LONG_TTL);
        let target = "/v1/de/de/categories";
        assert_eq!(edge.get(target, &[]).header("x-cache"), Some("miss"));
        // Until the edge reads its feed 3 s after its first read: by then it has acted on the
        // first answer and on the second purge that would follow one (2.5 s later).
        eventually_blocking("change-feed reads 3 s apart", Duration::from_secs(20), POLL, || {
            let reads: Vec<Instant> = core
                .seen()
                .into_iter()
                .filter(|s| s.target.starts_with("/internal/v1/catalog-changes"))
                .map(|s| s.at)
                .collect();
            let apart = reads.first().zip(reads.last()).map(|(first, last)| last.duration_since(*first));
            let enough = apart.is_some_and(|apart| apart >= Duration::from_secs(3));
            if enough { Ok(()) } else { Err(format!("{} reads, {apart:?} apart", reads.len())) }
        });
        assert_eq!(edge.get(target, &[]).header("x-cache"), Some("hit"));
        assert_eq!(upstream_count(&core, target), 1);
        // A change made now purges it.
        core.add_change(None, Duration::ZERO);
        until_x_cache(&edge, target, "miss", Duration::from_secs(10));
    }

    #[test]
    fn a_change_purges_the_pages_of_its_tags_softly_one_request_refreshes_while_readers_get_the_stale_page() {
        let core = StubCore::start("core-a");
        let edge =
            Edge::start("eu-west", &[core.addr()], &[&LONG_TTL[..], &["--cache-purge-grace-ms", "1500"]].concat());
        // Core names what each page shows; refreshing `hot` takes core a while.
        let hot = "/v1/fr/fr/products/a?stub-header=surrogate-key:p:a&stub-delay-ms=1000";
        let other = "/v1/fr/fr/products/b?stub-header=surrogate-key:p:b";
        for target in [hot, other] {
            assert_eq!(edge.get(target, &[]).header("x-cache"), Some("miss"));
            let hit = edge.get(target, &[]);
            assert_eq!(hit.header("x-cache"), Some("hit"));
            assert!(hit.header("surrogate-key").is_none(), "core's tags stay at the edge: {hit:?}");
        }
        core.add_change(Some(&["p:a"]), Duration::ZERO);
        eventually_blocking("the edge purges after the change", Duration::from_secs(10), POLL, || {
            let log = edge.log();
            if log.contains("cache purged") { Ok(()) } else { Err("no purge logged yet".to_string()) }
        });
        assert_eq!(edge.get(other, &[]).header("x-cache"), Some("hit"), "another product's page is kept");

        // Readers of the purged page at once: one refreshes it, the others get it stale meanwhile.
        let answers: Vec<_> = std::thread::scope(|scope| {
            let readers: Vec<_> = (0..8).map(|_| scope.spawn(|| edge.get(hot, &[]))).collect();
            readers.into_iter().map(|r| r.join().expect("reader thread")).collect()
        });
        let outcome = |want: &str| answers.iter().filter(|a| a.header("x-cache") == Some(want)).count();
        assert_eq!((outcome("miss"), outcome("stale")), (1, 7), "{answers:?}");
        assert!(answers.iter().all(|a| a.status == 200));
        assert_eq!(upstream_count(&core, hot), 2, "one request refreshed the purged page");
        assert_eq!(edge.get(hot, &[]).header("x-cache"), Some("hit"), "fresh again");
        assert_eq!(upstream_count(&core, other), 1);
    }

    #[test]
    fn concurrent_misses_for_one_key_make_one_upstream_request() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &LONG_TTL);
        let target = "/v1/de/de/categories";
        let responses: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..100).map(|_| scope.spawn(|| edge.get(target, &[]))).collect();
            handles.into_iter().map(|h| h.join().expect("request thread")).collect()
        });
        assert!(responses.iter().all(|r| r.status == 200), "{responses:?}");
        assert!(responses.iter().all(|r| r.body == responses[0].body), "every answer is the one fill");
        let misses = responses.iter().filter(|r| r.header("x-cache") == Some("miss")).count();
        let hits = responses.iter().filter(|r| r.header("x-cache") == Some("hit")).count();
        assert_eq!((misses, hits), (1, 99));
        assert_eq!(upstream_count(&core, target), 1);
    }

    #[test]
    fn private_routes_and_credentials_are_never_cached() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &LONG_TTL);
        for target in
            ["/v1/carts/c1", "/v1/orders", "/v1/accounts/me", "/v1/returns/r1", "/v1/sessions", "/openapi.json"]
        {
            for _ in 0..2 {
                let resp = edge.get(target, &[]);
                assert_eq!((resp.status, resp.header("x-cache")), (200, Some("bypass")), "{target}: {resp:?}");
            }
            assert_eq!(upstream_count(&core, target), 2, "{target}");
        }

        let target = "/v1/fr/fr/products/p1";
        let credentials = [("authorization", "Bearer t"), ("x-cart-token", "cart-1"), ("cookie", "sid=1")];
        for header in credentials {
            for _ in 0..2 {
                let resp = edge.get(target, &[header]);
                assert_eq!((resp.status, resp.header("x-cache")), (200, Some("bypass")), "{header:?}: {resp:?}");
                assert_eq!(resp.json()["headers"][header.0], header.1, "the credential reached core");
            }
        }
        assert_eq!(upstream_count(&core, target), 6);
        // Nothing they fetched was stored: the first anonymous request misses.
        assert_eq!(edge.get(target, &[]).header("x-cache"), Some("miss"));
        assert_eq!(upstream_count(&core, target), 7);
    }

    #[test]
    fn responses_with_set_cookie_or_private_are_not_stored() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &LONG_TTL);
        for target in [
            "/v1/fr/fr/categories?stub-header=set-cookie:sid=1",
            "/v1/fr/fr/categories?stub-header=cache-control:private,max-age=60",
            "/v1/fr/fr/categories?stub-header=cache-control:no-store",
        ] {
            for _ in 0..2 {
                let resp = edge.get(target, &[]);
                assert_eq!((resp.status, resp.header("x-cache")), (200, Some("miss")), "{target}: {resp:?}");
            }
            assert_eq!(upstream_count(&core, target), 2, "{target}");
        }
        let resp = edge.get("/v1/fr/fr/categories?stub-header=set-cookie:sid=1", &[]);
        assert_eq!(resp.header("set-cookie"), Some("sid=1"));
    }

    #[test]
    fn a_stale_response_answers_when_core_is_gone() {
        let mut core = StubCore::start("core-a");
        let edge = Edge::start(
            "eu-west",
            &[core.addr()],
            &[
                &ON[..],
                &["--cache-ttl-ms", "1", "--cache-stale-if-error-ms", "600000", "--health-interval-ms", "600000"],
            ]
            .concat(),
        );
        let target = "/v1/gb/en/products";
        let fresh = edge.get(target, &[]);
        assert_eq!((fresh.status, fresh.header("x-cache")), (200, Some("miss")), "{fresh:?}");
        core.stop();
        // Once the entry is past its 1 ms.
        let stale = until_x_cache(&edge, target, "stale", Duration::from_secs(10));
        assert_eq!(stale.status, 200, "{stale:?}");
        assert_eq!(stale.body, fresh.body);
        // Uncached URLs still get the stable error.
        let resp = edge.get("/v1/gb/en/categories", &[]);
        assert_eq!((resp.status, resp.json()["code"].as_str()), (503, Some("upstream_unavailable")));
    }

    #[test]
    fn a_stale_response_answers_when_core_fails_with_5xx() {
        let core = StubCore::start("core-a");
        let edge = Edge::start(
            "eu-west",
            &[core.addr()],
            &[&ON[..], &["--cache-ttl-ms", "1", "--cache-stale-if-error-ms", "600000"]].concat(),
        );
        let target = "/v1/de/de/products/p1";
        let fresh = edge.get(target, &[]);
        assert_eq!((fresh.status, fresh.header("x-cache")), (200, Some("miss")), "{fresh:?}");
        core.failing(true);
        // Once the entry is past its 1 ms.
        let stale = until_x_cache(&edge, target, "stale", Duration::from_secs(10));
        assert_eq!((stale.status, stale.body.as_str()), (200, fresh.body.as_str()), "{stale:?}");
        assert!(upstream_count(&core, target) >= 2, "core was asked again and failed");
        // Without a stored response, core's error passes through.
        let resp = edge.get("/v1/de/de/categories", &[]);
        assert_eq!((resp.status, resp.body.as_str()), (500, "stub failing"), "{resp:?}");
    }

    #[test]
    fn no_cache_header_when_the_cache_is_off() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &["--cache-bytes", "0"]);
        for _ in 0..2 {
            assert_eq!(edge.get("/v1/markets", &[]).header("x-cache"), None);
        }
        assert_eq!(upstream_count(&core, "/v1/markets"), 2);
    }

    /// Hits are answered in front of the proxy; on one keep-alive connection they mix with
    /// pipelined hits, misses and writes with a body, each answered in order.
    #[test]
    fn one_connection_mixes_pipelined_hits_misses_and_writes() {
        use std::io::{BufRead, BufReader, Read, Write};

        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &LONG_TTL);
        let target = "/v1/fr/fr/categories";
        assert_eq!(edge.get(target, &[]).header("x-cache"), Some("miss"));

        let conn = std::net::TcpStream::connect(("127.0.0.1", edge.port)).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut writer = conn.try_clone().unwrap();
        let mut reader = BufReader::new(conn);
        // One response: its status line, lower-case headers and body (by Content-Length).
        let mut next = || {
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                assert!(reader.read_line(&mut line).unwrap() > 0, "connection closed early");
                if line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_ascii_lowercase());
            }
            let length: usize = head.iter().find_map(|l| l.strip_prefix("content-length: ")?.parse().ok()).unwrap();
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            (head, String::from_utf8(body).unwrap())
        };
        let get = |id: &str| format!("GET {target} HTTP/1.1\r\nhost: shop.test\r\nx-request-id: {id}\r\n\r\n");
        let body = r#"{"sku":"A"}"#;
        let post =
            format!("POST /v1/carts HTTP/1.1\r\nhost: shop.test\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        let miss = "GET /v1/de/de/categories HTTP/1.1\r\nhost: shop.test\r\n\r\n";
        writer.write_all(format!("{}{}{post}", get("one"), get("two")).as_bytes()).unwrap();
        for id in ["one", "two"] {
            let (head, _) = next();
            assert!(head.contains(&"x-cache: hit".to_string()), "{head:?}");
            assert!(head.contains(&format!("x-request-id: {id}")), "{head:?}");
        }
        let (head, echo) = next();
        assert!(head[0].starts_with("http/1.1 200"), "{head:?}");
        let echo: serde_json::Value = serde_json::from_str(&echo).unwrap();
        assert_eq!((echo["method"].as_str(), echo["path"].as_str()), (Some("POST"), Some("/v1/carts")), "{echo}");
        // After the proxy answered, the connection comes back to the hit path, then goes to the
        // proxy again for a miss (which, as before, does not take pipelined requests after it).
        let mut x_cache = || next().0.into_iter().find(|l| l.starts_with("x-cache: ")).unwrap_or_default();
        writer.write_all(format!("{}{miss}", get("three")).as_bytes()).unwrap();
        assert_eq!([x_cache(), x_cache()], ["x-cache: hit", "x-cache: miss"]);
        writer.write_all(get("four").as_bytes()).unwrap();
        assert_eq!(x_cache(), "x-cache: hit");
        assert_eq!(upstream_count(&core, target), 1);
        assert_eq!(core.seen().iter().filter(|s| s.method == "POST").count(), 1);
    }

    /// The address rate limit applies to answers from the cache too.
    #[test]
    fn cache_hits_are_rate_limited() {
        let core = StubCore::start("core-a");
        let edge =
            Edge::start("eu-west", &[core.addr()], &[&LONG_TTL[..], &["--rate-limit-address-rps", "5"]].concat());
        let mut statuses = Vec::new();
        for _ in 0..200 {
            let resp = edge.get("/v1/markets", &[]);
            statuses.push((resp.status, resp.header("x-cache").map(str::to_string)));
            if resp.status == 429 {
                break;
            }
        }
        assert_eq!(statuses.last().map(|s| s.0), Some(429), "{statuses:?}");
        assert!(statuses.iter().any(|s| s.1.as_deref() == Some("hit")), "{statuses:?}");
        assert_eq!(upstream_count(&core, "/v1/markets"), 1);
    }
}

mod lifecycle {
    use std::process::Command;

    use nix::sys::signal::Signal;

    use super::*;

    #[test]
    fn sigterm_stops_the_edge_within_seconds() {
        let (mut edge, _core) = edge_with_core("eu-west");
        let sent = Instant::now();
        edge.process.signal(Signal::SIGTERM);
        let status = eventually_blocking("the edge exiting after SIGTERM", Duration::from_secs(5), POLL, || {
            edge.process.exited().ok_or("still running")
        });
        let took = sent.elapsed();
        assert!(took < Duration::from_millis(3500), "exit took {took:?}");
        assert!(status.success(), "{status:?}; log:\n{}", edge.log());
    }

    #[test]
    fn busy_listen_address_fails_fast() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_edge"))
            .args(["--region", "eu-west", "--listen", &addr, "--core", "127.0.0.1:1"])
            .output()
            .expect("running edge");
        assert!(!out.status.success(), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on"), "{out:?}");
    }

    #[test]
    fn check_config_validates_and_exits() {
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_edge"))
                .args(args)
                .env_remove("SHOP_EDGE_REGIONS_DIR")
                .output()
                .expect("running edge --check-config")
        };
        let ok = run(&["--check-config", "--region", "eu-west", "--core", "127.0.0.1:1"]);
        let stdout = String::from_utf8_lossy(&ok.stdout);
        assert!(ok.status.success(), "{ok:?}");
        assert!(stdout.contains("edge settings ok") && stdout.contains("127.0.0.1:1"), "{stdout}");

        let bad = run(&["--check-config", "--region", "mars"]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown region `mars`"), "{bad:?}");

        let bad = run(&["--check-config", "--region", "eu-west", "--regions-dir", "/nonexistent/regions"]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent/regions"), "{bad:?}");
    }
}

mod tls {
    use std::path::Path;
    use std::process::Command;
    use std::sync::Arc;

    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::TlsConnector;
    use tokio_rustls::client::TlsStream;
    use tokio_rustls::rustls::pki_types::ServerName;
    use tokio_rustls::rustls::{self, ClientConfig, ProtocolVersion, RootCertStore, SupportedProtocolVersion};

    use super::*;

    /// An edge with HTTPS on a second port, with certificates of a new development CA.
    fn https_edge(core: &StubCore, dir: &Path) -> (Edge, u16, testkit::DevCertificates) {
        let certs = testkit::DevCertificates::create(dir).unwrap();
        let tls_port = testkit::free_port();
        let listen = format!("127.0.0.1:{tls_port}");
        let (cert, key) = (certs.cert.to_str().unwrap(), certs.key.to_str().unwrap());
        let edge =
            Edge::start("eu-west", &[core.addr()], &["--tls-listen", &listen, "--tls-cert", cert, "--tls-key", key]);
        (edge, tls_port, certs)
    }

    fn connector(ca: &Path, versions: &[&'static SupportedProtocolVersion], alpn: &[&[u8]]) -> TlsConnector {
        let mut roots = RootCertStore::empty();
        let pem = std::fs::read_to_string(ca).unwrap();
        let der = pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD.decode(der).unwrap();
        roots.add(der.into()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }

    async fn connect(port: u16, connector: &TlsConnector) -> std::io::Result<TlsStream<tokio::net::TcpStream>> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await
    }

    /// `GET target` over HTTP/1.1 on `stream`; the raw answer.
    async fn http1_get(mut stream: TlsStream<tokio::net::TcpStream>, target: &str) -> String {
        let head = format!("GET {target} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await.unwrap();
        String::from_utf8_lossy(&raw).into_owned()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn https_speaks_tls_1_3_and_1_2_and_http2_with_hsts() {
        let dir = tempdir("https");
        let core = StubCore::start("core-a");
        let (edge, port, certs) = https_edge(&core, &dir);
        runtime().block_on(async {
            for (version, expected) in [
                (&rustls::version::TLS13, ProtocolVersion::TLSv1_3),
                (&rustls::version::TLS12, ProtocolVersion::TLSv1_2),
            ] {
                let stream = connect(port, &connector(&certs.ca, &[version], &[b"http/1.1"])).await.unwrap();
                assert_eq!(stream.get_ref().1.protocol_version(), Some(expected));
                let answer = http1_get(stream, "/v1/markets").await;
                assert!(answer.starts_with("HTTP/1.1 200"), "{expected:?}: {answer}");
                let lower = answer.to_ascii_lowercase();
                assert!(lower.contains("strict-transport-security: max-age=63072000; includesubdomains"), "{answer}");
                assert!(lower.contains("x-content-type-options: nosniff"), "{answer}");
            }

            // HTTP/2, chosen by ALPN.
            let both = connector(&certs.ca, &[&rustls::version::TLS13], &[b"h2", b"http/1.1"]);
            let stream = connect(port, &both).await.unwrap();
            assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
            let (mut sender, conn) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
            tokio::spawn(conn);
            let req = http::Request::get("https://localhost/v1/markets").body(Empty::<bytes::Bytes>::new()).unwrap();
            let resp = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req)).await.unwrap().unwrap();
            assert_eq!(resp.version(), http::Version::HTTP_2);
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["strict-transport-security"], "max-age=63072000; includeSubDomains");
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let echo: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(echo["path"], "/v1/markets");
        });

        // Plain HTTP keeps the other security headers but not HSTS.
        let plain = edge.get("/v1/markets", &[]);
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(plain.header("x-frame-options"), Some("DENY"));
        assert_eq!(plain.header("strict-transport-security"), None);
    }

    #[test]
    fn a_client_offering_only_tls_1_1_or_an_unknown_ca_is_refused() {
        let dir = tempdir("refused");
        let core = StubCore::start("core-a");
        let (_edge, port, _certs) = https_edge(&core, &dir);
        let other = testkit::DevCertificates::create(&dir.join("other")).unwrap();
        runtime().block_on(async {
            let err = connect(port, &connector(&other.ca, &[&rustls::version::TLS13], &[])).await.unwrap_err();
            assert!(
                err.to_string().contains("UnknownIssuer") || err.to_string().contains("invalid peer certificate"),
                "{err}"
            );
        });
        // TLS 1.1 cannot be offered by rustls; speak it by hand: a ClientHello for TLS 1.1 only.
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        std::io::Write::write_all(&mut stream, &tls11_client_hello()).unwrap();
        let mut answer = [0u8; 7];
        let n = std::io::Read::read(&mut stream, &mut answer).unwrap_or(0);
        // An alert record (21), or the connection closed; never a ServerHello (handshake, 22).
        assert!(n == 0 || answer[0] == 21, "answer to a TLS 1.1 hello: {:?}", &answer[..n]);
    }

    /// A minimal TLS 1.1 ClientHello (no extensions, one cipher suite).
    fn tls11_client_hello() -> Vec<u8> {
        let mut body = vec![0x03, 0x02]; // client_version TLS 1.1
        body.extend_from_slice(&[7u8; 32]); // random
        body.push(0); // session id
        body.extend_from_slice(&[0x00, 0x02, 0x00, 0x2f]); // TLS_RSA_WITH_AES_128_CBC_SHA
        body.extend_from_slice(&[0x01, 0x00]); // compression: null
        let mut handshake = vec![0x01, 0x00, (body.len() >> 8) as u8, body.len() as u8];
        handshake.extend_from_slice(&body);
        let mut record = vec![0x16, 0x03, 0x02, (handshake.len() >> 8) as u8, handshake.len() as u8];
        record.extend_from_slice(&handshake);
        record
    }

    fn tempdir(name: &str) -> std::path::PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{name}-{}", testkit::free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_missing_or_bad_certificate_stops_the_edge_at_start() {
        let dir = tempdir("bad");
        let certs = testkit::DevCertificates::create(&dir).unwrap();
        let other = testkit::DevCertificates::create(&dir.join("other")).unwrap();
        let listen = format!("127.0.0.1:{}", testkit::free_port());
        let run = |args: &[&str]| {
            let started = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_edge"))
                .args(["--region", "eu-west", "--listen", &format!("127.0.0.1:{}", testkit::free_port())])
                .args(["--core", "127.0.0.1:1", "--failover-core", "none", "--tls-listen", &listen])
                .args(args)
                .output()
                .expect("running edge");
            assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
            assert_eq!(out.status.code(), Some(2), "{out:?}");
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        let (cert, key) = (certs.cert.to_str().unwrap(), certs.key.to_str().unwrap());

        let err = run(&["--tls-cert", "/nonexistent/edge.pem", "--tls-key", key]);
        assert!(err.contains("--tls-cert") && err.contains("cannot read /nonexistent/edge.pem"), "{err}");
        let err = run(&["--tls-cert", cert, "--tls-key", "/nonexistent/key.pem"]);
        assert!(err.contains("--tls-key") && err.contains("cannot read /nonexistent/key.pem"), "{err}");
        let err = run(&["--tls-cert", key, "--tls-key", key]);
        assert!(err.contains("--tls-cert") && err.contains("holds no PEM certificate"), "{err}");
        let err = run(&["--tls-cert", cert, "--tls-key", other.key.to_str().unwrap()]);
        assert!(err.contains("--tls-key") && err.contains("does not go with"), "{err}");
        let err = run(&["--tls-cert", cert]);
        assert!(err.contains("--tls-key") && err.contains("missing"), "{err}");
    }
}

mod protection {
    use std::io::{Read, Write};

    use super::*;

    const LOGIN: (&str, &str) = ("POST", "/v1/sessions");

    #[test]
    fn logins_past_the_limit_get_429_with_retry_after_and_never_reach_core() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &["--rate-limit-credentials-per-min", "3"]);
        for _ in 0..3 {
            let resp = edge.request(LOGIN.0, LOGIN.1, &[("content-length", "0")]);
            assert_eq!(resp.status, 200, "{resp:?}");
        }
        let refused = edge.request(LOGIN.0, LOGIN.1, &[("content-length", "0")]);
        assert_eq!(refused.status, 429, "{refused:?}");
        assert_eq!(refused.json()["code"], "rate_limited");
        let retry: u64 = refused.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        assert_eq!(core.seen().iter().filter(|s| s.target == LOGIN.1).count(), 3);
        // Other routes have their own, looser limit.
        assert_eq!(edge.get("/v1/markets", &[]).status, 200);
    }

    #[test]
    fn checkouts_are_limited_per_token_and_requests_per_address() {
        let core = StubCore::start("core-a");
        let edge = Edge::start(
            "eu-west",
            &[core.addr()],
            &["--rate-limit-checkout-per-min", "2", "--rate-limit-address-rps", "5", "--cache-bytes", "0"],
        );
        let checkout = |token: &str| {
            edge.request("POST", "/v1/carts/c1/checkout", &[("authorization", token), ("content-length", "0")]).status
        };
        assert_eq!((checkout("Bearer a"), checkout("Bearer a"), checkout("Bearer a")), (200, 200, 429));
        assert_eq!(checkout("Bearer b"), 200, "another shopper has their own checkout limit");

        // Five per second with bursts of ten, from one address: about ten pass, then 429.
        let started = Instant::now();
        let mut passed = 0u32;
        let mut refused = None;
        for _ in 0..200 {
            let resp = edge.get("/v1/markets", &[]);
            if resp.status == 429 {
                refused = Some(resp);
                break;
            }
            assert_eq!(resp.status, 200, "{resp:?}");
            passed += 1;
        }
        let refused = refused.expect("a request past the address limit is refused");
        assert_eq!(refused.header("retry-after"), Some("1"));
        let allowed = 10 + 5 * started.elapsed().as_secs_f64().ceil() as u32;
        // The four checkouts above counted against the address too.
        assert!(passed + 4 <= allowed, "{passed} passed in {:?}", started.elapsed());
    }

    #[test]
    fn oversized_requests_are_refused_before_core() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &["--max-body-bytes", "1000", "--cache-bytes", "0"]);
        let resp = edge.request("POST", "/v1/carts", &[("content-length", "1001")]);
        assert_eq!((resp.status, resp.json()["code"].as_str()), (413, Some("payload_too_large")), "{resp:?}");
        let long = format!("/v1/products?q={}", "a".repeat(9000));
        let resp = edge.get(&long, &[]);
        assert_eq!((resp.status, resp.json()["code"].as_str()), (414, Some("uri_too_long")), "{resp:?}");
        let names: Vec<String> = (0..120).map(|i| format!("x-h{i}")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        let resp = edge.get("/v1/markets", &many);
        assert_eq!((resp.status, resp.json()["code"].as_str()), (431, Some("headers_too_large")), "{resp:?}");
        assert_eq!(core.seen_requests(), 0, "{:?}", core.seen());

        // A chunked body that grows past the limit.
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", edge.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut raw = b"POST /v1/carts HTTP/1.1\r\nhost: shop.test\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..3 {
            raw.extend_from_slice(b"200\r\n");
            raw.extend_from_slice(&[b'x'; 0x200]);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        let _ = stream.write_all(&raw);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    }

    #[test]
    fn a_client_that_stalls_its_body_is_cut_off() {
        let core = StubCore::start("core-a");
        let edge = Edge::start("eu-west", &[core.addr()], &["--client-timeout-ms", "500"]);
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", edge.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream
            .write_all(b"POST /v1/carts HTTP/1.1\r\nhost: shop.test\r\ncontent-length: 100\r\n\r\n0123456789")
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("request_timeout"), "{answer}");
    }
}

/// A core that accepts connections and answers nothing while its health check passes (a gray
/// failure): the edge gives up on it after the route's timeout, sends what is safe to repeat
/// elsewhere, and stops sending it anything once its last requests all went unanswered.
mod gray_failures {
    use super::*;

    #[test]
    fn a_stuck_core_is_given_up_on_safe_requests_go_elsewhere_and_it_is_ejected() {
        let stuck = StubCore::start("eu-west-core");
        let other = StubCore::start("us-east-core");
        let failover = format!("us-east={}", other.addr());
        let edge = Edge::start(
            "eu-west",
            &[stuck.addr()],
            &["--failover-core", &failover, "--health-interval-ms", "200", "--cache-bytes", "0"],
        );
        assert_eq!(edge.get("/v1/fr/fr/carts/warm", &[]).json()["stub"], "eu-west-core");
        stuck.stuck(true);

        // A write without a key may have been done by the stuck core: the shopper gets the
        // timeout, not a second execution elsewhere.
        let keyless = edge.request("POST", "/v1/fr/fr/carts", &[("content-length", "0")]);
        assert_eq!(keyless.status, 504, "{keyless:?}");
        assert_eq!(keyless.json()["code"], "upstream_timeout");
        assert!(other.seen_requests() == 0, "a write without a key never reaches a second core");

        // With a key, core answers a repetition with the first result: it goes to another core.
        let keyed = edge.request("POST", "/v1/fr/fr/carts", &[("content-length", "0"), ("idempotency-key", "k-1")]);
        assert_eq!(keyed.status, 200, "{keyed:?}");
        assert_eq!(keyed.json()["stub"], "us-east-core");
        assert_eq!(keyed.header("x-failover-region"), Some("us-east"));

        // A read goes elsewhere too; that third request without an answer ejects the core.
        let read = edge.get("/v1/orders/o-1", &[]);
        assert_eq!(read.json()["stub"], "us-east-core", "{read:?}");
        let sent_to_stuck = stuck.seen_requests();
        assert_eq!(sent_to_stuck, 4, "the warm-up and the three requests above");
        for i in 0..5 {
            let resp = edge.get(&format!("/v1/orders/o-{i}"), &[]);
            assert_eq!(resp.json()["stub"], "us-east-core");
        }
        assert_eq!(stuck.seen_requests(), sent_to_stuck, "an ejected core gets no new request");
        assert!(edge.log().contains("core ejected"), "{}", edge.log());
    }
}
