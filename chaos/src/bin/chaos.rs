//! The chaos run driver `cargo xtask chaos` starts (after installing what is missing and
//! building every binary): `chaos --out DIR [--scenario NAME]… [--seed N] [--rate R]
//! [--loopback] [--rules FILE]`. Prints each scenario's and the run's `name: value` lines and
//! the report's path. Ctrl-C stops the run and removes everything it made.

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser)]
#[command(name = "chaos", about = "Chaos scenarios on the whole stack under shopper load, checked and reported")]
struct Args {
    /// Where the report, histories and logs go.
    #[arg(long)]
    out: PathBuf,
    /// Run only this scenario (repeat for more); default: all.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// Seeds the shoppers' choices.
    #[arg(long, default_value_t = 22)]
    seed: u64,
    /// Journeys started per second in each region.
    #[arg(long, default_value_t = 6.0)]
    rate: f64,
    /// Everything on 127.0.0.1, no namespaces (network and database faults skipped).
    #[arg(long)]
    loopback: bool,
    /// SKUs of the seeded catalog.
    #[arg(long, default_value_t = 600)]
    skus: u64,
    /// SLO rules for a Prometheus watching the run (none: no Prometheus).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// How the run was asked for, for the report.
    #[arg(long, default_value = "cargo xtask chaos")]
    command: String,
    /// Which build of the binaries runs, for the report.
    #[arg(long, default_value = "debug")]
    build: String,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.list {
        for s in chaos::scenarios::all() {
            println!("{:<22} {}", s.name, s.title);
        }
        return Ok(());
    }
    let options = chaos::run::ChaosOptions {
        dir: args.out,
        only: args.scenarios,
        seed: args.seed,
        rate: args.rate,
        loopback: args.loopback,
        skus: args.skus,
        rules: args.rules,
        command: args.command,
        build: args.build,
    };
    // Ctrl-C or SIGTERM: the run's future is dropped, which stops every process it started and
    // removes its namespaces.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let (report, path) = tokio::select! {
        done = chaos::run::run(&options) => done?,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted; everything the run started is stopped"),
        _ = term.recv() => anyhow::bail!("terminated; everything the run started is stopped"),
    };
    for (name, value) in &report.summary {
        println!("{name}: {value}");
    }
    println!("report: {}", path.display());
    Ok(())
}
