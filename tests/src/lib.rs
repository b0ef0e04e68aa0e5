//! The whole stack for end-to-end tests: one core and one edge per region, on free ports, over
//! a fresh database; torn down (by PID) when dropped. Chaos scenarios reuse it.

pub mod shop;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::Value;
use testkit::{ChildProcess, TestDb, free_port, wait_for_http};

/// Service token of the admin API in test stacks.
pub const ADMIN_TOKEN: &str = "stack-test-token";
/// The merchant API key at the payment provider stand-in of test stacks.
pub const PAYMENTS_API_KEY: &str = "sk_test_stack";
/// The secret the payment provider stand-in signs its webhooks with in test stacks.
pub const PAYMENTS_WEBHOOK_SECRET: &str = "whsec_stack_test_secret";
/// The key session tokens are signed with in test stacks (the same on every core).
pub const SESSION_SECRET: &str = "stack-test-session-secret-0123456789abcdef";
/// The API key at the warehouse system stand-in of test stacks.
pub const WAREHOUSE_API_KEY: &str = "wms_test_stack";
/// The secret the warehouse stand-in signs its callbacks with in test stacks.
pub const WAREHOUSE_WEBHOOK_SECRET: &str = "whsec_wms_stack_test";
/// Client secret (`parcelo`) and password (`classicpost`) at the carrier stand-ins.
pub const CARRIER_CLIENT_SECRET: &str = "carrier_test_stack";
/// The secrets the carrier stand-ins sign their tracking webhooks with.
pub const PARCELO_WEBHOOK_SECRET: &str = "whsec_parcelo_stack_test";
pub const CLASSICPOST_WEBHOOK_SECRET: &str = "whsec_classicpost_stack_test";
/// The secret cores sign outbox deliveries (and warehouse requests) with in test stacks.
pub const OUTBOX_SECRET: &str = "whsec_outbox_stack_test";

/// Ports and processes of one region.
pub struct RegionProcs {
    pub core_port: u16,
    pub edge_port: u16,
    /// The core's staff listener (the admin API), which no edge routes to.
    pub staff_port: u16,
    /// The admin listeners (`/metrics`) of the core and the edge.
    pub core_admin_port: u16,
    pub edge_admin_port: u16,
    core: ChildProcess,
    edge: ChildProcess,
}

impl RegionProcs {
    /// Stops the region's core (SIGTERM, by PID).
    pub fn stop_core(&mut self) {
        self.core.stop();
    }

    /// Stops the region's edge (SIGTERM, by PID).
    pub fn stop_edge(&mut self) {
        self.edge.stop();
    }
}

pub struct Stack {
    pub db: TestDb,
    pub regions: regions::Catalog,
    pub procs: BTreeMap<String, RegionProcs>,
    /// The payment provider stand-in's port; its webhooks go to the first region's edge.
    pub payments_port: u16,
    payments: ChildProcess,
    /// The warehouse system stand-in's port; its callbacks go to the first region's edge.
    pub warehouse_port: u16,
    warehouse: ChildProcess,
    /// The carrier stand-ins' ports (`parcelo`, REST; `classicpost`, XML); their tracking
    /// webhooks go to the first region's edge.
    pub parcelo_port: u16,
    pub classicpost_port: u16,
    carriers: [ChildProcess; 2],
    /// The mail relay stand-in: the cores send over SMTP to `mail_smtp_port`; its HTTP API
    /// (`GET /_messages`) is on `mail_port`.
    pub mail_smtp_port: u16,
    pub mail_port: u16,
    mail: ChildProcess,
    regions_dir: std::path::PathBuf,
}

/// The ports of the stand-ins a core talks to.
#[derive(Clone, Copy)]
struct Partners {
    payments: u16,
    warehouse: u16,
    parcelo: u16,
    classicpost: u16,
    mail_smtp: u16,
}

impl Stack {
    /// Starts every region's core and edge over a fresh migrated database.
    pub async fn start() -> Result<Self> {
        Self::start_in(&regions::workspace_regions_dir()).await
    }

    /// Like [`Stack::start`], with the regions and markets of another folder (a new market
    /// file, say).
    pub async fn start_in(regions_dir: &std::path::Path) -> Result<Self> {
        Self::start_seeded(regions_dir, 0).await
    }

