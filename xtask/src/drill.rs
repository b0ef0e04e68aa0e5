//! `cargo xtask drill restore`: the restore drill of `chaos/` (see `chaos/src/drill.rs`) on
//! release binaries by default: backups under shopper load, the database wrecked, restored to
//! just before, the stack moved onto it, the chaos checkers on the result; prints `rpo_seconds`,
//! `rto_seconds`, `lost_acknowledged` and the verdict, and writes the report into
//! `.local/drills/<time>/`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

#[derive(clap::Subcommand)]
pub enum Drill {
    /// Point-in-time restore under load, checked; prints rpo_seconds and rto_seconds.
    Restore(RestoreArgs),
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// SKUs of the seeded catalog (production's size by default).
    #[arg(long, default_value_t = 500_000)]
    pub skus: u64,
    /// Shopper journeys started per second in each region.
    #[arg(long, default_value_t = 6.0)]
    pub rate: f64,
    /// Seconds of load in all (the base backup at 10 s, the wreck at two thirds).
    #[arg(long, default_value_t = 60)]
    pub load_s: u64,
    #[arg(long, default_value_t = 22)]
    pub seed: u64,
    /// Build and run unoptimized binaries (quicker to build; the figures are meant for the
    /// optimized ones, what production runs).
    #[arg(long)]
    pub debug: bool,
    /// Where the report goes (default: `.local/drills/<UTC time>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(drill: Drill) -> Result<()> {
    let Drill::Restore(args) = drill;
    crate::deps::ensure_system_packages()?;
    let release = !args.debug;
    let bin = crate::deps::build_binaries(release)?;
    let root = testkit::workspace_root();
    let out = args.out.unwrap_or_else(|| {
        root.join(".local").join("drills").join(time::OffsetDateTime::now_utc().unix_timestamp().to_string())
    });
    let mut command =
        format!("cargo xtask drill restore --skus {} --rate {} --load-s {}", args.skus, args.rate, args.load_s);
    if args.debug {
        command.push_str(" --debug");
    }
    let wreck_at = (args.load_s * 2 / 3).max(12);
    let mut cmd = Command::new(bin.join("restore-drill"));
    cmd.arg("--out").arg(&out);
    for (flag, value) in [
        ("--skus", args.skus.to_string()),
        ("--rate", args.rate.to_string()),
        ("--seed", args.seed.to_string()),
        ("--load-s", args.load_s.max(wreck_at + 5).to_string()),
        ("--backup-at-s", "10".into()),
        ("--wreck-at-s", wreck_at.to_string()),
        ("--command", command),
        ("--build", if release { "release" } else { "debug" }.into()),
    ] {
        cmd.args([flag, value.as_str()]);
    }
    cmd.env(testkit::BIN_DIR_ENV, &bin).current_dir(&root);
    let status = cmd.status().context("running the restore drill")?;
    if !status.success() {
        bail!("the restore drill failed ({status}); its logs are in {}", out.join("logs").display());
    }
    Ok(())
}
