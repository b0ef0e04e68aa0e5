//! Seeds a database with the synthetic catalog and prints when each phase ran, the total and
//! the database size:
//! `cargo run --release -p core-seed --example seed -- postgres://postgres@127.0.0.1:55432/bench 500000 [seed]`
//! The database must exist; pending migrations are applied first.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use core_seed::{Progress, SeedOptions, seed_catalog};
use tokio_postgres::NoTls;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed <database-url> [skus] [seed]")?;
    let skus = args.next().map(|s| s.parse()).transpose()?.unwrap_or(500_000);
    let seed = args.next().map(|s| s.parse()).transpose()?.unwrap_or(42);
    let catalog = regions::Catalog::load_workspace()?;

    let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    let regions: Vec<String> = catalog.regions().map(|r| r.id.clone()).collect();
    core_store::migrate::migrate(&mut client, &regions).await?;

    // First and last report of each phase, in seconds since the start, and its rows.
    let started = Instant::now();
    let spans: Mutex<BTreeMap<String, (f64, f64, u64)>> = Mutex::new(BTreeMap::new());
    let progress = |p: Progress| {
        let now = started.elapsed().as_secs_f64();
        let mut spans = spans.lock().unwrap_or_else(|e| e.into_inner());
        let span = spans.entry(format!("{:?}", p.phase)).or_insert((now, now, 0));
        span.1 = now;
        span.2 = p.done;
    };
    let report = seed_catalog(&url, &catalog, &SeedOptions { skus, seed }, &progress).await?;

    let spans = spans.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut spans: Vec<_> = spans.into_iter().collect();
    spans.sort_by(|a, b| a.1.0.total_cmp(&b.1.0));
    println!("{:<14} {:>8} {:>8} {:>8} {:>10}", "phase", "start s", "end s", "took s", "rows");
    for (phase, (start, end, rows)) in spans {
        println!("{phase:<14} {start:>8.1} {end:>8.1} {:>8.1} {rows:>10}", end - start);
    }
    println!(
        "seeded {} products, {} SKUs, {} prices, {} listing rows in {:.1} s",
        report.products, report.skus, report.prices, report.listing_rows, report.seconds
    );
    let size: String =
        client.query_one("SELECT pg_size_pretty(pg_database_size(current_database()))", &[]).await?.get(0);
    println!("database size: {size}");
    Ok(())
}
