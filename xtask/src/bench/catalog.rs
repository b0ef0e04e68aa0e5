//! `cargo xtask bench catalog`: product detail and listing requests through one edge (to its region's core, to
//! PostgreSQL), every request a different product or listing page, so that no cache could
//! answer it; 32 connections for 30 seconds, closed loop.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use tokio_postgres::NoTls;

/// One request of the mix.
#[derive(Clone, Debug)]
enum Job {
    Detail(String),
    /// A listing to walk page by page: path and query without the cursor.
    Listing(String),
}

pub fn run(args: super::Args) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let setup = super::Setup::start(&args, &rt)?;
    let (url, skus, seed_seconds, edge_port, core_port) =
        (setup.url.clone(), setup.skus, setup.seed_seconds, setup.edge_port, setup.core_port);
    let regions = regions::Catalog::load_workspace()?;
    let region = regions.region(&args.region).with_context(|| format!("unknown region {}", args.region))?.clone();
    let (details, listings) = rt.block_on(jobs(&url, &regions, &region))?;
    eprintln!("{} product/market pairs and {} listings to request", details.len(), listings.len());

    let mix = match args.only.as_deref() {
        None => Mix::Both,
        Some("detail") => Mix::Detail,
        Some("list") => Mix::List,
        Some(other) => bail!("--only takes detail or list, not {other}"),
    };
    let seconds = Duration::from_secs(args.seconds);
    let (mut details, mut listings) = (details, listings);
    // A database that has been serving has its catalog in memory: load it, as a restarted
    // server would after a while, and warm connections and prepared statements with a short
    // unmeasured run on requests set aside (the measured requests stay first-time ones).
    let prewarmed_mb = rt.block_on(super::prewarm(&url))?;
    let warm_details = details.split_off(details.len() - details.len() / 10);
    let warm_listings = listings.split_off(listings.len() - listings.len() / 10);
    rt.block_on(load(edge_port, warm_details, warm_listings, args.connections, Duration::from_secs(5), mix))?;
    // With --direct, each target gets its own half of the shuffled work, so that no request
    // repeats across the two runs.
    let rest = args.direct.then(|| (details.split_off(details.len() / 2), listings.split_off(listings.len() / 2)));
    let result = rt.block_on(load(edge_port, details, listings, args.connections, seconds, mix))?;
    println!("skus: {skus}");
    println!("seed_seconds: {seed_seconds:.1}");
    report("", &result);
    println!("prewarmed_mb: {prewarmed_mb}");
    if let Some((details, listings)) = rest {
        let result = rt.block_on(load(core_port, details, listings, args.connections, seconds, mix))?;
        report("direct_core_", &result);
    }
    println!("connections: {}", args.connections);
    Ok(())
}

fn report(prefix: &str, result: &LoadResult) {
    if result.errors * 100 > result.requests {
        eprintln!("warning: {} of {} requests failed: these figures mean little", result.errors, result.requests);
    }
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!("{prefix}detail_p99_ms: {:.2}", ms(&result.detail, 0.99));
    println!("{prefix}list_p99_ms: {:.2}", ms(&result.list, 0.99));
    println!("{prefix}rps: {:.0}", result.requests as f64 / result.elapsed.as_secs_f64());
    println!("{prefix}detail_p50_ms: {:.2}", ms(&result.detail, 0.50));
    println!("{prefix}list_p50_ms: {:.2}", ms(&result.list, 0.50));
    println!("{prefix}detail_requests: {}", result.detail.len());
    println!("{prefix}list_requests: {}", result.list.len());
    println!("{prefix}errors: {}", result.errors);
    println!("{prefix}seconds: {:.1}", result.elapsed.as_secs_f64());
}

/// The `next_cursor` of a listing page, found without parsing the whole page (the load
/// generator shares the machine with what it measures). Cursors are base64url: no escapes.
fn next_cursor(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"next_cursor\":\"";
    let at = body.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let len = body[at..].iter().position(|b| *b == b'"')?;
    std::str::from_utf8(&body[at..at + len]).ok().map(str::to_string)
}

/// Which requests a run sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mix {
    Both,
    Detail,
    List,
}

