//! `cargo xtask bench purge`: what a merchandiser's changes cost the edge's cache on a busy day.
//!
//! On the seeded catalog (500,000 SKUs by default), shoppers read product pages and the first
//! page of their categories' listings through one edge, with a Zipf skew over a working set of
//! `--pages` product pages and the listings of their categories, on `--connections`
//! connections, in two phases of `--seconds` each after a warm-up:
//!
//! 1. steady: no writes;
//! 2. writes: a catalog promotion on a random product of the working set every 2 s, and a new
//!    name for a random category of the working set every 10 s (through the core's staff
//!    listener), as merchandisers do on a sale day.
//!
//! It prints, for each phase, the hit ratio (answers from the cache, fresh or stale, over all
//! answers), the p99 of the shoppers' reads and the requests the core served (its own count,
//! `core_http_requests_total`, the change feed's and health checks' included, the staff's
//! writes left out); then `core_requests_ratio` (writes over steady), `misses_per_change` (the
//! misses the writes added, per change) and the changes made. Targets: `writes_hit_ratio` ≥
//! 0.98 × `steady_hit_ratio`, `core_requests_ratio` ≤ 1.5, `misses_per_change` ≤ 50.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio_postgres::NoTls;

use super::checkout::Http;

/// Product pages in the working set (each with its category's first listing page).
const DEFAULT_PAGES: usize = 2_000;
/// Seconds between promotions, and between category renames.
const PROMOTION_EVERY: Duration = Duration::from_secs(2);
const RENAME_EVERY: Duration = Duration::from_secs(10);
/// Zipf exponent of the pages' popularity.
const EXPONENT: f64 = 1.0;

pub fn run(args: super::Args) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let setup = super::Setup::start(&args, &rt)?;
    let regions = regions::Catalog::load_workspace()?;
    let region = regions.region(&args.region).with_context(|| format!("unknown region {}", args.region))?.clone();
    let set = rt.block_on(working_set(&setup.url, &regions, &region, DEFAULT_PAGES))?;
    println!("skus: {}", setup.skus);
    println!("working_set_product_pages: {}", set.products.len());
    println!("working_set_listing_pages: {}", set.listings.len());
    let mut pages: Vec<String> = set.products.iter().map(|p| p.page.clone()).chain(set.listings.clone()).collect();
    pages.shuffle(&mut rand::rngs::StdRng::seed_from_u64(18));
    let pages = Arc::new(pages);
    let seconds = Duration::from_secs(args.seconds);

    rt.block_on(async {
        // Warm-up: every page once, then the skewed reads for a while.
        let mut http = Http::connect(setup.edge_port).await?;
        for page in pages.iter() {
            http.send("GET", page, &[], None).await?;
        }
        read(setup.edge_port, &pages, args.connections, Duration::from_secs(10)).await?;

        let before = core_requests(setup.admin_port).await?;
        let steady = read(setup.edge_port, &pages, args.connections, seconds).await?;
        let steady_core = core_requests(setup.admin_port).await? - before;

        let stop = Arc::new(AtomicBool::new(false));
        let writer = tokio::spawn(write(setup.staff_port, set.clone(), stop.clone()));
        let before = core_requests(setup.admin_port).await?;
        let writes = read(setup.edge_port, &pages, args.connections, seconds).await?;
        let writes_core = core_requests(setup.admin_port).await? - before;
        stop.store(true, Ordering::Relaxed);
        let changes = writer.await??;

        let ratio = |r: &Reads| (r.hits + r.stale) as f64 / r.total().max(1) as f64;
        let p99 = |r: &Reads| r.latency.value_at_quantile(0.99) as f64 / 1000.0;
        println!("steady_hit_ratio: {:.4}", ratio(&steady));
        println!("writes_hit_ratio: {:.4}", ratio(&writes));
        println!("hit_ratio_kept: {:.4}", ratio(&writes) / ratio(&steady).max(f64::MIN_POSITIVE));
        println!("core_requests_ratio: {:.2}", writes_core as f64 / steady_core.max(1) as f64);
        let added_misses = writes.misses.saturating_sub(steady.misses);
        println!("misses_per_change: {:.1}", added_misses as f64 / changes.total().max(1) as f64);
        println!("steady_p99_ms: {:.2}", p99(&steady));
        println!("writes_p99_ms: {:.2}", p99(&writes));
        for (name, r, core) in [("steady", &steady, steady_core), ("writes", &writes, writes_core)] {
            println!("{name}_requests: {}", r.total());
            println!("{name}_rps: {:.0}", r.total() as f64 / r.elapsed.as_secs_f64());
            println!("{name}_hits: {}", r.hits);
            println!("{name}_stale: {}", r.stale);
            println!("{name}_misses: {}", r.misses);
            println!("{name}_errors: {}", r.errors);
            println!("{name}_core_requests: {core}");
            println!("{name}_p50_ms: {:.2}", r.latency.value_at_quantile(0.5) as f64 / 1000.0);
        }
        println!("promotions: {}", changes.promotions);
        println!("category_renames: {}", changes.renames);
        println!("connections: {}", args.connections);
        println!("seconds_per_phase: {}", args.seconds);
        if steady.errors + writes.errors > (steady.total() + writes.total()) / 100 {
            eprintln!("warning: more than 1 % of the reads failed: these figures mean little");
        }
        anyhow::Ok(())
    })
}