    /// Like [`Stack::start_in`], over a synthetic catalog of `skus` SKUs (none for 0) seeded for
    /// the workspace's markets before the services start (markets only in `regions_dir` have
    /// no seeded rows of their own).
    pub async fn start_seeded(regions_dir: &std::path::Path, skus: u64) -> Result<Self> {
        Self::start_with(regions_dir, skus, &[], None).await
    }

    /// Like [`Stack::start`], with extra environment variables for every edge and core (an
    /// OTLP endpoint, a log format).
    pub async fn start_with_env(env: &[(&str, &str)]) -> Result<Self> {
        Self::start_with(&regions::workspace_regions_dir(), 0, env, None).await
    }

    /// Like [`Stack::start_with_env`], every process writing its logs (stdout and stderr) to a
    /// file of `logs`: `payments.log`, `core-<region>.log`, `edge-<region>.log`.
    pub async fn start_logged(logs: &std::path::Path, env: &[(&str, &str)]) -> Result<Self> {
        Self::start_with(&regions::workspace_regions_dir(), 0, env, Some(logs)).await
    }

    async fn start_with(
        regions_dir: &std::path::Path,
        skus: u64,
        env: &[(&str, &str)],
        logs: Option<&std::path::Path>,
    ) -> Result<Self> {
        let log = |name: String| logs.map(|dir| dir.join(format!("{name}.log")));
        let db = TestDb::migrated().await?;
        let regions = regions::Catalog::load(regions_dir)?;
        if skus > 0 {
            let opts = core_seed::SeedOptions { skus, seed: 42 };
            core_seed::seed_catalog(&db.url, &regions::Catalog::load_workspace()?, &opts, &|_| {}).await?;
        }
        let bin = testkit::bin_dir();
        let ports: Vec<(u16, u16)> = regions.regions().map(|_| (free_port(), free_port())).collect();
        let payments_port = free_port();
        let webhook_edge = ports.first().context("no region")?.1;
        let mut payments = Command::new(bin.join("payments-standin"));
        payments
            .args(["--listen", &format!("127.0.0.1:{payments_port}"), "--api-key", PAYMENTS_API_KEY])
            .args(["--webhook-url", &format!("http://127.0.0.1:{webhook_edge}/webhooks/payments")])
            .args(["--webhook-secret", PAYMENTS_WEBHOOK_SECRET, "--slow-card-delay-ms", "3000"])
            .args(["--webhook-retry-base-ms", "200"])
            .env("SHOP_LOG", "warn")
            .envs(env.iter().copied());
        let payments = ChildProcess::spawn("payments stand-in", payments, log("payments".into()).as_deref())?;
        let warehouse_port = free_port();
        let mut warehouse = Command::new(bin.join("warehouse-standin"));
        warehouse
            .args(["--listen", &format!("127.0.0.1:{warehouse_port}"), "--api-key", WAREHOUSE_API_KEY])
            .args(["--inbound-secret", OUTBOX_SECRET, "--webhook-secret", WAREHOUSE_WEBHOOK_SECRET])
            .args(["--callback-url", &format!("http://127.0.0.1:{webhook_edge}/webhooks/warehouse")])
            .args(["--callback-retry-base-ms", "200"])
            .env("SHOP_LOG", "warn")
            .envs(env.iter().copied());
        let warehouse = ChildProcess::spawn("warehouse stand-in", warehouse, log("warehouse".into()).as_deref())?;
        let (parcelo_port, classicpost_port) = (free_port(), free_port());
        let carrier = |personality: &str, port: u16, secret: &str| {
            let mut c = Command::new(bin.join("carrier-standin"));
            c.args(["--personality", personality, "--listen", &format!("127.0.0.1:{port}")])
                .args(["--client-id", "shop", "--client-secret", CARRIER_CLIENT_SECRET, "--webhook-secret", secret])
                .args([
                    "--webhook-url",
                    &format!("http://127.0.0.1:{webhook_edge}/webhooks/carriers/{}", carrier_code(personality)),
                ])
                .args(["--webhook-retry-base-ms", "200"])
                .env("SHOP_LOG", "warn")
                .envs(env.iter().copied());
            ChildProcess::spawn(
                &format!("carrier stand-in ({personality})"),
                c,
                log(format!("carrier-{personality}")).as_deref(),
            )
        };
        let carriers = [
            carrier("rest", parcelo_port, PARCELO_WEBHOOK_SECRET)?,
            carrier("xml", classicpost_port, CLASSICPOST_WEBHOOK_SECRET)?,
        ];
        let (mail_smtp_port, mail_port) = (free_port(), free_port());
        let mut mail = Command::new(bin.join("mail-standin"));
        mail.args(["--smtp-listen", &format!("127.0.0.1:{mail_smtp_port}")])
            .args(["--http-listen", &format!("127.0.0.1:{mail_port}")])
            .env("SHOP_LOG", "warn")
            .envs(env.iter().copied());
        let mail = ChildProcess::spawn("mail stand-in", mail, log("mail".into()).as_deref())?;
        let partners = Partners {
            payments: payments_port,
            warehouse: warehouse_port,
            parcelo: parcelo_port,
            classicpost: classicpost_port,
            mail_smtp: mail_smtp_port,
        };
        let mut procs = BTreeMap::new();
        for (region, &(core_port, edge_port)) in regions.regions().zip(&ports) {
            let (core_admin_port, edge_admin_port) = (free_port(), free_port());
            let staff_port = free_port();
            let mut core = core_command(&db.url, regions_dir, &region.id, (core_port, staff_port), partners);
            core.args(["--admin-listen", &format!("127.0.0.1:{core_admin_port}")]).envs(env.iter().copied());
            let core = ChildProcess::spawn(
                &format!("core {}", region.id),
                core,
                log(format!("core-{}", region.id)).as_deref(),
            )?;
            let mut edge = Command::new(bin.join("edge"));
            edge.args(["--region", &region.id, "--listen", &format!("127.0.0.1:{edge_port}")])
                .args(["--admin-listen", &format!("127.0.0.1:{edge_admin_port}")])
                .arg("--regions-dir")
                .arg(regions_dir)
                .args(["--core", &format!("127.0.0.1:{core_port}"), "--health-interval-ms", "200", "--threads", "1"])
                // Every test shopper signs up and checks out from 127.0.0.1: the per-address
                // credential and checkout limits are tested on their own (edge tests).
                .args(["--rate-limit-credentials-per-min", "0", "--rate-limit-checkout-per-min", "0"])
                .env("SHOP_LOG", "warn")
                .envs(env.iter().copied());
            // The other regions' cores, nearest first (the region file's order).
            let core_of: BTreeMap<&str, u16> =
                regions.regions().zip(&ports).map(|(r, p)| (r.id.as_str(), p.0)).collect();
            let failover: Vec<String> = region
                .failover
                .iter()
                .filter_map(|other| core_of.get(other.as_str()).map(|port| format!("{other}=127.0.0.1:{port}")))
                .collect();
            if failover.is_empty() {
                edge.args(["--failover-core", "none"]);
            }
            for f in &failover {
                edge.args(["--failover-core", f]);
            }
            let edge = ChildProcess::spawn(
                &format!("edge {}", region.id),
                edge,
                log(format!("edge-{}", region.id)).as_deref(),
            )?;
            procs.insert(
                region.id.clone(),
                RegionProcs { core_port, edge_port, staff_port, core_admin_port, edge_admin_port, core, edge },
            );
        }
        let regions_dir = regions_dir.to_path_buf();
        let stack = Self {
            db,
            regions,
            procs,
            payments_port,
            payments,
            warehouse_port,
            warehouse,
            parcelo_port,
            classicpost_port,
            carriers,
            mail_smtp_port,
            mail_port,
            mail,
            regions_dir,
        };
        for port in [parcelo_port, classicpost_port] {
            tokio::task::spawn_blocking(move || wait_for_http(port, "/healthz", Duration::from_secs(60)))
                .await?
                .context("a carrier stand-in did not start")?;
        }
        tokio::task::spawn_blocking(move || wait_for_http(payments_port, "/healthz", Duration::from_secs(60)))
            .await?
            .context("the payment provider stand-in did not start")?;
        tokio::task::spawn_blocking(move || wait_for_http(mail_port, "/healthz", Duration::from_secs(60)))
            .await?
            .context("the mail stand-in did not start")?;
        tokio::task::spawn_blocking(move || wait_for_http(warehouse_port, "/healthz", Duration::from_secs(60)))
            .await?
            .context("the warehouse stand-in did not start")?;
        for (id, p) in &stack.procs {
            let (core_port, edge_port, staff_port) = (p.core_port, p.edge_port, p.staff_port);
            tokio::task::spawn_blocking(move || {
                wait_for_http(core_port, "/readyz", Duration::from_secs(60))?;
                wait_for_http(staff_port, "/readyz", Duration::from_secs(60))?;
                wait_for_http(edge_port, "/readyz", Duration::from_secs(60))
            })
            .await?
            .with_context(|| format!("region {id} did not start"))?;
        }
        Ok(stack)
    }

