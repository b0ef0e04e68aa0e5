//! `cargo xtask bench NAME`: benchmarks that print `name: value` lines.
//!
//! - `catalog`: product detail and listing latency through one edge ([`catalog`]).
//! - `quote`: 20-line carts with promotions priced through one edge ([`quote`]).
//! - `checkout`: a flash sale alongside ordinary checkouts through one edge, audited, beside
//!   pgbench on the same PostgreSQL ([`checkout`]).
//! - `edge`: the edge's cache hit beside nginx `proxy_cache` and nginx serving the body itself,
//!   over HTTP/1.1 and TLS as fast as wrk asks and over HTTP/1.1 at one fixed rate (`loadgen`),
//!   then the hit ratio of a Zipf workload over every SKU ([`edge`]).
//! - `purge`: product pages and listings read with a Zipf skew through one edge, first with no
//!   writes, then with a catalog promotion every 2 s and a category renamed every 10 s: what
//!   the merchandisers' changes cost the cache and the core ([`purge`]).
//! - `outbox`: events through the transactional outbox to the warehouse stand-in at a fixed
//!   rate, one of two dispatching cores killed and restarted halfway, audited ([`outbox`]).
//! - `telemetry`: what observing one request costs in-process (route template, request
//!   metrics, a server span with traces off), release build, `--seconds` per figure.
//!
//! `catalog`, `quote`, `checkout` and `edge` run on the local catalog (seeded or reused, 500,000 SKUs by default) with one core and
//! one edge of the region, release builds, and a warmed database.

mod catalog;
mod checkout;
mod edge;
mod outbox;
mod purge;
mod quote;

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use testkit::{ChildProcess, PgServer, free_port, wait_for_http};
use tokio_postgres::NoTls;

/// Token of the admin API of the benchmark's core.
pub const BENCH_ADMIN_TOKEN: &str = "bench-admin-token";
/// Merchant API key and webhook secret at the benchmark's payment provider stand-in.
pub const BENCH_PAYMENTS_API_KEY: &str = "sk_test_bench";
const BENCH_PAYMENTS_WEBHOOK_SECRET: &str = "whsec_bench";
const BENCH_SESSION_SECRET: &str = "bench-session-secret-0123456789abcdef0123";

#[derive(clap::Args)]
pub struct Args {
    /// Benchmark to run: `catalog`, `quote`, `checkout`, `edge`, `purge`, `outbox` or `telemetry`.
    pub name: String,
    /// Catalog size; the local catalog is reseeded when it has another size.
    #[arg(long, default_value_t = 500_000)]
    pub skus: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Region whose core and edge serve the load.
    #[arg(long, default_value = "eu-west")]
    pub region: String,
    /// Worker threads of the edge.
    #[arg(long, default_value_t = 2)]
    pub edge_threads: usize,
    /// Database connections of the core.
    #[arg(long, default_value_t = 16)]
    pub db_connections: usize,
    /// Also run the same load straight at the core, to show the edge's share side by side.
    #[arg(long)]
    pub direct: bool,
    /// `catalog`: one kind of request, `detail` or `list` (default: both, alternating);
    /// `edge`: one part, `closed`, `open` or `zipf`, or `throughput` for the first two (default: all).
    #[arg(long)]
    pub only: Option<String>,
    /// `edge` only: worker threads of the edge and worker processes of nginx, on one CPU.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// `edge` only: rounds of the side-by-side runs, each proxy measured once per round for
    /// `--seconds / --rounds`, nginx and the edge taking turns to go first.
    #[arg(long, default_value_t = 6)]
    pub rounds: u64,
    /// `edge` only: exponent of the Zipf popularity of SKUs.
    #[arg(long, default_value_t = 1.0)]
    pub zipf_exponent: f64,
    /// `edge` only: Zipf requests sent before counting hits.
    #[arg(long, default_value_t = 1_000_000)]
    pub zipf_warmup: u64,
    /// `edge` only: Zipf requests counted.
    #[arg(long, default_value_t = 500_000)]
    pub zipf_requests: u64,
    /// `outbox` only: events written per second.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// `edge` only: requests per second of the open-loop runs (0: 80 % of the slower proxy's
    /// closed-loop throughput in the same run).
    #[arg(long, default_value_t = 0)]
    pub open_rate: u64,
}

