//! Settings of the edge binary: command line flags, each also read from a `SHOP_EDGE_*`
//! environment variable, with defaults taken from this region's file in `regions/`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use regions::Catalog;

use crate::upstream::CORE_HEALTH_PATH;

/// The command line, as typed. [`Settings::resolve`] checks it and fills in the defaults.
#[derive(Debug, Parser)]
#[command(name = "edge", version, about = "Regional edge proxy in front of the region's core services")]
pub struct Cli {
    /// Region this edge serves: a folder of the regions directory (`eu-west`).
    #[arg(long, env = "SHOP_EDGE_REGION")]
    pub region: String,
    /// Regions directory (default: the workspace `regions/`).
    #[arg(long, env = "SHOP_EDGE_REGIONS_DIR", value_name = "PATH")]
    pub regions_dir: Option<PathBuf>,
    /// Address to accept HTTP on (default: 127.0.0.1 and the region's `dev.edge_port`).
    #[arg(long, env = "SHOP_EDGE_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// A core service to forward to; repeat the flag, or separate with commas in the
    /// environment variable (default: 127.0.0.1 and the region's `dev.core_port`).
    #[arg(long = "core", env = "SHOP_EDGE_CORE", value_name = "ADDR", value_delimiter = ',')]
    pub cores: Vec<SocketAddr>,
    /// Worker threads of the proxy service.
    #[arg(long, env = "SHOP_EDGE_THREADS", default_value_t = 2)]
    pub threads: usize,
    /// Milliseconds between two health checks of each core.
    #[arg(long, env = "SHOP_EDGE_HEALTH_INTERVAL_MS", default_value_t = 1000, value_name = "MS")]
    pub health_interval_ms: u64,
    /// Check the settings and the regions directory, print a summary and exit.
    #[arg(long)]
    pub check_config: bool,
}

/// Everything an edge process needs to start, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Id of the region this edge serves; a region of the loaded catalog.
    pub region: String,
    /// Where regions and markets were loaded from (for the summary and error messages).
    pub regions_dir: PathBuf,
    /// Address the proxy listens on.
    pub listen: SocketAddr,
    /// The region's core services, balanced round robin; never empty, no duplicates.
    pub cores: Vec<SocketAddr>,
    /// Worker threads of the proxy service (pingora's default of 1 is too few).
    pub threads: usize,
    /// Time between two health checks of each core.
    pub health_interval: Duration,
}

/// A setting that cannot be used: the flag (and its variable) and why, or the regions file,
/// field and why.
#[derive(Debug)]
pub enum SettingsError {
    Regions(regions::ConfigError),
    Invalid { flag: &'static str, env: &'static str, reason: String },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Regions(e) => write!(f, "{e}"),
            Self::Invalid { flag, env, reason } => write!(f, "{flag} ({env}): {reason}"),
        }
    }
}

impl std::error::Error for SettingsError {}

fn invalid(flag: &'static str, env: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { flag, env, reason: reason.into() }
}

const THREADS: std::ops::RangeInclusive<usize> = 1..=256;
const HEALTH_INTERVAL_MS: std::ops::RangeInclusive<u64> = 100..=3_600_000;

impl Settings {
    /// Loads the regions directory and checks the command line against it.
    pub fn resolve(cli: &Cli) -> Result<(Self, Catalog), SettingsError> {
        let regions_dir = cli.regions_dir.clone().unwrap_or_else(regions::workspace_regions_dir);
        let catalog = Catalog::load(&regions_dir).map_err(SettingsError::Regions)?;
        let region = catalog.region(&cli.region).ok_or_else(|| {
            let known: Vec<&str> = catalog.regions().map(|r| r.id.as_str()).collect();
            invalid(
                "--region",
                "SHOP_EDGE_REGION",
                format!("unknown region `{}` in {}; known: {}", cli.region, regions_dir.display(), known.join(", ")),
            )
        })?;
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let listen = cli.listen.unwrap_or_else(|| loopback(region.dev.edge_port));
        let cores = if cli.cores.is_empty() { vec![loopback(region.dev.core_port)] } else { cli.cores.clone() };

        for (i, core) in cores.iter().enumerate() {
            if core.port() == 0 {
                return Err(invalid(
                    "--core",
                    "SHOP_EDGE_CORE",
                    format!("{core}: port 0 is not an address to connect to"),
                ));
            }
            if cores[..i].contains(core) {
                return Err(invalid("--core", "SHOP_EDGE_CORE", format!("{core} is listed twice")));
            }
            if *core == listen {
                return Err(invalid("--core", "SHOP_EDGE_CORE", format!("{core} is the edge's own --listen address")));
            }
        }
        if !THREADS.contains(&cli.threads) {
            return Err(invalid(
                "--threads",
                "SHOP_EDGE_THREADS",
                format!("{} is not between {} and {}", cli.threads, THREADS.start(), THREADS.end()),
            ));
        }
        if !HEALTH_INTERVAL_MS.contains(&cli.health_interval_ms) {
            return Err(invalid(
                "--health-interval-ms",
                "SHOP_EDGE_HEALTH_INTERVAL_MS",
                format!(
                    "{} is not between {} and {}",
                    cli.health_interval_ms,
                    HEALTH_INTERVAL_MS.start(),
                    HEALTH_INTERVAL_MS.end()
                ),
            ));
        }

        let settings = Self {
            region: region.id.clone(),
            regions_dir,
            listen,
            cores,
            threads: cli.threads,
            health_interval: Duration::from_millis(cli.health_interval_ms),
        };
        Ok((settings, catalog))
    }

