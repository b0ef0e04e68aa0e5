//! `cargo xtask bench quote`: 20-line carts priced through one edge, with three promotions that
//! apply to every cart (a catalog discount, an order discount above a threshold, free shipping),
//! 32 connections for 30 seconds, closed loop. Every cart is 20 variants drawn at random from
//! the ~400,000 sold in the market, so no two carts are alike. Prints `quote_p99_ms` and
//! `quotes_per_s`; with `--direct`, then the same load straight at the core (`core_…` lines).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio_postgres::NoTls;

const MARKET: &str = "fr";
const LINES_PER_CART: usize = 20;

pub fn run(args: super::Args) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let setup = super::Setup::start(&args, &rt)?;
    let port = setup.edge_port;
    rt.block_on(ensure_promotions(setup.staff_port))?;
    let variants = Arc::new(rt.block_on(variants(&setup.url))?);
    eprintln!("carts of {LINES_PER_CART} lines drawn from {} variants", variants.len());
    let prewarmed_mb = rt.block_on(super::prewarm(&setup.url))?;
    // Check on a sample cart that the three promotions do apply.
    let sample = cart(&variants, &mut rand::rngs::StdRng::seed_from_u64(1));
    let answer =
        rt.block_on(call(port, "POST", &format!("/v1/{MARKET}/fr/quote"), "", Some(&serde_json::from_str(&sample)?)))?;
    let applied = answer["promotions"].as_array().map_or(0, Vec::len);
    if applied < 3 {
        bail!("a sample cart got {applied} promotions, not 3: {answer}");
    }
    let seed = Arc::new(AtomicUsize::new(0));
    let through_edge = rt.block_on(measure(port, &variants, &seed, &args))?;
    println!("skus: {}", setup.skus);
    println!("quote_p99_ms: {:.2}", through_edge.ms(0.99));
    println!("quotes_per_s: {:.0}", through_edge.per_second());
    println!("quote_p50_ms: {:.2}", through_edge.ms(0.50));
    println!("quotes: {}", through_edge.quotes);
    println!("errors: {}", through_edge.errors);
    println!("lines_per_cart: {LINES_PER_CART}");
    println!("promotions_applied_on_a_sample_cart: {applied}");
    println!("connections: {}", args.connections);
    println!("seconds: {:.1}", through_edge.elapsed.as_secs_f64());
    println!("prewarmed_mb: {prewarmed_mb}");
    if args.direct {
        // The same load straight at the core, after the edge's run: the edge's share beside it.
        let core = rt.block_on(measure(setup.core_port, &variants, &seed, &args))?;
        println!("core_quote_p99_ms: {:.2}", core.ms(0.99));
        println!("core_quotes_per_s: {:.0}", core.per_second());
        println!("core_quote_p50_ms: {:.2}", core.ms(0.50));
        println!("core_errors: {}", core.errors);
    }
    Ok(())
}

/// One measured load on `port`.
struct Measured {
    hist: Histogram<u64>,
    quotes: u64,
    errors: u64,
    elapsed: Duration,
}

impl Measured {
    fn ms(&self, quantile: f64) -> f64 {
        self.hist.value_at_quantile(quantile) as f64 / 1000.0
    }

    fn per_second(&self) -> f64 {
        self.quotes as f64 / self.elapsed.as_secs_f64()
    }
}

/// Warms connections and statements on `port` for 5 s, unmeasured, then measures for
/// `--seconds`; fails when more than 1 % of the quotes failed (the figures would mean nothing).
async fn measure(
    port: u16,
    variants: &Arc<Vec<String>>,
    seed: &Arc<AtomicUsize>,
    args: &super::Args,
) -> Result<Measured> {
    load(port, variants.clone(), seed.clone(), args.connections, Duration::from_secs(5)).await?;
    let (hist, quotes, errors, elapsed) =
        load(port, variants.clone(), seed.clone(), args.connections, Duration::from_secs(args.seconds)).await?;
    if errors * 100 > quotes {
        bail!("{errors} of {quotes} quotes on port {port} failed: see .local/logs/bench-core.log");
    }
    Ok(Measured { hist, quotes, errors, elapsed })
}

