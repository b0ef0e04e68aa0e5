//! `cargo xtask up`: the whole platform on this machine. A private PostgreSQL in `.local/pg`,
//! a seeded catalog, and the core and edge of every region on the ports of its region file.
//! Every process is supervised ([`crate::supervise`]): one that dies is started again with
//! backoff while the others keep running. Ctrl-C stops everything, edges first, then cores,
//! then PostgreSQL.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use testkit::wait_for_http;

use crate::backups::DEV_BACKUP_METRICS_PORT;
use crate::supervise::{Group, Supervisor};

/// Token of the admin API in the local stack (override with SHOP_ADMIN_TOKEN).
pub const DEV_ADMIN_TOKEN: &str = "dev-admin-token";
/// The payment provider stand-in's port in the local stack.
pub const DEV_PAYMENTS_PORT: u16 = 7201;
/// Its merchant API key and webhook secret, and the session key of the local cores (local
/// development values; a deployment sets its own through the environment).
const DEV_PAYMENTS_API_KEY: &str = "sk_test_local";
const DEV_PAYMENTS_WEBHOOK_SECRET: &str = "whsec_local_development";
/// The warehouse system stand-in's port.
pub const DEV_WAREHOUSE_PORT: u16 = 7202;
const DEV_WAREHOUSE_API_KEY: &str = "wms_local";
const DEV_WAREHOUSE_WEBHOOK_SECRET: &str = "whsec_wms_local_development";
const DEV_OUTBOX_SECRET: &str = "whsec_outbox_local_development";
/// The carrier stand-ins: `parcelo` (JSON REST) and `classicpost` (legacy XML).
pub const DEV_PARCELO_PORT: u16 = 7203;
pub const DEV_CLASSICPOST_PORT: u16 = 7204;
/// Ports of the mail relay stand-in: SMTP (the cores send there), and its HTTP API
/// (`GET /_messages`).
pub const DEV_MAIL_SMTP_PORT: u16 = 7205;
pub const DEV_MAIL_PORT: u16 = 7206;
const DEV_CARRIER_SECRET: &str = "carrier_local";
const DEV_PARCELO_WEBHOOK_SECRET: &str = "whsec_parcelo_local_development";
const DEV_CLASSICPOST_WEBHOOK_SECRET: &str = "whsec_classicpost_local_development";
const DEV_SESSION_SECRET: &str = "local-development-session-secret-change-me";
/// SKUs seeded when the local catalog is empty and no size is asked for.
const DEFAULT_SKUS: u64 = 3000;

#[derive(clap::Args)]
pub struct Args {
    /// Reseed the catalog with this many SKUs if it has another size (default: seed 3000 when
    /// empty, else keep what is there). `--skus 500000` is the full size.
    #[arg(long)]
    pub skus: Option<u64>,
    /// The regions folder to run (regions and market files); default: the checkout's `regions/`.
    #[arg(long, value_name = "DIR")]
    pub regions_dir: Option<std::path::PathBuf>,
    /// Build and run optimized binaries.
    #[arg(long)]
    pub release: bool,
    /// Also run a Prometheus server (the Debian package, installed when missing) on
    /// 127.0.0.1:9190 that scrapes every process with the SLO rules loaded; its data lives in
    /// `.local/prometheus`.
    #[arg(long)]
    pub with_prometheus: bool,
    #[command(flatten)]
    pub backups: crate::backups::Schedule,
}

/// Port of the local Prometheus server.
pub const DEV_PROMETHEUS_PORT: u16 = 9190;

/// Port of a process's admin listener (`/metrics`) in the local stack: its own port + 1000.
pub fn admin_port(port: u16) -> u16 {
    port + 1000
}

/// Port of a core's staff listener (the admin API) in the local stack: its own port + 10.
pub fn staff_port(core_port: u16) -> u16 {
    core_port + 10
}