/// One product page of the working set.
#[derive(Clone, Debug)]
struct ProductPage {
    id: uuid::Uuid,
    page: String,
}

/// What the shoppers read and the merchandisers change.
#[derive(Clone, Debug)]
struct WorkingSet {
    products: Vec<ProductPage>,
    /// The first listing page of each of their categories, in the market and language of the
    /// product that brought it.
    listings: Vec<String>,
    /// Those categories: code, and a language the region sells in with the category's name and
    /// slug there.
    categories: Vec<(String, String, String, String)>,
}

/// `pages` published products sold in the region's markets (spread over the catalog), each
/// read in its market's default language, and their categories' first listing pages.
async fn working_set(
    url: &str,
    regions: &regions::Catalog,
    region: &regions::Region,
    pages: usize,
) -> Result<WorkingSet> {
    let markets: Vec<String> = region.markets.iter().map(ToString::to_string).collect();
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let rows = client
        .query(
            "SELECT p.id, p.category_id, c.code, pm.market FROM products p \
             JOIN categories c ON c.id = p.category_id \
             JOIN LATERAL (SELECT market FROM product_markets m WHERE m.product_id = p.id \
                           AND m.market = ANY($1) ORDER BY market LIMIT 1) pm ON true \
             WHERE p.status = 'published' ORDER BY md5(p.id::TEXT) LIMIT $2",
            &[&markets, &(pages as i64)],
        )
        .await?;
    let mut products = Vec::new();
    let mut listings = Vec::new();
    let mut codes = Vec::new();
    for r in &rows {
        let (id, category, code, market): (uuid::Uuid, uuid::Uuid, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let language = regions.market(&market).context("a product's market")?.default_language.to_string();
        products.push(ProductPage { id, page: format!("/v1/{market}/{language}/products/{id}") });
        let listing = format!("/v1/{market}/{language}/products?category={category}");
        if !listings.contains(&listing) {
            listings.push(listing);
        }
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if products.is_empty() {
        bail!("no published product is sold in {markets:?}: is the catalog seeded?");
    }
    // Each category's name and slug in one of the region's languages, to rename it there.
    let languages: Vec<String> = region
        .markets
        .iter()
        .filter_map(|m| regions.market(m.as_str()))
        .map(|m| m.default_language.to_string())
        .collect();
    let rows = client
        .query(
            "SELECT c.code, t.language, t.name, t.slug FROM categories c \
             JOIN category_translations t ON t.category_id = c.id WHERE c.code = ANY($1) AND t.language = ANY($2)",
            &[&codes, &languages],
        )
        .await?;
    let mut categories: Vec<(String, String, String, String)> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    categories.sort();
    categories.dedup_by(|a, b| a.0 == b.0);
    drop(client);
    let _ = task.await;
    Ok(WorkingSet { products, listings, categories })
}

/// The changes a writer made.
#[derive(Debug, Default)]
struct Changes {
    promotions: u64,
    renames: u64,
}

impl Changes {
    fn total(&self) -> u64 {
        self.promotions + self.renames
    }
}

/// Until `stop`: a catalog promotion on a random product of the set every 2 s, a new name for a
/// random category of the set every 10 s (alternating with its own name, its slug kept).
async fn write(staff: u16, set: WorkingSet, stop: Arc<AtomicBool>) -> Result<Changes> {
    let admin = format!("Bearer {}", super::BENCH_ADMIN_TOKEN);
    let auth = [("authorization", admin.as_str())];
    let mut http = Http::connect(staff).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let mut changes = Changes::default();
    let started = Instant::now();
    let mut tick = tokio::time::interval(PROMOTION_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    while !stop.load(Ordering::Relaxed) {
        let product = set.products.choose(&mut rng).context("no product")?;
        let promotion = json!({
            "name": format!("Bench day {}", changes.promotions + 1), "priority": 1, "kind": "catalog",
            "target": {"type": "products", "ids": [product.id]},
            "discount": {"type": "percent", "percent": rng.random_range(5..=30).to_string()}
        });
        let (status, body) = http.send("POST", "/admin/v1/promotions", &auth, Some(promotion.to_string())).await?;
        if status != 201 {
            bail!("creating a promotion: {status} {body}");
        }
        changes.promotions += 1;
        let due_renames = started.elapsed().as_secs() / RENAME_EVERY.as_secs();
        if changes.renames < due_renames
            && let Some((code, language, name, slug)) = set.categories.choose(&mut rng)
        {
            let renamed = if changes.renames % 2 == 0 { format!("{name} ·") } else { name.clone() };
            let path = format!("/admin/v1/categories/{code}/translations/{language}");
            let body = json!({"name": renamed, "slug": slug}).to_string();
            let (status, answer) = http.send("PUT", &path, &auth, Some(body)).await?;
            if !(200..300).contains(&status) {
                bail!("renaming a category: {status} {answer}");
            }
            changes.renames += 1;
        }
        tick.tick().await;
    }
    Ok(changes)
}

/// What the shoppers' reads of one phase got.
struct Reads {
    hits: u64,
    stale: u64,
    misses: u64,
    errors: u64,
    latency: Histogram<u64>,
    elapsed: Duration,
}

impl Reads {
    fn total(&self) -> u64 {
        self.hits + self.stale + self.misses + self.errors
    }
}

/// Zipf-drawn reads of `pages` on `connections` connections for `duration`, closed loop.
async fn read(port: u16, pages: &Arc<Vec<String>>, connections: usize, duration: Duration) -> Result<Reads> {
    let cdf = Arc::new(super::edge::zipf_cdf(pages.len(), EXPONENT));
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (cdf, pages, counts) = (cdf.clone(), pages.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1000 + c as u64);
            let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut sender: super::edge::Connection = None;
            while Instant::now() < deadline {
                let rank = cdf.partition_point(|p| *p < rng.random::<f64>()).min(pages.len() - 1);
                let sent = Instant::now();
                let slot = super::edge::cache_read(port, &mut sender, &pages[rank]).await?;
                latency.record(sent.elapsed().as_micros().max(1) as u64)?;
                counts[slot].fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(latency)
        }));
    }
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for task in tasks {
        latency.add(task.await??)?;
    }
    let count = |i: usize| counts[i].load(Ordering::Relaxed);
    Ok(Reads {
        hits: count(0),
        stale: count(1),
        misses: count(2),
        errors: count(3),
        latency,
        elapsed: started.elapsed(),
    })
}

/// Requests the core has served on the shoppers' door so far (its `core_http_requests_total`,
/// the admin API's left out).
async fn core_requests(admin_port: u16) -> Result<u64> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", admin_port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let request = hyper::Request::get("/metrics").header("host", "127.0.0.1").body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if response.status() != 200 {
        bail!("the core's metrics answer {}", response.status());
    }
    let text = String::from_utf8(response.into_body().collect().await?.to_bytes().to_vec())?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("core_http_requests_total{") && !l.contains("route=\"/admin"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum::<f64>() as u64)
}