    pub fn edge(&self, region: &str) -> u16 {
        self.procs[region].edge_port
    }

    pub fn core(&self, region: &str) -> u16 {
        self.procs[region].core_port
    }

    /// The port of `region`'s core staff listener (the admin API).
    pub fn staff(&self, region: &str) -> u16 {
        self.procs[region].staff_port
    }

    /// A connection to the stack's database, for audits.
    pub async fn sql(&self) -> Result<tokio_postgres::Client> {
        let (client, conn) = tokio_postgres::connect(&self.db.url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        Ok(client)
    }

    /// Starts one more core of `region` (a replica, not behind the edge) on a free port, ready;
    /// dropping it stops it.
    pub async fn core_replica(&self, region: &str) -> Result<(ChildProcess, u16)> {
        let port = free_port();
        let partners = Partners {
            payments: self.payments_port,
            warehouse: self.warehouse_port,
            parcelo: self.parcelo_port,
            classicpost: self.classicpost_port,
            mail_smtp: self.mail_smtp_port,
        };
        let cmd = core_command(&self.db.url, &self.regions_dir, region, (port, free_port()), partners);
        let core = ChildProcess::spawn(&format!("core {region} replica"), cmd, None)?;
        tokio::task::spawn_blocking(move || wait_for_http(port, "/readyz", Duration::from_secs(60)))
            .await?
            .with_context(|| format!("a replica of {region} did not start"))?;
        Ok((core, port))
    }

    /// The messages the mail stand-in received for `to`, oldest first.
    pub async fn mail_to(&self, to: &str) -> Result<Vec<Value>> {
        let answer = get(self.mail_port, &format!("/_messages?to={to}"), &[]).await?;
        anyhow::ensure!(answer.status == 200, "the mail stand-in answered {}: {}", answer.status, answer.body);
        Ok(answer.body["messages"].as_array().cloned().unwrap_or_default())
    }

    /// PID of the warehouse stand-in.
    pub fn warehouse_pid(&self) -> Option<u32> {
        self.warehouse.pid()
    }

    /// PIDs of the carrier stand-ins (`parcelo`, `classicpost`).
    pub fn carrier_pids(&self) -> [Option<u32>; 2] {
        [self.carriers[0].pid(), self.carriers[1].pid()]
    }

    /// PID of the payment provider stand-in.
    pub fn payments_pid(&self) -> Option<u32> {
        self.payments.pid()
    }

    /// PID of the mail relay stand-in.
    pub fn mail_pid(&self) -> Option<u32> {
        self.mail.pid()
    }

    /// PIDs of a region's processes (core, edge), for chaos scenarios.
    pub fn pids(&self, region: &str) -> (Option<u32>, Option<u32>) {
        let p = &self.procs[region];
        (p.core.pid(), p.edge.pid())
    }
}

/// The carrier code of a carrier stand-in's personality.
fn carrier_code(personality: &str) -> &'static str {
    if personality == "rest" { "parcelo" } else { "classicpost" }
}