pub fn run(args: Args) -> Result<()> {
    crate::deps::ensure_system_packages()?;
    if args.with_prometheus {
        crate::deps::ensure_prometheus()?;
    }
    let bin = crate::deps::build_binaries(args.release)?;
    let regions_dir = match &args.regions_dir {
        Some(dir) => std::path::absolute(dir)?,
        None => regions::workspace_regions_dir(),
    };
    let regions = regions::Catalog::load(&regions_dir)?;
    let logs = testkit::workspace_root().join(".local").join("logs");
    std::fs::create_dir_all(&logs)?;

    let pg = crate::devdb::start()?;
    let rt = tokio::runtime::Runtime::new()?;
    let url = rt.block_on(async {
        let url = crate::devdb::prepare(&pg, crate::devdb::DEV_DB, &regions).await?;
        let have = crate::devdb::sku_count(&url).await?;
        // Products added since the seed (by merchandisers, by benchmarks) do not make it
        // another catalog.
        let recorded = crate::seed::recorded_skus();
        let want = match args.skus {
            Some(n) if recorded != Some(n as i64) || have < n as i64 => Some(n),
            None if have == 0 => Some(DEFAULT_SKUS),
            // Seeded by an older seeder (without stock, say): the same size again.
            None if recorded.is_none() => Some(have as u64),
            _ => None,
        };
        if let Some(n) = want {
            crate::seed::seed(&url, n, 42, &regions).await?;
        } else {
            eprintln!("catalog has {have} SKUs; keeping it (use --skus N to reseed)");
        }
        anyhow::Ok(url)
    })?;
    // Backups as production keeps them: the log archived continuously (the server's own
    // settings), a base backup now and then, pruned past the retention.
    if pg.psql("postgres", "SHOW archive_mode")? != "on" {
        eprintln!("warning: the running database does not archive its log; stop it and run `cargo xtask up` again");
    }
    crate::backups::keep(args.backups, pg.port())?;
    let token = std::env::var("SHOP_ADMIN_TOKEN").unwrap_or_else(|_| DEV_ADMIN_TOKEN.into());

    let env_or = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let (payments_key, webhook_secret) = (
        env_or("SHOP_PAYMENTS_API_KEY", DEV_PAYMENTS_API_KEY),
        env_or("SHOP_PAYMENTS_WEBHOOK_SECRET", DEV_PAYMENTS_WEBHOOK_SECRET),
    );
    // The examples use the region on the first ports (the README's).
    let first = regions.regions().min_by_key(|r| r.dev.edge_port).context("no region")?;
    // The provider sends its webhooks to one address, as real providers do: the first region's
    // edge, which routes them to a core.
    let mut cmd = Command::new(bin.join("payments-standin"));
    cmd.args(["--listen", &format!("127.0.0.1:{DEV_PAYMENTS_PORT}")])
        .args(["--webhook-url", &format!("http://127.0.0.1:{}/webhooks/payments", first.dev.edge_port)])
        .env("SHOP_PAYMENTS_API_KEY", &payments_key)
        .env("SHOP_PAYMENTS_WEBHOOK_SECRET", &webhook_secret);
    // Every process is supervised: one that dies is started again, the others keep running.
    let mut sup = Supervisor::default();
    sup.spawn(Group::Partner, "payments stand-in", cmd, &logs.join("payments.log"))?;
    wait_for_http(DEV_PAYMENTS_PORT, "/healthz", Duration::from_secs(30))
        .context("the payment provider stand-in did not start; see .local/logs/payments.log")?;
    // The warehouse system: pick requests come from the cores' outbox, shipped callbacks go to
    // the first region's edge.
    let (wms_key, wms_secret, outbox_secret) = (
        env_or("SHOP_WAREHOUSE_API_KEY", DEV_WAREHOUSE_API_KEY),
        env_or("SHOP_WAREHOUSE_WEBHOOK_SECRET", DEV_WAREHOUSE_WEBHOOK_SECRET),
        env_or("SHOP_OUTBOX_WEBHOOK_SECRET", DEV_OUTBOX_SECRET),
    );
    let mut cmd = Command::new(bin.join("warehouse-standin"));
    cmd.args(["--listen", &format!("127.0.0.1:{DEV_WAREHOUSE_PORT}")])
        .args(["--callback-url", &format!("http://127.0.0.1:{}/webhooks/warehouse", first.dev.edge_port)])
        .env("WMS_API_KEY", &wms_key)
        .env("WMS_INBOUND_SECRET", &outbox_secret)
        .env("WMS_WEBHOOK_SECRET", &wms_secret);
    sup.spawn(Group::Partner, "warehouse stand-in", cmd, &logs.join("warehouse.log"))?;
    wait_for_http(DEV_WAREHOUSE_PORT, "/healthz", Duration::from_secs(30))
        .context("the warehouse stand-in did not start; see .local/logs/warehouse.log")?;
    // The carriers: labels come from the cores' outbox (`order.shipped`), tracking webhooks go
    // to the first region's edge.
    let carrier_secret = env_or("SHOP_CARRIER_SECRET", DEV_CARRIER_SECRET);
    for (personality, code, port, secret) in [
        ("rest", "parcelo", DEV_PARCELO_PORT, DEV_PARCELO_WEBHOOK_SECRET),
        ("xml", "classicpost", DEV_CLASSICPOST_PORT, DEV_CLASSICPOST_WEBHOOK_SECRET),
    ] {
        let mut cmd = Command::new(bin.join("carrier-standin"));
        cmd.args(["--personality", personality, "--listen", &format!("127.0.0.1:{port}"), "--client-id", "shop"])
            .args(["--webhook-url", &format!("http://127.0.0.1:{}/webhooks/carriers/{code}", first.dev.edge_port)])
            .env("CARRIER_CLIENT_SECRET", &carrier_secret)
            .env("CARRIER_WEBHOOK_SECRET", secret);
        let log = logs.join(format!("carrier-{code}.log"));
        sup.spawn(Group::Partner, &format!("carrier stand-in ({code})"), cmd, &log)?;
        wait_for_http(port, "/healthz", Duration::from_secs(30)).with_context(|| {
            format!("the {code} carrier stand-in did not start; see .local/logs/carrier-{code}.log")
        })?;
    }
    let mut cmd = Command::new(bin.join("mail-standin"));
    cmd.args(["--smtp-listen", &format!("127.0.0.1:{DEV_MAIL_SMTP_PORT}")])
        .args(["--http-listen", &format!("127.0.0.1:{DEV_MAIL_PORT}")]);
    sup.spawn(Group::Partner, "mail stand-in", cmd, &logs.join("mail.log"))?;
    wait_for_http(DEV_MAIL_PORT, "/healthz", Duration::from_secs(30))
        .context("the mail stand-in did not start; see .local/logs/mail.log")?;

    for region in regions.regions() {
        let mut cmd = Command::new(bin.join("core-server"));
        cmd.args(["--region", &region.id, "--database-url", &url, "--environment", "development"])
            .arg("--regions-dir")
            .arg(&regions_dir)
            .args(["--staff-listen", &format!("127.0.0.1:{}", staff_port(region.dev.core_port))])
            .args(["--admin-listen", &format!("127.0.0.1:{}", admin_port(region.dev.core_port))])
            .args(["--payments-url", &format!("http://127.0.0.1:{DEV_PAYMENTS_PORT}")])
            .env("SHOP_PAYMENTS_API_KEY", &payments_key)
            .env("SHOP_PAYMENTS_WEBHOOK_SECRET", &webhook_secret)
            .args(["--warehouse-url", &format!("http://127.0.0.1:{DEV_WAREHOUSE_PORT}")])
            .args(["--smtp-url", &format!("smtp://127.0.0.1:{DEV_MAIL_SMTP_PORT}")])
            .env("SHOP_WAREHOUSE_API_KEY", &wms_key)
            .env("SHOP_WAREHOUSE_WEBHOOK_SECRET", &wms_secret)
            .env("SHOP_OUTBOX_WEBHOOK_SECRET", &outbox_secret)
            .args(["--carrier-parcelo-url", &format!("http://127.0.0.1:{DEV_PARCELO_PORT}")])
            .args(["--carrier-classicpost-url", &format!("http://127.0.0.1:{DEV_CLASSICPOST_PORT}")])
            .env("SHOP_CARRIER_PARCELO_CLIENT_SECRET", &carrier_secret)
            .env("SHOP_CARRIER_PARCELO_WEBHOOK_SECRET", DEV_PARCELO_WEBHOOK_SECRET)
            .env("SHOP_CARRIER_CLASSICPOST_PASSWORD", &carrier_secret)
            .env("SHOP_CARRIER_CLASSICPOST_WEBHOOK_SECRET", DEV_CLASSICPOST_WEBHOOK_SECRET)
            .env("SHOP_SESSION_SECRET", env_or("SHOP_SESSION_SECRET", DEV_SESSION_SECRET))
            .env("SHOP_ADMIN_TOKEN", &token)
            .env("SHOP_LOG", std::env::var("SHOP_LOG").unwrap_or_else(|_| "info".into()));
        let log = logs.join(format!("core-{}.log", region.id));
        sup.spawn(Group::Core, &format!("core {}", region.id), cmd, &log)?;
    }
    for region in regions.regions() {
        wait_for_http(region.dev.core_port, "/readyz", Duration::from_secs(60))
            .with_context(|| format!("core {} did not start; see .local/logs/core-{}.log", region.id, region.id))?;
    }
    // HTTPS on every edge, with a development CA kept in .local/tls (trust ca.pem once).
    let certs = testkit::DevCertificates::ensure(&testkit::workspace_root().join(".local").join("tls"))?;
    for region in regions.regions() {
        let mut cmd = Command::new(bin.join("edge"));
        cmd.args(["--region", &region.id])
            .arg("--regions-dir")
            .arg(&regions_dir)
            .args(["--tls-listen", &format!("127.0.0.1:{}", region.dev.edge_tls_port)])
            .arg("--tls-cert")
            .arg(&certs.cert)
            .arg("--tls-key")
            .arg(&certs.key)
            .args(["--admin-listen", &format!("127.0.0.1:{}", admin_port(region.dev.edge_port))]);
        let log = logs.join(format!("edge-{}.log", region.id));
        sup.spawn(Group::Edge, &format!("edge {}", region.id), cmd, &log)?;
    }
    for region in regions.regions() {
        wait_for_http(region.dev.edge_port, "/healthz", Duration::from_secs(60))
            .with_context(|| format!("edge {} did not start; see .local/logs/edge-{}.log", region.id, region.id))?;
    }

    let prometheus = if args.with_prometheus {
        let dir = testkit::workspace_root().join(".local").join("prometheus");
        std::fs::create_dir_all(dir.join("data"))?;
        let config = dir.join("prometheus.yml");
        std::fs::write(&config, prometheus_config(&regions))?;
        let mut cmd = Command::new("prometheus");
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{DEV_PROMETHEUS_PORT}"));
        sup.spawn(Group::Monitoring, "prometheus", cmd, &logs.join("prometheus.log"))?;
        wait_for_http(DEV_PROMETHEUS_PORT, "/-/ready", Duration::from_secs(60))
            .context("prometheus did not start; see .local/logs/prometheus.log")?;
        Some(DEV_PROMETHEUS_PORT)
    } else {
        None
    };

    println!("\nthe platform is up (logs in .local/logs, database {url})\n");
    println!(
        "{:<14} {:<24} {:<24} {:<24} {:<24} markets",
        "region", "edge (shoppers)", "edge over TLS", "core (direct)", "staff (admin API)"
    );
    for region in regions.regions() {
        let markets: Vec<_> = region.markets.iter().map(|m| m.as_str()).collect();
        println!(
            "{:<14} {:<24} {:<24} {:<24} {:<24} {} (default {})",
            region.id,
            format!("http://127.0.0.1:{}", region.dev.edge_port),
            format!("https://localhost:{}", region.dev.edge_tls_port),
            format!("http://127.0.0.1:{}", region.dev.core_port),
            format!("http://127.0.0.1:{}", staff_port(region.dev.core_port)),
            markets.join(", "),
            region.default_market
        );
    }
    println!(
        "{:<14} http://127.0.0.1:{DEV_PAYMENTS_PORT}  (test cards: 4242424242424242 approved, 4000000000000002 declined, 4000000000003220 3-D Secure)",
        "payments"
    );
    println!("{:<14} http://127.0.0.1:{DEV_WAREHOUSE_PORT}  (stock feed, pick requests, GET /_audit)", "warehouse");
    println!(
        "{:<14} smtp://127.0.0.1:{DEV_MAIL_SMTP_PORT}  (the e-mails sent: http://127.0.0.1:{DEV_MAIL_PORT}/_messages)",
        "mail"
    );
    println!("\ntry:");
    println!("  curl http://127.0.0.1:{}/v1/markets", first.dev.edge_port);
    println!(
        "  curl http://127.0.0.1:{}/v1/categories            # market and language from the region, Accept-Language, X-Country",
        first.dev.edge_port
    );
    // The first region's default market and language: the regions folder may be another one.
    let scope = regions
        .market(first.default_market.as_str())
        .map_or_else(String::new, |m| format!("{}/{}", m.id, m.default_language));
    println!("  curl http://127.0.0.1:{}/v1/{scope}/categories", first.dev.edge_port);
    println!(
        "  curl --cacert {} https://localhost:{}/v1/{scope}/categories   # HTTP/2 over TLS",
        certs.ca.display(),
        first.dev.edge_tls_port
    );
    println!("  curl http://127.0.0.1:{}/openapi.json", first.dev.core_port);
    println!(
        "  admin API (staff listener, never through an edge): curl http://127.0.0.1:{}/admin/v1/outbox -H 'authorization: Bearer {token}'",
        staff_port(first.dev.core_port)
    );
    println!(
        "  metrics: http://127.0.0.1:<edge or core port + 1000>/metrics, http://127.0.0.1:{DEV_PAYMENTS_PORT}/metrics"
    );
    if prometheus.is_some() {
        println!("  prometheus (SLO rules loaded): http://127.0.0.1:{DEV_PROMETHEUS_PORT}");
    }
    println!(
        "  backups: .local/backups (log archived continuously, a base backup every {} min, {} kept; \
         metrics on http://127.0.0.1:{DEV_BACKUP_METRICS_PORT}/metrics); restore with `cargo xtask restore --to <time>`",
        args.backups.backup_every_min, args.backups.backup_keep
    );
    println!("\nCtrl-C stops everything.");

    let stopped_by = rt.block_on(sup.run());
    eprintln!("\nstopping ({stopped_by})");
    sup.stop_all();
    drop(pg);
    eprintln!("stopped");
    Ok(())
}