/// The requests of the run: every (product, market) pair sold in the region's markets, and
/// every (category, sort, filter) listing of those markets (no filter, or one color or size the
/// category's products have), each in random order.
async fn jobs(url: &str, regions: &regions::Catalog, region: &regions::Region) -> Result<(Vec<Job>, Vec<Job>)> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let markets: Vec<String> = region.markets.iter().map(|m| m.to_string()).collect();
    let language = |m: &str| regions.market(m).map(|m| m.default_language.to_string()).unwrap_or_else(|| "en".into());
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);

    let rows = client
        .query(
            "SELECT pm.product_id, pm.market FROM product_markets pm JOIN products p ON p.id = pm.product_id \
             WHERE pm.market = ANY($1) AND p.status = 'published'",
            &[&markets],
        )
        .await?;
    let mut details: Vec<Job> = rows
        .iter()
        .map(|r| {
            let id: uuid::Uuid = r.get(0);
            let market: String = r.get(1);
            Job::Detail(format!("/v1/{market}/{}/products/{id}", language(&market)))
        })
        .collect();
    details.shuffle(&mut rng);

    // As a storefront offers them: each category's filters are the colors and sizes its
    // products have (a shopper clicks on a value the page shows).
    let offered = client
        .query(
            "SELECT a.ancestor_id, f.key, v.value \
             FROM products p JOIN category_ancestors a ON a.category_id = p.category_id \
             CROSS JOIN LATERAL jsonb_each(p.facets) AS f (key, vals) \
             CROSS JOIN LATERAL jsonb_array_elements_text(f.vals) AS v (value) \
             WHERE f.key IN ('color', 'size') GROUP BY 1, 2, 3",
            &[],
        )
        .await?;
    let mut filters: std::collections::BTreeMap<uuid::Uuid, Vec<String>> = std::collections::BTreeMap::new();
    for r in &offered {
        let filter = format!("&attr.{}={}", r.get::<_, String>(1), r.get::<_, String>(2));
        filters.entry(r.get(0)).or_insert_with(|| vec![String::new()]).push(filter);
    }
    let mut listings = Vec::new();
    for market in &markets {
        for (category, filters) in &filters {
            for sort in ["newest", "price_asc", "price_desc"] {
                for filter in filters {
                    listings.push(Job::Listing(format!(
                        "/v1/{market}/{}/products?category={category}&sort={sort}&limit=24{filter}",
                        language(market)
                    )));
                }
            }
        }
    }
    listings.shuffle(&mut rng);
    drop(client);
    let _ = task.await;
    Ok((details, listings))
}

struct LoadResult {
    detail: Histogram<u64>,
    list: Histogram<u64>,
    requests: u64,
    errors: u64,
    elapsed: Duration,
}

/// Shared work: detail paths are taken once each; listings are walked page by page, each
/// listing by one connection, so no page is requested twice.
struct Work {
    details: Vec<Job>,
    next_detail: AtomicUsize,
    listings: Mutex<VecDeque<Job>>,
}

async fn load(
    port: u16,
    details: Vec<Job>,
    listings: Vec<Job>,
    connections: usize,
    duration: Duration,
    mix: Mix,
) -> Result<LoadResult> {
    if details.is_empty() || listings.is_empty() {
        bail!("nothing to request: is the catalog seeded?");
    }
    let work = Arc::new(Work { details, next_detail: AtomicUsize::new(0), listings: Mutex::new(listings.into()) });
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for i in 0..connections {
        let work = work.clone();
        tasks.push(tokio::spawn(async move { connection(port, work, deadline, i, mix).await }));
    }
    let mut detail = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut list = detail.clone();
    let (mut requests, mut errors) = (0, 0);
    for t in tasks {
        let r = t.await??;
        detail.add(&r.detail)?;
        list.add(&r.list)?;
        requests += r.requests;
        errors += r.errors;
    }
    Ok(LoadResult { detail, list, requests, errors, elapsed: started.elapsed() })
}

async fn connection(port: u16, work: Arc<Work>, deadline: Instant, index: usize, mix: Mix) -> Result<LoadResult> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut detail = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut list = detail.clone();
    let (mut requests, mut errors) = (0u64, 0u64);
    // Current listing being walked and its next cursor.
    let mut walking: Option<(String, Option<String>)> = None;
    let mut turn = index;
    while Instant::now() < deadline {
        turn += 1;
        let is_detail = match mix {
            Mix::Both => turn.is_multiple_of(2),
            Mix::Detail => true,
            Mix::List => false,
        };
        let path = if is_detail {
            let i = work.next_detail.fetch_add(1, Ordering::Relaxed);
            match &work.details[i % work.details.len()] {
                Job::Detail(p) => p.clone(),
                Job::Listing(p) => p.clone(),
            }
        } else {
            if walking.is_none() {
                let next = work.listings.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop_front();
                let Some(Job::Listing(base)) = next else { bail!("ran out of listings to walk") };
                walking = Some((base, None));
            }
            let (base, cursor) = walking.as_ref().context("listing")?;
            match cursor {
                Some(c) => format!("{base}&cursor={c}"),
                None => base.clone(),
            }
        };
        let request = hyper::Request::get(&path).header("host", "127.0.0.1").body(Empty::<Bytes>::new())?;
        let started = Instant::now();
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        let micros = started.elapsed().as_micros() as u64;
        requests += 1;
        if !status.is_success() {
            errors += 1;
            if errors <= 3 {
                eprintln!("{status} for {path}: {}", String::from_utf8_lossy(&body[..body.len().min(200)]));
            }
        }
        if is_detail {
            detail.saturating_record(micros);
        } else {
            list.saturating_record(micros);
            let next = next_cursor(&body);
            walking = match (walking.take(), next) {
                (Some((base, _)), Some(c)) => Some((base, Some(c))),
                _ => None,
            };
        }
    }
    Ok(LoadResult { detail, list, requests, errors, elapsed: Duration::ZERO })
}