pub fn run(args: Args) -> Result<()> {
    match args.name.as_str() {
        "catalog" => catalog::run(args),
        "quote" => quote::run(args),
        "checkout" => checkout::run(args),
        "edge" => edge::run(args),
        "outbox" => outbox::run(args),
        "purge" => purge::run(args),
        "telemetry" => telemetry(&args),
        other => bail!("unknown benchmark `{other}` (known: catalog, quote, checkout, edge, purge, outbox, telemetry)"),
    }
}

/// `telemetry`: the example `telemetry/examples/record.rs`, optimized.
fn telemetry(args: &Args) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .current_dir(testkit::workspace_root())
        .args(["run", "--release", "-q", "-p", "telemetry", "--example", "record", "--"])
        .arg(args.seconds.min(10).to_string())
        .status()
        .context("running the telemetry example")?;
    if !status.success() {
        bail!("the telemetry benchmark failed");
    }
    Ok(())
}

/// The database, one core and one edge, running.
pub struct Setup {
    pub url: String,
    pub skus: i64,
    pub seed_seconds: f64,
    pub core_port: u16,
    /// The core's staff listener (the admin API; the edge does not route to it).
    pub staff_port: u16,
    /// The core's admin listener (`/metrics`).
    pub admin_port: u16,
    pub edge_port: u16,
    /// The payment provider stand-in (its webhooks go through the edge).
    pub payments_port: u16,
    /// The private PostgreSQL's port.
    pub pg_port: u16,
    // Dropped in this order (fields drop first to last): edge, core, the provider, then
    // PostgreSQL.
    _edge: ChildProcess,
    _core: ChildProcess,
    _payments: ChildProcess,
    _pg: PgServer,
}

