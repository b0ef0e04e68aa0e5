//! `cargo xtask`: the project's automation.
//!
//! ```text
//! cargo xtask up [--skus N] [--release]   run every region locally (PostgreSQL, cores, edges)
//! cargo xtask test                        run every test against a private PostgreSQL
//! cargo xtask seed --skus N               (re)seed the local catalog
//! cargo xtask slo                         write the SLO rules from dashboards/slo.toml
//! cargo xtask bench catalog [--skus N]    catalog latency through one edge
//! cargo xtask terraform                   check terraform/ offline (fmt, validate, tests, checkov)
//! cargo xtask chaos [--scenario NAME]     chaos scenarios under load, checked, with a report
//! cargo xtask restore [--to TIME] [--swap] point-in-time restore of the local database
//! cargo xtask drill restore [--skus N]     the restore drill under load: rpo_seconds, rto_seconds
//! ```

mod backups;
mod bench;
mod card_audit;
mod chaos;
mod contract;
mod deps;
mod devdb;
mod drill;
mod restore;
mod seed;
mod slo;
mod supervise;
mod terraform;
mod test;
mod up;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the whole platform locally: a private PostgreSQL, a seeded catalog, and the core and
    /// edge of every region. Ctrl-C stops everything.
    Up(up::Args),
    /// Run every test (unit, integration, end-to-end) against a private PostgreSQL.
    Test(test::Args),
    /// Replace the local catalog with a deterministic synthetic one.
    Seed(seed::Args),
    /// Run a benchmark and print `name: value` lines.
    Bench(bench::Args),
    /// Write the Prometheus SLO rules (dashboards/rules/slo.rules.yml) from dashboards/slo.toml.
    Slo,
    /// Check terraform/ offline: fmt, validate, plan tests on mock providers, the regions check,
    /// checkov. Providers come from the machine's mirror, never from a registry.
    Terraform,
    /// Run the chaos scenarios under shopper load (network namespaces, faults, checkers, SLO
    /// verdicts) and write a report.
    Chaos(chaos::Args),
    /// Build a new database from the local backups as of a moment (point-in-time restore),
    /// beside the running one; `--swap` moves the local stack onto it.
    Restore(restore::Args),
    /// Rehearse a recovery under load, checked and measured.
    #[command(subcommand)]
    Drill(drill::Drill),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Up(args) => up::run(args),
        Cmd::Test(args) => test::run(args),
        Cmd::Seed(args) => seed::run(args),
        Cmd::Bench(args) => bench::run(args),
        Cmd::Slo => slo::run(),
        Cmd::Terraform => terraform::run(),
        Cmd::Chaos(args) => chaos::run(args),
        Cmd::Restore(args) => restore::run(args),
        Cmd::Drill(drill) => drill::run(drill),
    }
}