/// The local Prometheus configuration: every process scraped every 5 s (edges and cores on
/// their admin listeners), the SLO rules evaluated every 15 s.
fn prometheus_config(regions: &regions::Catalog) -> String {
    let rules: Vec<String> = crate::slo::rule_files().iter().map(|f| format!("'{}'", f.display())).collect();
    let targets = |ports: Vec<u16>| ports.iter().map(|p| format!("'127.0.0.1:{p}'")).collect::<Vec<_>>().join(", ");
    let edges = targets(regions.regions().map(|r| admin_port(r.dev.edge_port)).collect());
    let cores = targets(regions.regions().map(|r| admin_port(r.dev.core_port)).collect());
    format!(
        "# Written by `cargo xtask up --with-prometheus`.\n\
         global:\n  scrape_interval: 5s\n  evaluation_interval: 15s\n\
         rule_files: [{rules}]\n\
         scrape_configs:\n\
         \x20 - job_name: edge\n    static_configs: [{{targets: [{edges}]}}]\n\
         \x20 - job_name: core\n    static_configs: [{{targets: [{cores}]}}]\n\
         \x20 - job_name: payments\n    static_configs: [{{targets: ['127.0.0.1:{DEV_PAYMENTS_PORT}']}}]\n\
         \x20 - job_name: backups\n    static_configs: [{{targets: ['127.0.0.1:{DEV_BACKUP_METRICS_PORT}']}}]\n",
        rules = rules.join(", ")
    )
}
