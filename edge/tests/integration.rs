//! Integration tests of the `edge` binary against a stub core on 127.0.0.1.
//!
//! Run with `cargo test -p edge --test integration`.

mod support;

use std::time::{Duration, Instant};

use support::{Edge, StubCore, eventually};

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
        for target in ["/v1/markets", "/openapi.json", "/readyz", "/admin/v1/products?page=2"] {
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
        let resp = edge.request("POST", "/admin/v1/products", &[("content-length", "0")]);
        assert_eq!(resp.json()["method"], "POST");
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
    fn core_health_is_checked_on_healthz_with_a_host() {
        let (_edge, core) = edge_with_core("eu-west");
        let check = eventually(Duration::from_secs(10), "a health check reaches core", || {
            core.seen().into_iter().find(|s| s.target == "/healthz")
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
        let resp = eventually(Duration::from_secs(10), "503 once core fails its health checks", || {
            let resp = edge.get("/v1/markets", &[]);
            (resp.status == 503).then_some(resp)
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
            ["/v1/carts/c1", "/v1/orders", "/v1/accounts/me", "/v1/returns/r1", "/admin/v1/products", "/openapi.json"]
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
        let stale = eventually(Duration::from_secs(10), "a stale answer once the entry is past its 1 ms", || {
            let resp = edge.get(target, &[]);
            (resp.header("x-cache") == Some("stale")).then_some(resp)
        });
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
        let stale = eventually(Duration::from_secs(10), "a stale answer once the entry is past its 1 ms", || {
            let resp = edge.get(target, &[]);
            (resp.header("x-cache") == Some("stale")).then_some(resp)
        });
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
        let status = eventually(Duration::from_secs(5), "edge exits after SIGTERM", || edge.process.exited());
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
