//! `cargo xtask seed --skus N`: replaces the local catalog with a deterministic synthetic one.

use std::time::Instant;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(clap::Args)]
pub struct Args {
    /// Number of SKUs (variants) to generate.
    #[arg(long, default_value_t = 3000)]
    pub skus: u64,
    /// Seed of the generator: the same seed and size give the same catalog.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(args: Args) -> Result<()> {
    crate::deps::ensure_system_packages()?;
    let server = crate::devdb::start()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let regions = regions::Catalog::load_workspace()?;
        let url = crate::devdb::prepare(&server, crate::devdb::DEV_DB, &regions).await?;
        seed(&url, args.skus, args.seed, &regions).await
    })?;
    Ok(())
}

/// Seeds `url` with a progress bar; returns the seconds it took, which is also recorded in
/// `.local/seed.json` for benchmarks that reuse the catalog.
pub async fn seed(url: &str, skus: u64, seed: u64, regions: &regions::Catalog) -> Result<f64> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<12} [{bar:40}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let progress = {
        let bar = bar.clone();
        move |p: core_seed::Progress| {
            bar.set_message(format!("{:?}", p.phase));
            bar.set_length(p.total);
            bar.set_position(p.done);
        }
    };
    let report = core_seed::seed_catalog(url, regions, &core_seed::SeedOptions { skus, seed }, &progress).await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} products, {} SKUs, {} prices, {} listing rows in {seconds:.1} s",
        report.products, report.skus, report.prices, report.listing_rows
    );
    let record = serde_json::json!({ "skus": report.skus, "seed": seed, "seconds": seconds, "format": FORMAT });
    let path = testkit::workspace_root().join(".local").join("seed.json");
    std::fs::write(path, serde_json::to_vec_pretty(&record)?)?;
    Ok(seconds)
}

/// What the seeder writes, versioned: a local catalog seeded by an older seeder (one without
/// stock, say) is seeded again rather than reused.
const FORMAT: i64 = 2;

/// The size of the local catalog as this seeder's format last seeded it, if recorded.
pub fn recorded_skus() -> Option<i64> {
    let text = std::fs::read_to_string(testkit::workspace_root().join(".local").join("seed.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    (v["format"].as_i64() == Some(FORMAT)).then(|| v["skus"].as_i64()).flatten()
}

/// The seed time recorded for a catalog of `skus` SKUs by this seeder's format, if any.
pub fn recorded_seconds(skus: i64) -> Option<f64> {
    let text = std::fs::read_to_string(testkit::workspace_root().join(".local").join("seed.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    (v["skus"].as_i64()? == skus && v["format"].as_i64() == Some(FORMAT)).then(|| v["seconds"].as_f64()).flatten()
}
