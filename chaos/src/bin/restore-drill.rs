//! The restore drill `cargo xtask drill restore` starts (after building every binary):
//! `restore-drill --out DIR [--skus N] [--rate R] [--load-s S] …`. Prints the drill's `name:
//! value` lines, its verdict against the targets (`rpo_seconds` ≤ 5, `rto_seconds` ≤ 120, no
//! acknowledged order lost, no checker's violation) and the report's path; fails when a target
//! is missed. Ctrl-C stops the drill and everything it started.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "restore-drill",
    about = "Backups under load, the database wrecked and restored, the stack moved onto it, checked"
)]
struct Args {
    /// Where the backups, clusters, history, logs and report go.
    #[arg(long)]
    out: PathBuf,
    /// SKUs of the seeded catalog.
    #[arg(long, default_value_t = 600)]
    skus: u64,
    #[arg(long, default_value_t = 22)]
    seed: u64,
    /// Shopper journeys started per second in each region.
    #[arg(long, default_value_t = 6.0)]
    rate: f64,
    /// Seconds of load in all.
    #[arg(long, default_value_t = 60)]
    load_s: u64,
    /// When the base backup is taken, in seconds into the load.
    #[arg(long, default_value_t = 10)]
    backup_at_s: u64,
    /// When the database is wrecked, in seconds into the load.
    #[arg(long, default_value_t = 35)]
    wreck_at_s: u64,
    /// The database's archive_timeout, in seconds.
    #[arg(long, default_value_t = 5)]
    archive_timeout_s: u64,
    /// How the drill was asked for, for the report.
    #[arg(long, default_value = "cargo xtask drill restore")]
    command: String,
    /// Which build of the binaries runs, for the report.
    #[arg(long, default_value = "debug")]
    build: String,
}

/// The targets the drill's verdict holds it to.
const RPO_SECONDS: f64 = 5.0;
const RTO_SECONDS: f64 = 120.0;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.backup_at_s < args.wreck_at_s && args.wreck_at_s < args.load_s,
        "the backup comes before the wreck, and the wreck before the end of the load"
    );
    let options = chaos::drill::DrillOptions {
        dir: args.out.clone(),
        skus: args.skus,
        seed: args.seed,
        rate: args.rate,
        load_s: args.load_s,
        backup_at_s: args.backup_at_s,
        wreck_at_s: args.wreck_at_s,
        archive_timeout: Duration::from_secs(args.archive_timeout_s),
    };
    let mut env = chaos::report::Environment::detect("loopback", &args.command, args.seed, args.rate, &args.build);
    let started = Instant::now();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let (drill, result) = tokio::select! {
        done = chaos::drill::run(&options) => done?,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted; everything the drill started is stopped"),
        _ = term.recv() => anyhow::bail!("terminated; everything the drill started is stopped"),
    };
    env.duration_s = started.elapsed().as_secs_f64();
    let path = chaos::drill::write_report(&args.out, &result, &env)?;
    drill.finish().await?;
    println!("skus: {}", args.skus);
    for (name, value) in result.summary() {
        println!("{name}: {value}");
    }
    let mut missed = Vec::new();
    if result.assessment.rpo_seconds > RPO_SECONDS {
        missed.push(format!("rpo_seconds above {RPO_SECONDS}"));
    }
    if result.rto_seconds > RTO_SECONDS {
        missed.push(format!("rto_seconds above {RTO_SECONDS}"));
    }
    if !result.assessment.lost_acknowledged.is_empty() || !result.assessment.missing_payment.is_empty() {
        missed.push("acknowledged orders or their payments lost".into());
    }
    if result.violations() > 0 {
        missed.push(format!("{} checker violations (see the report)", result.violations()));
    }
    println!(
        "verdict: {}",
        if missed.is_empty() { "pass".to_string() } else { format!("fail ({})", missed.join("; ")) }
    );
    println!("report: {}", path.display());
    anyhow::ensure!(missed.is_empty(), "the restore drill missed its targets");
    Ok(())
}
