//! The whole stack for end-to-end tests: one core and one edge per region, on free ports, over
//! a fresh database; torn down (by PID) when dropped. Chaos scenarios reuse it.

pub mod placement;
pub mod shop;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::Value;
use testkit::{ChildProcess, TestDb, free_port, wait_for_http_at};

pub use placement::{Loopback, Placement, Role};

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

/// How to start a [`Stack`], from [`Stack::builder`]: by default every region of the
/// workspace, an empty catalog, everything on 127.0.0.1, logs inherited, a fresh database.
pub struct StackBuilder {
    regions_dir: PathBuf,
    skus: u64,
    env: Vec<(String, String)>,
    logs: Option<PathBuf>,
    placement: Arc<dyn Placement>,
    db: Option<TestDb>,
    core_flags: Vec<(String, String)>,
}

impl StackBuilder {
    /// The regions and markets of another folder than the workspace's (a new market file, say).
    pub fn regions_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.regions_dir = dir.into();
        self
    }

    /// A synthetic catalog of `skus` SKUs (none for 0) seeded for the workspace's markets before
    /// the services start (markets only in another regions folder have no seeded rows of their
    /// own).
    pub fn seeded_skus(mut self, skus: u64) -> Self {
        self.skus = skus;
        self
    }

    /// An environment variable for every process (an OTLP endpoint, a log format).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Every process writes its log (stdout and stderr) to a file of `dir`: `payments.log`,
    /// `core-<region>.log`, `edge-<region>.log`…; by default logs are inherited.
    pub fn logs(mut self, dir: impl Into<PathBuf>) -> Self {
        self.logs = Some(dir.into());
        self
    }

    /// Where processes run and how they reach one another; by default all on 127.0.0.1.
    pub fn placement(mut self, placement: Arc<dyn Placement>) -> Self {
        self.placement = placement;
        self
    }

    /// The database to use (migrated); by default a fresh one from `cargo xtask test`'s server.
    pub fn database(mut self, db: TestDb) -> Self {
        self.db = Some(db);
        self
    }

    /// A core flag given another value than the stack's (`"--outbox-max-attempts", "40"`), or
    /// added to its flags.
    pub fn core_flag(mut self, flag: &str, value: &str) -> Self {
        self.core_flags.push((flag.to_string(), value.to_string()));
        self
    }

    /// Starts the stack and waits until every process is ready.
    pub async fn start(self) -> Result<Stack> {
        Stack::launch(self).await
    }
}