/// The command line of a core of `region` on `port`. Outbox events whose topic starts with
/// `test.` go to the warehouse stand-in's event inbox; confirmed orders to its pick requests;
/// shipped orders to the carriers for labels. Leases and retries are short, so that fault
/// tests recover quickly.
/// A core of `region` listening on `ports`: the shoppers' door and the staff listener.
fn core_command(
    db_url: &str,
    regions_dir: &std::path::Path,
    region: &str,
    (port, staff_port): (u16, u16),
    partners: Partners,
) -> Command {
    let Partners { payments: payments_port, warehouse: warehouse_port, parcelo, classicpost, mail_smtp } = partners;
    let mut core = Command::new(testkit::bin_dir().join("core-server"));
    core.args(["--region", region, "--database-url", db_url])
        .arg("--regions-dir")
        .arg(regions_dir)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--db-max-connections", "4"])
        .args(["--staff-listen", &format!("127.0.0.1:{staff_port}"), "--environment", "development"])
        .args(["--payments-url", &format!("http://127.0.0.1:{payments_port}")])
        .args(["--payments-timeout-ms", "1500", "--reconcile-ms", "500"])
        .args(["--warehouse-url", &format!("http://127.0.0.1:{warehouse_port}")])
        .args(["--outbox-webhook", &format!("test.=http://127.0.0.1:{warehouse_port}/v1/events")])
        // A lease five times the delivery timeout: a delivery of a process starved of CPU (a
        // loaded test machine) finishes or gives up long before another core may take it over.
        .args(["--outbox-poll-ms", "50", "--outbox-lease-ms", "5000", "--outbox-delivery-timeout-ms", "1000"])
        .args(["--outbox-retry-base-ms", "100", "--outbox-retry-max-ms", "1000"])
        .args(["--carrier-parcelo-url", &format!("http://127.0.0.1:{parcelo}")])
        .args(["--carrier-classicpost-url", &format!("http://127.0.0.1:{classicpost}")])
        .args(["--smtp-url", &format!("smtp://127.0.0.1:{mail_smtp}")])
        .env("SHOP_CARRIER_PARCELO_CLIENT_SECRET", CARRIER_CLIENT_SECRET)
        .env("SHOP_CARRIER_PARCELO_WEBHOOK_SECRET", PARCELO_WEBHOOK_SECRET)
        .env("SHOP_CARRIER_CLASSICPOST_PASSWORD", CARRIER_CLIENT_SECRET)
        .env("SHOP_CARRIER_CLASSICPOST_WEBHOOK_SECRET", CLASSICPOST_WEBHOOK_SECRET)
        .env("SHOP_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("SHOP_PAYMENTS_API_KEY", PAYMENTS_API_KEY)
        .env("SHOP_PAYMENTS_WEBHOOK_SECRET", PAYMENTS_WEBHOOK_SECRET)
        .env("SHOP_WAREHOUSE_API_KEY", WAREHOUSE_API_KEY)
        .env("SHOP_WAREHOUSE_WEBHOOK_SECRET", WAREHOUSE_WEBHOOK_SECRET)
        .env("SHOP_OUTBOX_WEBHOOK_SECRET", OUTBOX_SECRET)
        .env("SHOP_SESSION_SECRET", SESSION_SECRET)
        .env("SHOP_META_REFRESH_MS", "200")
        .env("SHOP_LOG", "warn");
    core
}

/// An HTTP answer with its body parsed as JSON (or a JSON string when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request to `127.0.0.1:port`.
pub async fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Answer> {
    match body {
        Some(v) => {
            let mut with_type = vec![("content-type", "application/json")];
            with_type.extend_from_slice(headers);
            request_raw(port, method, path, &with_type, v.to_string().into_bytes()).await
        }
        None => request_raw(port, method, path, headers, Vec::new()).await,
    }
}

/// Sends one request with a raw body (its content type among `headers`) to `127.0.0.1:port`.
pub async fn request_raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Answer> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method(method).uri(path).header("host", format!("127.0.0.1:{port}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response =
        tokio::time::timeout(Duration::from_secs(30), sender.send_request(req.body(Full::new(Bytes::from(body)))?))
            .await??;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await?.to_bytes();
    let body = serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    Ok(Answer { status, headers, body })
}

pub async fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
    request(port, "GET", path, headers, None).await
}

/// An admin request with the stack's service token, to a core's staff listener `port`.
pub async fn admin(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Answer> {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    request(port, method, path, &[("authorization", &auth)], body).await
}