/// The three promotions every cart gets, created once through the admin API and reused by
/// later runs.
/// Through the core's staff listener `port`.
async fn ensure_promotions(port: u16) -> Result<()> {
    let auth = format!("Bearer {}", super::BENCH_ADMIN_TOKEN);
    let existing = call(port, "GET", &format!("/admin/v1/promotions?market={MARKET}&limit=100"), &auth, None).await?;
    let names: Vec<String> = existing["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|p| p["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let wanted = [
        json!({"name": "bench: 10 % off everything", "priority": 10, "markets": [MARKET], "kind": "catalog",
               "target": {"type": "all"}, "discount": {"type": "percent", "percent": "10"}}),
        json!({"name": "bench: 5 % off above 50", "priority": 5, "markets": [MARKET], "kind": "order",
               "target": {"type": "all"}, "min_subtotal_minor": 5000, "currency": "EUR", "discount": {"type": "percent", "percent": "5"}}),
        json!({"name": "bench: free shipping above 30", "priority": 1, "markets": [MARKET], "kind": "free_shipping",
               "min_subtotal_minor": 3000, "currency": "EUR"}),
    ];
    for promotion in wanted {
        if names.iter().any(|n| Some(n.as_str()) == promotion["name"].as_str()) {
            continue;
        }
        call(port, "POST", "/admin/v1/promotions", &auth, Some(&promotion))
            .await
            .context("creating a bench promotion")?;
    }
    Ok(())
}

/// The variants sold and priced in the market, to draw carts from.
async fn variants(url: &str) -> Result<Vec<String>> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let variants: Vec<String> = client
        .query(
            "SELECT v.id::TEXT FROM variants v JOIN products p ON p.id = v.product_id \
             JOIN product_markets pm ON pm.product_id = p.id AND pm.market = $1 \
             JOIN prices pr ON pr.variant_id = v.id AND pr.market = $1 WHERE p.status = 'published'",
            &[&MARKET],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    drop(client);
    let _ = task.await;
    if variants.len() < LINES_PER_CART {
        bail!("not enough variants sold in {MARKET}: is the catalog seeded?");
    }
    Ok(variants)
}

/// A cart of distinct random variants, 1 to 3 of each, as JSON. Written by hand: the load
/// generator shares the machine with what it measures.
fn cart(variants: &[String], rng: &mut impl Rng) -> String {
    use std::fmt::Write as _;
    let mut body = String::with_capacity(64 + LINES_PER_CART * 64);
    body.push_str("{\"lines\":[");
    for (i, id) in variants.choose_multiple(rng, LINES_PER_CART).enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(body, "{sep}{{\"variant_id\":\"{id}\",\"quantity\":{}}}", rng.random_range(1..=3));
    }
    body.push_str("],\"destination\":{\"country\":\"FR\",\"postal_code\":\"75011\"},\"shipping_minor\":490}");
    body
}

async fn call(port: u16, method: &str, path: &str, auth: &str, body: Option<&Value>) -> Result<Value> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1")
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.map(Value::to_string).unwrap_or_default())))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!("{method} {path}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn load(
    port: u16,
    variants: Arc<Vec<String>>,
    seed: Arc<AtomicUsize>,
    connections: usize,
    duration: Duration,
) -> Result<(Histogram<u64>, u64, u64, Duration)> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let variants = variants.clone();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed.fetch_add(1, Ordering::Relaxed) as u64 + 1000);
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let (mut quotes, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let cart = cart(&variants, &mut rng);
                let request = hyper::Request::post(format!("/v1/{MARKET}/fr/quote"))
                    .header("host", "127.0.0.1")
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(cart)))?;
                let t = Instant::now();
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                hist.saturating_record(t.elapsed().as_micros() as u64);
                quotes += 1;
                if !status.is_success() {
                    errors += 1;
                    if errors <= 3 {
                        eprintln!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
                    }
                }
            }
            anyhow::Ok((hist, quotes, errors))
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut quotes, mut errors) = (0, 0);
    for t in tasks {
        let (h, q, e) = t.await??;
        hist.add(&h)?;
        quotes += q;
        errors += e;
    }
    Ok((hist, quotes, errors, started.elapsed()))
}
