//! Settings of the edge binary: command line flags, each also read from a `SHOP_EDGE_*`
//! environment variable, with defaults taken from this region's file in `regions/`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use regions::Catalog;

use crate::cache::{CacheSettings, Lifetimes};
use crate::protect::Limits;
use crate::tls::{TlsFile, TlsFiles};
use crate::upstream::CORE_HEALTH_PATH;

/// The command line, as typed. [`Settings::resolve`] checks it and fills in the defaults.
#[derive(Debug, Parser)]
#[command(name = "edge", version, about = "Regional edge proxy in front of the region's core services")]
pub struct Cli {
    /// Region this edge serves: a folder of the regions directory (`eu-west`).
    #[arg(long, env = "SHOP_EDGE_REGION")]
    pub region: String,
    /// Regions directory (default: the first `regions/` folder in the working folder or above
    /// it, else beside the executable or above it).
    #[arg(long, env = "SHOP_EDGE_REGIONS_DIR", value_name = "PATH")]
    pub regions_dir: Option<PathBuf>,
    /// Address to accept HTTP on (default: 127.0.0.1 and the region's `dev.edge_port`).
    #[arg(long, env = "SHOP_EDGE_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Address of the admin listener serving `/metrics` to the monitoring network, apart from
    /// the shoppers' listener (default: none, no metrics served).
    #[arg(long, env = "SHOP_EDGE_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// A core service to forward to; repeat the flag, or separate with commas in the
    /// environment variable (default: 127.0.0.1 and the region's `dev.core_port`).
    #[arg(long = "core", env = "SHOP_EDGE_CORE", value_name = "ADDR", value_delimiter = ',')]
    pub cores: Vec<SocketAddr>,
    /// A core of another region to fall back on when none of this region's is healthy, as
    /// `REGION=ADDR`; repeat the flag (or separate with commas), nearest first (default: the
    /// region file's `failover` regions, at 127.0.0.1 and their `dev.core_port`; `none`: no
    /// failover).
    #[arg(long = "failover-core", env = "SHOP_EDGE_FAILOVER_CORE", value_name = "REGION=ADDR", value_delimiter = ',')]
    pub failover_cores: Vec<String>,
    /// Worker threads of the proxy service.
    #[arg(long, env = "SHOP_EDGE_THREADS", default_value_t = 2)]
    pub threads: usize,
    /// Milliseconds between two health checks of each core.
    #[arg(long, env = "SHOP_EDGE_HEALTH_INTERVAL_MS", default_value_t = 1000, value_name = "MS")]
    pub health_interval_ms: u64,
    /// Milliseconds between two reads of core's catalog change feed (a change purges the cache).
    #[arg(long, env = "SHOP_EDGE_CHANGE_FEED_INTERVAL_MS", default_value_t = 250, value_name = "MS")]
    pub change_feed_interval_ms: u64,
    /// Bytes of responses the in-memory cache may hold (bodies and headers); 0 disables it.
    #[arg(long, env = "SHOP_EDGE_CACHE_BYTES", default_value_t = DEFAULT_CACHE_BYTES, value_name = "BYTES")]
    pub cache_bytes: u64,
    /// Milliseconds a cached response is fresh when core's `Cache-Control` gives no `max-age`.
    #[arg(long, env = "SHOP_EDGE_CACHE_TTL_MS", default_value_t = 5_000, value_name = "MS")]
    pub cache_ttl_ms: u64,
    /// Milliseconds after freshness during which a cached response is served while one request
    /// refreshes it (unless core's `stale-while-revalidate` says otherwise).
    #[arg(long, env = "SHOP_EDGE_CACHE_STALE_WHILE_REVALIDATE_MS", default_value_t = 10_000, value_name = "MS")]
    pub cache_stale_while_revalidate_ms: u64,
    /// Milliseconds after freshness during which a cached response is served when core fails
    /// (unless core's `stale-if-error` says otherwise).
    #[arg(long, env = "SHOP_EDGE_CACHE_STALE_IF_ERROR_MS", default_value_t = 300_000, value_name = "MS")]
    pub cache_stale_if_error_ms: u64,
    /// Milliseconds a request waits for a concurrent request filling the same cache key before
    /// asking core itself.
    #[arg(long, env = "SHOP_EDGE_CACHE_LOCK_TIMEOUT_MS", default_value_t = 5_000, value_name = "MS")]
    pub cache_lock_timeout_ms: u64,
    /// Milliseconds after a purge during which a purged response still answers while one
    /// request refreshes it (soft purges); readers past it wait for the refresh. At most
    /// 1,500, so that with the change feed's interval a change shows within 2 s.
    #[arg(long, env = "SHOP_EDGE_CACHE_PURGE_GRACE_MS", default_value_t = 1_000, value_name = "MS")]
    pub cache_purge_grace_ms: u64,
    /// Address to accept HTTPS on (TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1); needs `--tls-cert`
    /// and `--tls-key`. `cargo xtask up` makes a development CA and certificate.
    #[arg(long, env = "SHOP_EDGE_TLS_LISTEN", value_name = "ADDR")]
    pub tls_listen: Option<SocketAddr>,
    /// Certificate chain (PEM) for `--tls-listen`, the server's certificate first.
    #[arg(long, env = "SHOP_EDGE_TLS_CERT", value_name = "PATH")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1) of the certificate.
    #[arg(long, env = "SHOP_EDGE_TLS_KEY", value_name = "PATH")]
    pub tls_key: Option<PathBuf>,
    /// Requests per second from one client address (bursts of twice that); 0: no limit.
    #[arg(long, env = "SHOP_EDGE_RATE_LIMIT_ADDRESS_RPS", default_value_t = Limits::default().address_per_second, value_name = "N")]
    pub rate_limit_address_rps: u32,
    /// Requests per second with one session token (bursts of twice that); 0: no limit.
    #[arg(long, env = "SHOP_EDGE_RATE_LIMIT_TOKEN_RPS", default_value_t = Limits::default().token_per_second, value_name = "N")]
    pub rate_limit_token_rps: u32,
    /// Sign-ups, logins and TOTP confirmations per minute from one client address; 0: no limit.
    #[arg(long, env = "SHOP_EDGE_RATE_LIMIT_CREDENTIALS_PER_MIN", default_value_t = Limits::default().credentials_per_minute, value_name = "N")]
    pub rate_limit_credentials_per_min: u32,
    /// Checkouts per minute by one session token (by address for guests); 0: no limit.
    #[arg(long, env = "SHOP_EDGE_RATE_LIMIT_CHECKOUT_PER_MIN", default_value_t = Limits::default().checkout_per_minute, value_name = "N")]
    pub rate_limit_checkout_per_min: u32,
    /// Webhooks per second to one partner's webhook route (bursts of twice that); 0: no limit.
    #[arg(long, env = "SHOP_EDGE_RATE_LIMIT_WEBHOOK_RPS", default_value_t = Limits::default().webhook_per_second, value_name = "N")]
    pub rate_limit_webhook_rps: u32,
    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, env = "SHOP_EDGE_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Milliseconds the edge waits for the next part of a request body, or for a client to take
    /// response bytes, before giving up on it.
    #[arg(long, env = "SHOP_EDGE_CLIENT_TIMEOUT_MS", default_value_t = 10_000, value_name = "MS")]
    pub client_timeout_ms: u64,
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
    /// Address `/metrics` is served on, never the proxy's; `None`: not served.
    pub admin_listen: Option<SocketAddr>,
    /// The region's core services, balanced round robin; never empty, no duplicates.
    pub cores: Vec<SocketAddr>,
    /// Cores of other regions, nearest first: (region, address).
    pub failover_cores: Vec<(String, SocketAddr)>,
    /// Worker threads of the proxy service (pingora's default of 1 is too few).
    pub threads: usize,
    /// Time between two health checks of each core.
    pub health_interval: Duration,
    /// Time between two reads of the catalog change feed.
    pub change_feed_interval: Duration,
    /// The response cache; disabled when `max_bytes` is 0.
    pub cache: CacheSettings,
    /// HTTPS listener, checked: the files exist and hold a matching certificate and key.
    pub tls: Option<TlsFiles>,
    /// Rate and size limits and client timeouts.
    pub limits: Limits,
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
const DEFAULT_CACHE_BYTES: u64 = 256 * 1024 * 1024;
/// Longest cache lifetime setting: one day.
const CACHE_MS: std::ops::RangeInclusive<u64> = 0..=86_400_000;
const CACHE_LOCK_TIMEOUT_MS: std::ops::RangeInclusive<u64> = 1..=60_000;
const CLIENT_TIMEOUT_MS: std::ops::RangeInclusive<u64> = 100..=600_000;

impl Settings {
    /// Loads the regions directory and checks the command line against it.
    pub fn resolve(cli: &Cli) -> Result<(Self, Catalog), SettingsError> {
        let regions_dir = match cli.regions_dir.clone().or_else(regions::find_regions_dir) {
            Some(dir) => dir,
            None => {
                return Err(SettingsError::Invalid {
                    flag: "--regions-dir",
                    env: "SHOP_EDGE_REGIONS_DIR",
                    reason: "no regions folder found here or beside the executable".into(),
                });
            }
        };
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

        let failover_cores: Vec<(String, SocketAddr)> = if cli.failover_cores.is_empty() {
            region
                .failover
                .iter()
                .filter_map(|r| catalog.region(r))
                .map(|r| (r.id.clone(), loopback(r.dev.core_port)))
                .collect()
        } else if cli.failover_cores.iter().all(|c| c == "none") {
            Vec::new()
        } else {
            let mut parsed = Vec::new();
            for item in &cli.failover_cores {
                let bad =
                    || invalid("--failover-core", "SHOP_EDGE_FAILOVER_CORE", format!("`{item}` is not REGION=ADDR"));
                let (id, addr) = item.split_once('=').ok_or_else(bad)?;
                let addr: SocketAddr = addr.trim().parse().map_err(|_| bad())?;
                let id = id.trim();
                if catalog.region(id).is_none() || id == region.id {
                    return Err(invalid(
                        "--failover-core",
                        "SHOP_EDGE_FAILOVER_CORE",
                        format!("`{id}` is not another region of the catalog"),
                    ));
                }
                parsed.push((id.to_string(), addr));
            }
            parsed
        };

        if cli.admin_listen.is_some_and(|admin| admin == listen) {
            return Err(invalid(
                "--admin-listen",
                "SHOP_EDGE_ADMIN_LISTEN",
                "the admin listener must not be the shoppers' --listen address",
            ));
        }
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
        let in_range = |value: u64, range: std::ops::RangeInclusive<u64>, flag, env| {
            if range.contains(&value) {
                Ok(Duration::from_millis(value))
            } else {
                Err(invalid(flag, env, format!("{value} is not between {} and {}", range.start(), range.end())))
            }
        };
        let cache = CacheSettings {
            max_bytes: cli.cache_bytes,
            defaults: Lifetimes {
                fresh: in_range(cli.cache_ttl_ms, CACHE_MS, "--cache-ttl-ms", "SHOP_EDGE_CACHE_TTL_MS")?,
                stale_while_revalidate: in_range(
                    cli.cache_stale_while_revalidate_ms,
                    CACHE_MS,
                    "--cache-stale-while-revalidate-ms",
                    "SHOP_EDGE_CACHE_STALE_WHILE_REVALIDATE_MS",
                )?,
                stale_if_error: in_range(
                    cli.cache_stale_if_error_ms,
                    CACHE_MS,
                    "--cache-stale-if-error-ms",
                    "SHOP_EDGE_CACHE_STALE_IF_ERROR_MS",
                )?,
            },
            lock_timeout: in_range(
                cli.cache_lock_timeout_ms,
                CACHE_LOCK_TIMEOUT_MS,
                "--cache-lock-timeout-ms",
                "SHOP_EDGE_CACHE_LOCK_TIMEOUT_MS",
            )?,
            purge_grace: in_range(
                cli.cache_purge_grace_ms,
                0..=1_500,
                "--cache-purge-grace-ms",
                "SHOP_EDGE_CACHE_PURGE_GRACE_MS",
            )?,
        };

        let tls = match (cli.tls_listen, &cli.tls_cert, &cli.tls_key) {
            (None, None, None) => None,
            (Some(listen), Some(cert), Some(key)) => {
                if listen == cli.listen.unwrap_or_else(|| loopback(region.dev.edge_port)) {
                    return Err(invalid("--tls-listen", "SHOP_EDGE_TLS_LISTEN", format!("{listen} is also --listen")));
                }
                crate::tls::check(cert, key).map_err(|(file, reason)| match file {
                    TlsFile::Cert => invalid("--tls-cert", "SHOP_EDGE_TLS_CERT", reason),
                    TlsFile::Key => invalid("--tls-key", "SHOP_EDGE_TLS_KEY", reason),
                })?;
                Some(TlsFiles { listen, cert: cert.clone(), key: key.clone() })
            }
            (None, _, _) => {
                return Err(invalid(
                    "--tls-listen",
                    "SHOP_EDGE_TLS_LISTEN",
                    "missing: --tls-cert and --tls-key are only used with an HTTPS listen address",
                ));
            }
            (Some(_), None, _) => {
                return Err(invalid("--tls-cert", "SHOP_EDGE_TLS_CERT", "missing: HTTPS needs a certificate chain"));
            }
            (Some(_), Some(_), None) => {
                return Err(invalid("--tls-key", "SHOP_EDGE_TLS_KEY", "missing: HTTPS needs the certificate's key"));
            }
        };
        if cli.max_body_bytes == 0 {
            return Err(invalid("--max-body-bytes", "SHOP_EDGE_MAX_BODY_BYTES", "0 would refuse every request body"));
        }
        let limits = Limits {
            address_per_second: cli.rate_limit_address_rps,
            token_per_second: cli.rate_limit_token_rps,
            credentials_per_minute: cli.rate_limit_credentials_per_min,
            checkout_per_minute: cli.rate_limit_checkout_per_min,
            webhook_per_second: cli.rate_limit_webhook_rps,
            max_body_bytes: cli.max_body_bytes,
            client_timeout: in_range(
                cli.client_timeout_ms,
                CLIENT_TIMEOUT_MS,
                "--client-timeout-ms",
                "SHOP_EDGE_CLIENT_TIMEOUT_MS",
            )?,
            ..Limits::default()
        };

        let settings = Self {
            region: region.id.clone(),
            regions_dir,
            listen,
            admin_listen: cli.admin_listen,
            cores,
            failover_cores,
            threads: cli.threads,
            health_interval: Duration::from_millis(cli.health_interval_ms),
            change_feed_interval: Duration::from_millis(cli.change_feed_interval_ms.clamp(10, 60_000)),
            cache,
            tls,
            limits,
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
        let cache = if self.cache.max_bytes == 0 {
            "off".to_string()
        } else {
            let d = &self.cache.defaults;
            format!(
                "{} bytes, fresh {} ms, stale-while-revalidate {} ms, stale-if-error {} ms, lock wait {} ms, purge grace {} ms",
                self.cache.max_bytes,
                d.fresh.as_millis(),
                d.stale_while_revalidate.as_millis(),
                d.stale_if_error.as_millis(),
                self.cache.lock_timeout.as_millis(),
                self.cache.purge_grace.as_millis()
            )
        };
        let https = self.tls.as_ref().map_or_else(
            || "off".to_string(),
            |t| format!("{} (TLS 1.2/1.3, h2, HSTS) cert {} key {}", t.listen, t.cert.display(), t.key.display()),
        );
        let l = &self.limits;
        let rate = |n: u32, unit: &str| if n == 0 { "off".to_string() } else { format!("{n}/{unit}") };
        let limits = format!(
            "address {}, token {}, credentials {}, checkout {}, webhooks {} per partner; body {} bytes; client timeout {} ms",
            rate(l.address_per_second, "s"),
            rate(l.token_per_second, "s"),
            rate(l.credentials_per_minute, "min"),
            rate(l.checkout_per_minute, "min"),
            rate(l.webhook_per_second, "s"),
            l.max_body_bytes,
            l.client_timeout.as_millis()
        );
        format!(
            "edge settings ok\n\
             region          {} ({name})\n\
             markets         {markets} (default {default_market})\n\
             failover        {failover}\n\
             regions dir     {}\n\
             listen          {}\n\
             cores           {cores}\n\
             threads         {}\n\
             health check    GET {CORE_HEALTH_PATH} every {} ms\n\
             cache           {cache}\n\
             https           {https}\n\
             limits          {limits}",
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
        assert_eq!(settings.cache.max_bytes, 256 * 1024 * 1024);
        assert_eq!(settings.change_feed_interval, Duration::from_millis(250));
        assert_eq!(settings.cache.defaults.fresh, Duration::from_secs(5));
        assert_eq!(settings.cache.lock_timeout, Duration::from_secs(5));
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
            "--cache-bytes=0",
            "--cache-ttl-ms=750",
            "--cache-stale-if-error-ms=0",
        ])
        .unwrap();
        assert_eq!(settings.region, "us-east");
        assert_eq!(settings.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(settings.cores.len(), 2);
        assert_eq!(settings.threads, 4);
        assert_eq!(settings.health_interval, Duration::from_millis(250));
        assert_eq!(settings.cache.max_bytes, 0);
        assert_eq!(settings.cache.defaults.fresh, Duration::from_millis(750));
        assert_eq!(settings.cache.defaults.stale_if_error, Duration::ZERO);
    }

    #[test]
    fn bad_settings_name_the_flag_and_why() {
        check_error(&[], "--region");
        check_error(&["--region=mars"], "unknown region `mars`");
        check_error(&["--region=eu-west", "--threads=0"], "--threads (SHOP_EDGE_THREADS): 0 is not between 1 and 256");
        check_error(&["--region=eu-west", "--health-interval-ms=5"], "--health-interval-ms");
        check_error(&["--region=eu-west", "--cache-ttl-ms=86400001"], "--cache-ttl-ms (SHOP_EDGE_CACHE_TTL_MS)");
        check_error(&["--region=eu-west", "--cache-lock-timeout-ms=0"], "--cache-lock-timeout-ms");
        check_error(&["--region=eu-west", "--cache-bytes=-1"], "--cache-bytes");
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
