//! `cargo xtask chaos`: the chaos scenarios of `chaos/` on the whole stack, each region's core
//! and edge, the database, the partners and the shoppers in network namespaces of their own,
//! with Prometheus evaluating the SLO rules. Installs what is missing (nftables, libfaketime,
//! Prometheus), builds every binary, and runs the `chaos` driver, which prints the `name:
//! value` lines and writes the report into `.local/chaos/<time>/`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

#[derive(clap::Args)]
pub struct Args {
    /// Run only this scenario (repeat the flag for more); `--list` names them.
    #[arg(long = "scenario")]
    pub scenarios: Vec<String>,
    /// Seeds the shoppers' choices: the same seed makes the same shoppers.
    #[arg(long, default_value_t = 22)]
    pub seed: u64,
    /// Shopper journeys started per second in each region.
    #[arg(long, default_value_t = 6.0)]
    pub rate: f64,
    /// Everything on 127.0.0.1 instead of namespaces (no root needed; network and database
    /// faults are skipped).
    #[arg(long)]
    pub loopback: bool,
    /// Build and run unoptimized binaries (quicker to build; the latency verdict is meant for
    /// the optimized ones, what production runs, which are the default).
    #[arg(long)]
    pub debug: bool,
    /// Where the report goes (default: `.local/chaos/<UTC time>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: Args) -> Result<()> {
    crate::deps::ensure_system_packages()?;
    crate::deps::ensure_prometheus()?;
    if !args.loopback {
        if !nix::unistd::Uid::effective().is_root() {
            bail!("network namespaces need root: run as root, or pass --loopback");
        }
        crate::deps::ensure_tools(&[("ip", "iproute2"), ("nft", "nftables")])?;
    }
    // The clock skew scenario preloads libfaketime into a core.
    let faketime = ["/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime"];
    if !faketime.iter().any(|d| std::path::Path::new(d).join("libfaketime.so.1").exists()) {
        crate::deps::apt_install(&["faketime", "libfaketime"])?;
    }
    let release = !args.debug;
    let bin = crate::deps::build_binaries(release)?;
    crate::deps::build_packages(&["chaos"], release)?;
    let root = testkit::workspace_root();
    let out = match args.out {
        Some(dir) => dir,
        None => {
            let now = time::OffsetDateTime::now_utc();
            let stamp = format!(
                "{:04}{:02}{:02}-{:02}{:02}{:02}",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            );
            root.join(".local").join("chaos").join(stamp)
        }
    };
    let mut command =
        vec!["cargo xtask chaos".to_string(), format!("--seed {}", args.seed), format!("--rate {}", args.rate)];
    command.extend(args.scenarios.iter().map(|s| format!("--scenario {s}")));
    if args.loopback {
        command.push("--loopback".into());
    }
    if args.debug {
        command.push("--debug".into());
    }
    let mut cmd = Command::new(bin.join("chaos"));
    cmd.arg("--out").arg(&out).args(["--seed", &args.seed.to_string(), "--rate", &args.rate.to_string()]);
    cmd.arg("--rules").arg(crate::slo::rules_file());
    cmd.args(["--command", &command.join(" "), "--build", if release { "release" } else { "debug" }]);
    for s in &args.scenarios {
        cmd.args(["--scenario", s]);
    }
    if args.loopback {
        cmd.arg("--loopback");
    }
    if args.list {
        cmd.arg("--list");
    }
    cmd.env(testkit::BIN_DIR_ENV, &bin).current_dir(&root);
    let status = cmd.status().context("running the chaos driver")?;
    if !status.success() {
        bail!("the chaos run failed ({status}); logs are in {}", out.join("logs").display());
    }
    Ok(())
}