impl Setup {
    pub fn start(args: &Args, rt: &tokio::runtime::Runtime) -> Result<Self> {
        crate::deps::ensure_system_packages()?;
        let bin = crate::deps::build_binaries(true)?;
        let regions = regions::Catalog::load_workspace()?;
        let region = regions.region(&args.region).with_context(|| format!("unknown region {}", args.region))?.clone();
        let pg = crate::devdb::start()?;
        let (url, skus, seed_seconds) = rt.block_on(async {
            let regions = regions::Catalog::load_workspace()?;
            let url = crate::devdb::prepare(&pg, crate::devdb::DEV_DB, &regions).await?;
            let have = crate::devdb::sku_count(&url).await?;
            // Products created by earlier runs (the checkout benchmark's flash sale items) sit
            // on top of the seeded catalog; they do not make it another catalog.
            let seeded = args.skus as i64;
            let seed_seconds = match crate::seed::recorded_seconds(seeded) {
                Some(s) if (seeded..seeded + 1000).contains(&have) => {
                    eprintln!("reusing the seeded catalog of {seeded} SKUs ({have} with products added since)");
                    s
                }
                _ => crate::seed::seed(&url, args.skus, 42, &regions).await?,
            };
            let skus = crate::devdb::sku_count(&url).await?;
            anyhow::Ok((url, skus, seed_seconds))
        })?;

        let core_port = free_port();
        let staff_port = free_port();
        let admin_port = free_port();
        let edge_port = free_port();
        let payments_port = free_port();
        let logs = testkit::workspace_root().join(".local").join("logs");
        std::fs::create_dir_all(&logs)?;
        let mut payments_cmd = Command::new(bin.join("payments-standin"));
        payments_cmd
            .args(["--listen", &format!("127.0.0.1:{payments_port}"), "--api-key", BENCH_PAYMENTS_API_KEY])
            .args(["--webhook-url", &format!("http://127.0.0.1:{edge_port}/webhooks/payments")])
            .args(["--webhook-secret", BENCH_PAYMENTS_WEBHOOK_SECRET])
            .env("SHOP_LOG", "warn");
        let payments = ChildProcess::spawn("payments stand-in", payments_cmd, Some(&logs.join("bench-payments.log")))?;
        wait_for_http(payments_port, "/healthz", Duration::from_secs(30))?;
        let mut core_cmd = Command::new(bin.join("core-server"));
        core_cmd
            .args(["--region", &region.id, "--database-url", &url, "--listen", &format!("127.0.0.1:{core_port}")])
            .args(["--staff-listen", &format!("127.0.0.1:{staff_port}"), "--environment", "development"])
            .args(["--admin-listen", &format!("127.0.0.1:{admin_port}")])
            .args(["--db-max-connections", &args.db_connections.to_string()])
            .args(["--payments-url", &format!("http://127.0.0.1:{payments_port}")])
            .env("SHOP_PAYMENTS_API_KEY", BENCH_PAYMENTS_API_KEY)
            .env("SHOP_PAYMENTS_WEBHOOK_SECRET", BENCH_PAYMENTS_WEBHOOK_SECRET)
            .env("SHOP_SESSION_SECRET", BENCH_SESSION_SECRET)
            .env("SHOP_ADMIN_TOKEN", BENCH_ADMIN_TOKEN)
            .env("SHOP_LOG", "warn");
        let core = ChildProcess::spawn("core", core_cmd, Some(&logs.join("bench-core.log")))?;
        wait_for_http(core_port, "/readyz", Duration::from_secs(60))?;
        let mut edge_cmd = Command::new(bin.join("edge"));
        edge_cmd
            .args(["--region", &region.id, "--listen", &format!("127.0.0.1:{edge_port}")])
            .args(["--core", &format!("127.0.0.1:{core_port}"), "--threads", &args.edge_threads.to_string()])
            .args(NO_RATE_LIMITS)
            .env("SHOP_LOG", "warn");
        let edge = ChildProcess::spawn("edge", edge_cmd, Some(&logs.join("bench-edge.log")))?;
        wait_for_http(edge_port, "/healthz", Duration::from_secs(60))?;
        // The edge forwards once its health check has seen the core.
        let deadline = Instant::now() + Duration::from_secs(30);
        while wait_for_http(edge_port, "/readyz", Duration::from_millis(500)).is_err() {
            if Instant::now() > deadline {
                bail!("the edge does not reach the core");
            }
        }
        let pg_port = pg.port();
        Ok(Self {
            url,
            skus,
            seed_seconds,
            core_port,
            staff_port,
            admin_port,
            edge_port,
            payments_port,
            pg_port,
            _pg: pg,
            _payments: payments,
            _core: core,
            _edge: edge,
        })
    }
}

/// Loads the catalog's tables and indexes into PostgreSQL's buffer cache with `pg_prewarm`
/// (a contrib extension); returns the megabytes loaded, 0 when the extension is missing.
pub async fn prewarm(url: &str) -> Result<i64> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let blocks: i64 = match client.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm").await {
        Err(e) => {
            eprintln!("no pg_prewarm ({e}); measuring with a cold buffer cache");
            0
        }
        Ok(()) => client
            .query_one(
                "SELECT COALESCE(sum(pg_prewarm(c.oid)), 0)::INT8 FROM pg_class c \
                     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')",
                &[],
            )
            .await?
            .get(0),
    };
    drop(client);
    let _ = task.await;
    Ok(blocks * 8 / 1024)
}

/// The load of a benchmark comes from one address (and a flash sale from one token per buyer, at
/// hundreds per second): the edge's rate limits would measure themselves, not the platform.
pub const NO_RATE_LIMITS: [&str; 8] = [
    "--rate-limit-address-rps",
    "0",
    "--rate-limit-token-rps",
    "0",
    "--rate-limit-credentials-per-min",
    "0",
    "--rate-limit-checkout-per-min",
    "0",
];