impl Default for StackBuilder {
    fn default() -> Self {
        Self {
            regions_dir: regions::workspace_regions_dir(),
            skus: 0,
            env: Vec::new(),
            logs: None,
            placement: Arc::new(Loopback),
            db: None,
            core_flags: Vec::new(),
        }
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
    /// What the command lines are made of, kept to restart a process as it was started.
    wiring: Wiring,
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

/// What every command line of a stack is made of.
struct Wiring {
    placement: Arc<dyn Placement>,
    regions_dir: PathBuf,
    db_url: String,
    partners: Partners,
    env: Vec<(String, String)>,
    logs: Option<PathBuf>,
    core_flags: Vec<(String, String)>,
}

impl Wiring {
    fn addr(&self, role: &Role, port: u16) -> SocketAddr {
        SocketAddr::new(self.placement.host(role), port)
    }

    /// The URL `from` uses for `to` listening on `port`.
    fn url(&self, from: &Role, to: &Role, port: u16) -> Result<String> {
        Ok(format!("http://{}", self.placement.route(from, to, self.addr(to, port))?))
    }

    fn log(&self, name: &str) -> Option<PathBuf> {
        self.logs.as_ref().map(|dir| dir.join(format!("{name}.log")))
    }

    fn command(&self, role: &Role, program: &str) -> Command {
        let mut cmd = self.placement.command(role, &testkit::bin_dir().join(program));
        cmd.env("SHOP_LOG", "warn").envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// The command line of a core of `region` listening on `ports`: the shoppers' door, the
    /// staff listener, and the admin listener when given. Outbox events whose topic starts
    /// with `test.` go to the warehouse stand-in's event inbox; confirmed orders to its pick
    /// requests; shipped orders to the carriers for labels. Leases and retries are short, so
    /// that fault tests recover quickly.
    fn core(&self, region: &str, (port, staff_port, admin_port): (u16, u16, Option<u16>)) -> Result<Command> {
        let me = Role::Core(region.to_string());
        let Partners { payments, warehouse, parcelo, classicpost, mail_smtp } = self.partners;
        let db_addr: SocketAddr = {
            let rest = self.db_url.split_once('@').map_or(self.db_url.as_str(), |(_, r)| r);
            let rest = rest.trim_start_matches("postgres://");
            rest.split(['/', '?']).next().unwrap_or_default().parse().context("the database URL's address")?
        };
        let db_url = placement::with_address(&self.db_url, self.placement.route(&me, &Role::Database, db_addr)?);
        let warehouse_url = self.url(&me, &Role::Warehouse, warehouse)?;
        let mut flags: Vec<(&str, String)> = vec![
            ("--region", region.to_string()),
            ("--database-url", db_url),
            ("--regions-dir", self.regions_dir.display().to_string()),
            ("--listen", self.addr(&me, port).to_string()),
            ("--db-max-connections", "4".into()),
            ("--staff-listen", self.addr(&me, staff_port).to_string()),
            ("--environment", "development".into()),
            ("--payments-url", self.url(&me, &Role::Payments, payments)?),
            ("--payments-timeout-ms", "1500".into()),
            ("--reconcile-ms", "500".into()),
            ("--warehouse-url", warehouse_url.clone()),
            ("--outbox-webhook", format!("test.={warehouse_url}/v1/events")),
            // A lease five times the delivery timeout: a delivery of a process starved of CPU (a
            // loaded test machine) finishes or gives up long before another core may take it over.
            ("--outbox-poll-ms", "50".into()),
            ("--outbox-lease-ms", "5000".into()),
            ("--outbox-delivery-timeout-ms", "1000".into()),
            ("--outbox-retry-base-ms", "100".into()),
            ("--outbox-retry-max-ms", "1000".into()),
            ("--carrier-parcelo-url", self.url(&me, &Role::Carrier("parcelo".into()), parcelo)?),
            ("--carrier-classicpost-url", self.url(&me, &Role::Carrier("classicpost".into()), classicpost)?),
            (
                "--smtp-url",
                format!("smtp://{}", self.placement.route(&me, &Role::Mail, self.addr(&Role::Mail, mail_smtp))?),
            ),
        ];
        if let Some(admin) = admin_port {
            flags.push(("--admin-listen", self.addr(&me, admin).to_string()));
        }
        for (flag, value) in &self.core_flags {
            match flags.iter_mut().find(|(f, _)| f == flag) {
                Some(set) => set.1 = value.clone(),
                None => flags.push((flag.as_str(), value.clone())),
            }
        }
        let mut core = self.command(&me, "core-server");
        for (flag, value) in flags {
            core.args([flag, value.as_str()]);
        }
        core.env("SHOP_CARRIER_PARCELO_CLIENT_SECRET", CARRIER_CLIENT_SECRET)
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
            .env("SHOP_META_REFRESH_MS", "200");
        Ok(core)
    }

    /// The command line of `region`'s edge in front of its core, failing over to the other
    /// regions' cores in the region file's order.
    fn edge(&self, regions: &regions::Catalog, region: &regions::Region, procs: &Ports) -> Result<Command> {
        let me = Role::Edge(region.id.clone());
        let ports = &procs[&region.id];
        let core = self.placement.route(
            &me,
            &Role::Core(region.id.clone()),
            self.addr(&Role::Core(region.id.clone()), ports.core),
        )?;
        let mut edge = self.command(&me, "edge");
        edge.args(["--region", &region.id, "--listen", &self.addr(&me, ports.edge).to_string()])
            .args(["--admin-listen", &self.addr(&me, ports.edge_admin).to_string()])
            .arg("--regions-dir")
            .arg(&self.regions_dir)
            .args(["--core", &core.to_string(), "--health-interval-ms", "200", "--threads", "1"])
            // Every test shopper signs up and checks out from 127.0.0.1: the per-address
            // credential and checkout limits are tested on their own (edge tests).
            .args(["--rate-limit-credentials-per-min", "0", "--rate-limit-checkout-per-min", "0"]);
        // The other regions' cores, nearest first (the region file's order).
        let mut failover = Vec::new();
        for other in &region.failover {
            if let (Some(p), Some(_)) = (procs.get(other), regions.region(other)) {
                let them = Role::Core(other.clone());
                failover.push(format!("{other}={}", self.placement.route(&me, &them, self.addr(&them, p.core))?));
            }
        }
        if failover.is_empty() {
            edge.args(["--failover-core", "none"]);
        }
        for f in &failover {
            edge.args(["--failover-core", f]);
        }
        Ok(edge)
    }
}

/// The ports of one region's processes, chosen before any starts.
#[derive(Clone, Copy)]
struct RegionPorts {
    core: u16,
    edge: u16,
    staff: u16,
    core_admin: u16,
    edge_admin: u16,
}

type Ports = BTreeMap<String, RegionPorts>;

impl Stack {
    /// How to start a stack: `Stack::builder().seeded_skus(600).start().await`.
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// Starts every region's core and edge over a fresh migrated database (the builder's
    /// defaults).
    pub async fn start() -> Result<Self> {
        Self::builder().start().await
    }

    async fn launch(builder: StackBuilder) -> Result<Self> {
        let StackBuilder { regions_dir, skus, env, logs, placement, db, core_flags } = builder;
        let db = match db {
            Some(db) => db,
            None => TestDb::migrated().await?,
        };
        let regions = regions::Catalog::load(&regions_dir)?;
        if skus > 0 {
            let opts = core_seed::SeedOptions { skus, seed: 42 };
            core_seed::seed_catalog(&db.url, &regions::Catalog::load_workspace()?, &opts, &|_| {}).await?;
        }
        let ports: Ports = regions
            .regions()
            .map(|r| {
                let ports = RegionPorts {
                    core: free_port(),
                    edge: free_port(),
                    staff: free_port(),
                    core_admin: free_port(),
                    edge_admin: free_port(),
                };
                (r.id.clone(), ports)
            })
            .collect();
        let partners = Partners {
            payments: free_port(),
            warehouse: free_port(),
            parcelo: free_port(),
            classicpost: free_port(),
            mail_smtp: free_port(),
        };
        let wiring = Wiring { placement, regions_dir, db_url: db.url.clone(), partners, env, logs, core_flags };
        let first = regions.regions().next().context("no region")?;
        let first_edge = Role::Edge(first.id.clone());
        let webhook_edge = wiring.addr(&first_edge, ports[&first.id].edge);
        let webhooks_from = |role: &Role| wiring.placement.route(role, &first_edge, webhook_edge);

        let payments_port = partners.payments;
        let mut payments = wiring.command(&Role::Payments, "payments-standin");
        payments
            .args(["--listen", &wiring.addr(&Role::Payments, payments_port).to_string(), "--api-key", PAYMENTS_API_KEY])
            .args(["--webhook-url", &format!("http://{}/webhooks/payments", webhooks_from(&Role::Payments)?)])
            .args(["--webhook-secret", PAYMENTS_WEBHOOK_SECRET, "--slow-card-delay-ms", "3000"])
            .args(["--webhook-retry-base-ms", "200"]);
        let payments = ChildProcess::spawn("payments stand-in", payments, wiring.log("payments").as_deref())?;
        let warehouse_port = partners.warehouse;
        let mut warehouse = wiring.command(&Role::Warehouse, "warehouse-standin");
        warehouse
            .args([
                "--listen",
                &wiring.addr(&Role::Warehouse, warehouse_port).to_string(),
                "--api-key",
                WAREHOUSE_API_KEY,
            ])
            .args(["--inbound-secret", OUTBOX_SECRET, "--webhook-secret", WAREHOUSE_WEBHOOK_SECRET])
            .args(["--callback-url", &format!("http://{}/webhooks/warehouse", webhooks_from(&Role::Warehouse)?)])
            .args(["--callback-retry-base-ms", "200"]);
        let warehouse = ChildProcess::spawn("warehouse stand-in", warehouse, wiring.log("warehouse").as_deref())?;
        let (parcelo_port, classicpost_port) = (partners.parcelo, partners.classicpost);
        let carrier = |personality: &str, port: u16, secret: &str| -> Result<ChildProcess> {
            let code = carrier_code(personality);
            let role = Role::Carrier(code.to_string());
            let mut c = wiring.command(&role, "carrier-standin");
            c.args(["--personality", personality, "--listen", &wiring.addr(&role, port).to_string()])
                .args(["--client-id", "shop", "--client-secret", CARRIER_CLIENT_SECRET, "--webhook-secret", secret])
                .args(["--webhook-url", &format!("http://{}/webhooks/carriers/{code}", webhooks_from(&role)?)])
                .args(["--webhook-retry-base-ms", "200"]);
            ChildProcess::spawn(
                &format!("carrier stand-in ({personality})"),
                c,
                wiring.log(&format!("carrier-{personality}")).as_deref(),
            )
        };
        let carriers = [
            carrier("rest", parcelo_port, PARCELO_WEBHOOK_SECRET)?,
            carrier("xml", classicpost_port, CLASSICPOST_WEBHOOK_SECRET)?,
        ];
        let (mail_smtp_port, mail_port) = (partners.mail_smtp, free_port());
        let mut mail = wiring.command(&Role::Mail, "mail-standin");
        mail.args(["--smtp-listen", &wiring.addr(&Role::Mail, mail_smtp_port).to_string()])
            .args(["--http-listen", &wiring.addr(&Role::Mail, mail_port).to_string()]);
        let mail = ChildProcess::spawn("mail stand-in", mail, wiring.log("mail").as_deref())?;
        let mut procs = BTreeMap::new();
        for region in regions.regions() {
            let p = ports[&region.id];
            let core = wiring.core(&region.id, (p.core, p.staff, Some(p.core_admin)))?;
            let core = ChildProcess::spawn(
                &format!("core {}", region.id),
                core,
                wiring.log(&format!("core-{}", region.id)).as_deref(),
            )?;
            let edge = wiring.edge(&regions, region, &ports)?;
            let edge = ChildProcess::spawn(
                &format!("edge {}", region.id),
                edge,
                wiring.log(&format!("edge-{}", region.id)).as_deref(),
            )?;
            procs.insert(
                region.id.clone(),
                RegionProcs {
                    core_port: p.core,
                    edge_port: p.edge,
                    staff_port: p.staff,
                    core_admin_port: p.core_admin,
                    edge_admin_port: p.edge_admin,
                    core,
                    edge,
                },
            );
        }
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
            wiring,
        };
        for (role, port) in [
            (Role::Carrier("parcelo".into()), parcelo_port),
            (Role::Carrier("classicpost".into()), classicpost_port),
            (Role::Payments, payments_port),
            (Role::Warehouse, warehouse_port),
            (Role::Mail, mail_port),
        ] {
            let addr = stack.wiring.addr(&role, port);
            tokio::task::spawn_blocking(move || wait_for_http_at(addr, "/healthz", Duration::from_secs(60)))
                .await?
                .with_context(|| format!("the {role:?} stand-in did not start"))?;
        }
        for id in stack.procs.keys() {
            stack.wait_region(id).await?;
        }
        Ok(stack)
    }

    /// Waits until `region`'s core (both listeners) and edge answer `/readyz`.
    async fn wait_region(&self, region: &str) -> Result<()> {
        let (core, staff) = (self.core_addr(region), self.staff_addr(region));
        let edge = self.edge_addr(region);
        tokio::task::spawn_blocking(move || {
            wait_for_http_at(core, "/readyz", Duration::from_secs(60))?;
            wait_for_http_at(staff, "/readyz", Duration::from_secs(60))?;
            wait_for_http_at(edge, "/readyz", Duration::from_secs(60))
        })
        .await?
        .with_context(|| format!("region {region} did not start"))
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

    /// Where shoppers reach `region`'s edge.
    pub fn edge_addr(&self, region: &str) -> SocketAddr {
        self.wiring.addr(&Role::Edge(region.into()), self.procs[region].edge_port)
    }

    /// Where `region`'s core listens for its edge.
    pub fn core_addr(&self, region: &str) -> SocketAddr {
        self.wiring.addr(&Role::Core(region.into()), self.procs[region].core_port)
    }

    /// Where `region`'s core serves the admin API.
    pub fn staff_addr(&self, region: &str) -> SocketAddr {
        self.wiring.addr(&Role::Core(region.into()), self.procs[region].staff_port)
    }

    /// Where `region`'s edge and core serve `/metrics`.
    pub fn metrics_addrs(&self, region: &str) -> (SocketAddr, SocketAddr) {
        let p = &self.procs[region];
        (
            self.wiring.addr(&Role::Edge(region.into()), p.edge_admin_port),
            self.wiring.addr(&Role::Core(region.into()), p.core_admin_port),
        )
    }

    /// Where the payment provider stand-in listens (for card tokens, its audit and knobs).
    pub fn payments_addr(&self) -> SocketAddr {
        self.wiring.addr(&Role::Payments, self.payments_port)
    }

    /// Where the warehouse stand-in listens.
    pub fn warehouse_addr(&self) -> SocketAddr {
        self.wiring.addr(&Role::Warehouse, self.warehouse_port)
    }

    /// Where the mail stand-in's HTTP API listens.
    pub fn mail_addr(&self) -> SocketAddr {
        self.wiring.addr(&Role::Mail, self.mail_port)
    }

    /// Where the carrier stand-ins listen (`parcelo`, `classicpost`).
    pub fn carrier_addrs(&self) -> [SocketAddr; 2] {
        [
            self.wiring.addr(&Role::Carrier("parcelo".into()), self.parcelo_port),
            self.wiring.addr(&Role::Carrier("classicpost".into()), self.classicpost_port),
        ]
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
        let cmd = self.wiring.core(region, (port, free_port(), None))?;
        let core = ChildProcess::spawn(&format!("core {region} replica"), cmd, None)?;
        let addr = self.wiring.addr(&Role::Core(region.into()), port);
        tokio::task::spawn_blocking(move || wait_for_http_at(addr, "/readyz", Duration::from_secs(60)))
            .await?
            .with_context(|| format!("a replica of {region} did not start"))?;
        Ok((core, port))
    }

    /// Sends `signal` to `region`'s core (by the PID we started): SIGKILL, SIGSTOP, SIGCONT.
    pub fn signal_core(&self, region: &str, signal: nix::sys::signal::Signal) {
        self.procs[region].core.signal(signal);
    }

    /// Sends `signal` to `region`'s edge (by the PID we started).
    pub fn signal_edge(&self, region: &str, signal: nix::sys::signal::Signal) {
        self.procs[region].edge.signal(signal);
    }

    /// Starts `region`'s core again, as it was started, with `env` added (a fake clock, say),
    /// after stopping what is left of the old one; waits until it is ready.
    pub async fn restart_core(&mut self, region: &str, env: &[(&str, &str)]) -> Result<()> {
        let p = self.procs.get_mut(region).with_context(|| format!("no region {region}"))?;
        p.core.stop_with(nix::sys::signal::Signal::SIGKILL, Duration::from_secs(5));
        let mut cmd = self.wiring.core(region, (p.core_port, p.staff_port, Some(p.core_admin_port)))?;
        cmd.envs(env.iter().copied());
        p.core =
            ChildProcess::spawn(&format!("core {region}"), cmd, self.wiring.log(&format!("core-{region}")).as_deref())?;
        self.wait_region(region).await
    }

    /// Moves every core onto database `db` (a restored copy of the stack's): each core is
    /// stopped and started again on it, in turn, and waited for.
    pub async fn swap_database(&mut self, db: TestDb) -> Result<()> {
        self.wiring.db_url = db.url.clone();
        self.db = db;
        let regions: Vec<String> = self.procs.keys().cloned().collect();
        for region in regions {
            self.restart_core(&region, &[]).await?;
        }
        Ok(())
    }

    /// Starts `region`'s edge again, as it was started, after stopping what is left of the old
    /// one; waits until it is ready.
    pub async fn restart_edge(&mut self, region: &str) -> Result<()> {
        let ports: Ports = self
            .procs
            .iter()
            .map(|(id, p)| {
                let ports = RegionPorts {
                    core: p.core_port,
                    edge: p.edge_port,
                    staff: p.staff_port,
                    core_admin: p.core_admin_port,
                    edge_admin: p.edge_admin_port,
                };
                (id.clone(), ports)
            })
            .collect();
        let r = self.regions.region(region).with_context(|| format!("no region {region}"))?;
        let cmd = self.wiring.edge(&self.regions, r, &ports)?;
        let p = self.procs.get_mut(region).with_context(|| format!("no region {region}"))?;
        p.edge.stop_with(nix::sys::signal::Signal::SIGKILL, Duration::from_secs(5));
        p.edge =
            ChildProcess::spawn(&format!("edge {region}"), cmd, self.wiring.log(&format!("edge-{region}")).as_deref())?;
        self.wait_region(region).await
    }

    /// The messages the mail stand-in received for `to`, oldest first.
    pub async fn mail_to(&self, to: &str) -> Result<Vec<Value>> {
        let answer = get_at(self.mail_addr(), &format!("/_messages?to={to}"), &[]).await?;
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
    request_raw_at(SocketAddr::from(([127, 0, 0, 1], port)), method, path, headers, body).await
}

/// Sends one request with a raw body to `addr`.
pub async fn request_raw_at(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Answer> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method(method).uri(path).header("host", addr.to_string());
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

/// `GET path` on `addr`.
pub async fn get_at(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
    request_raw_at(addr, "GET", path, headers, Vec::new()).await
}

pub async fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
    request(port, "GET", path, headers, None).await
}

/// An admin request with the stack's service token, to a core's staff listener `port`.
pub async fn admin(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Answer> {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    request(port, method, path, &[("authorization", &auth)], body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_flags_replace_the_stack_s_or_add_to_them() {
        let wiring = Wiring {
            placement: Arc::new(Loopback),
            regions_dir: regions::workspace_regions_dir(),
            db_url: "postgres://postgres@127.0.0.1:5432/t".into(),
            partners: Partners { payments: 1, warehouse: 2, parcelo: 3, classicpost: 4, mail_smtp: 5 },
            env: Vec::new(),
            logs: None,
            core_flags: vec![
                ("--outbox-retry-max-ms".into(), "5000".into()),
                ("--outbox-max-attempts".into(), "60".into()),
            ],
        };
        let cmd = wiring.core("eu-west", (10, 11, None)).unwrap();
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let value = |flag: &str| {
            let at = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} in {args:?}"));
            assert_eq!(args.iter().filter(|a| *a == flag).count(), 1, "{flag} once");
            args[at + 1].clone()
        };
        assert_eq!(value("--outbox-retry-max-ms"), "5000");
        assert_eq!(value("--outbox-max-attempts"), "60");
        assert_eq!(value("--listen"), "127.0.0.1:10");
        assert_eq!(value("--database-url"), "postgres://postgres@127.0.0.1:5432/t");
    }
}