    /// A human summary, printed by `--check-config`.
    pub fn summary(&self, catalog: &Catalog) -> String {
        let list = |items: Vec<String>| {
            if items.is_empty() { "-".to_string() } else { items.join(", ") }
        };
        let (name, default_market, failover, markets) = match catalog.region(&self.region) {
            Some(r) => (
                r.name.clone(),
                r.default_market.to_string(),
                list(r.failover.clone()),
                list(r.markets.iter().map(ToString::to_string).collect()),
            ),
            None => Default::default(),
        };
        let cores = list(self.cores.iter().map(ToString::to_string).collect());
        format!(
            "edge settings ok\n\
             region          {} ({name})\n\
             markets         {markets} (default {default_market})\n\
             failover        {failover}\n\
             regions dir     {}\n\
             listen          {}\n\
             cores           {cores}\n\
             threads         {}\n\
             health check    GET {CORE_HEALTH_PATH} every {} ms",
            self.region,
            self.regions_dir.display(),
            self.listen,
            self.threads,
            self.health_interval.as_millis(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: &[&str]) -> Result<Settings, String> {
        let cli =
            Cli::try_parse_from(std::iter::once("edge").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        Settings::resolve(&cli).map(|(s, _)| s).map_err(|e| e.to_string())
    }

    fn check_error(args: &[&str], expected_fragment: &str) {
        let err = resolve(args).expect_err("settings should be rejected");
        assert!(err.contains(expected_fragment), "{args:?}: {err}");
    }

    #[test]
    fn defaults_come_from_the_region_file() {
        let settings = resolve(&["--region", "eu-west"]).unwrap();
        assert_eq!(settings.listen, "127.0.0.1:7001".parse().unwrap());
        assert_eq!(settings.cores, vec!["127.0.0.1:7101".parse().unwrap()]);
        assert_eq!(settings.threads, 2);
        assert_eq!(settings.health_interval, Duration::from_secs(1));
        assert_eq!(settings.regions_dir, regions::workspace_regions_dir());
    }

    #[test]
    fn flags_override_defaults() {
        let settings = resolve(&[
            "--region=us-east",
            "--listen=127.0.0.1:9000",
            "--core=127.0.0.1:9001",
            "--core",
            "127.0.0.1:9002",
            "--threads=4",
            "--health-interval-ms=250",
        ])
        .unwrap();
        assert_eq!(settings.region, "us-east");
        assert_eq!(settings.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(settings.cores.len(), 2);
        assert_eq!(settings.threads, 4);
        assert_eq!(settings.health_interval, Duration::from_millis(250));
    }

    #[test]
    fn bad_settings_name_the_flag_and_why() {
        check_error(&[], "--region");
        check_error(&["--region=mars"], "unknown region `mars`");
        check_error(&["--region=eu-west", "--threads=0"], "--threads (SHOP_EDGE_THREADS): 0 is not between 1 and 256");
        check_error(&["--region=eu-west", "--health-interval-ms=5"], "--health-interval-ms");
        check_error(&["--region=eu-west", "--core=127.0.0.1:1", "--core=127.0.0.1:1"], "listed twice");
        check_error(&["--region=eu-west", "--core=127.0.0.1:7001"], "own --listen address");
        check_error(&["--region=eu-west", "--core=localhost"], "--core");
        check_error(&["--region=eu-west", "--regions-dir=/nonexistent/regions"], "/nonexistent/regions");
    }

    #[test]
    fn summary_names_the_region_and_its_cores() {
        let cli = Cli::try_parse_from(["edge", "--region", "eu-west"]).unwrap();
        let (settings, catalog) = Settings::resolve(&cli).unwrap();
        let summary = settings.summary(&catalog);
        assert!(summary.contains("eu-west (Europe (West))"), "{summary}");
        assert!(summary.contains("127.0.0.1:7101"), "{summary}");
        assert!(summary.contains("de, fr, gb (default fr)"), "{summary}");
    }
}
