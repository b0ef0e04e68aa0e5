//! The platform a run works on: the end-to-end tests' [`Stack`], either all on 127.0.0.1
//! ([`Topology::loopback`], for the smoke scenario of `cargo xtask test`) or each region's core
//! and edge, the database, the partners and the shoppers in network namespaces of their own,
//! with a fault proxy on each region's links to the database and the partners
//! ([`Topology::namespaced`], for `cargo xtask chaos`).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use stack_tests::{Placement, Role, Stack, StackBuilder};
use testkit::{ChildProcess, PgOptions, PgServer, TestDb};

use crate::load::Product;
use crate::net::Net;
use crate::proxy::{self, NewLink, Toxics};
use crate::state::Units;

/// Sites of the namespaced topology besides the regions.
const DATABASE: &str = "db";
const PARTNERS: &str = "partners";
/// The shoppers' namespace.
pub const SHOPPERS: &str = "shoppers";
/// Port of each region's fault proxy control API, in the region's namespace.
const PROXY_CONTROL_PORT: u16 = 9100;
/// Port of the run's database server, in its namespace.
const DATABASE_PORT: u16 = 5432;

/// Where processes go in the namespaced topology, and the fault proxy links of each region.
struct Namespaces {
    /// Site name → (namespace, address).
    sites: BTreeMap<String, (String, IpAddr)>,
    /// Region → its fault proxy's control API.
    proxies: BTreeMap<String, SocketAddr>,
    /// Links opened so far: (region, link name) → where the region's processes connect.
    links: Mutex<BTreeMap<(String, String), SocketAddr>>,
}

impl Namespaces {
    fn site(role: &Role) -> String {
        match role {
            Role::Core(r) | Role::Edge(r) => r.clone(),
            Role::Database => DATABASE.into(),
            Role::Payments | Role::Warehouse | Role::Carrier(_) | Role::Mail => PARTNERS.into(),
        }
    }

    /// The fault proxy link a region's core reaches `to` through.
    fn link_name(to: &Role) -> Option<String> {
        match to {
            Role::Database => Some("database".into()),
            Role::Payments => Some("payments".into()),
            Role::Warehouse => Some("warehouse".into()),
            Role::Carrier(c) => Some(c.clone()),
            Role::Mail => Some("mail".into()),
            Role::Core(_) | Role::Edge(_) => None,
        }
    }
}

impl Placement for Namespaces {
    fn host(&self, role: &Role) -> IpAddr {
        self.sites.get(&Self::site(role)).map_or(IpAddr::from([127, 0, 0, 1]), |(_, ip)| *ip)
    }

    fn command(&self, role: &Role, program: &Path) -> Command {
        let mut cmd = Command::new("ip");
        if let Some((ns, _)) = self.sites.get(&Self::site(role)) {
            cmd.args(["netns", "exec", ns]);
        }
        cmd.arg(program);
        cmd
    }

    fn route(&self, from: &Role, to: &Role, addr: SocketAddr) -> Result<SocketAddr> {
        let (Role::Core(region), Some(name)) = (from, Self::link_name(to)) else { return Ok(addr) };
        let mut links = self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(listen) = links.get(&(region.clone(), name.clone())) {
            return Ok(*listen);
        }
        let control = *self.proxies.get(region).with_context(|| format!("no fault proxy in {region}"))?;
        let link = NewLink { name: name.clone(), listen: "127.0.0.1:0".parse()?, upstream: addr };
        let listen = proxy::control::open(control, &link)?;
        links.insert((region.clone(), name), listen);
        Ok(listen)
    }
}

/// What the namespaced topology owns besides the stack.
/// Fields drop in order: the processes first, the namespaces they run in last.
pub struct Isolated {
    /// The fault proxies, one per region.
    proxies: Vec<ChildProcess>,
    /// The database server (stopped and started by scenarios).
    pg: Option<PgServer>,
    pg_opts: PgOptions,
    namespaces: Arc<Namespaces>,
    net: Net,
}

/// The stack, its network when it has one, and what a run set up on it.
pub struct Topology {
    pub stack: Stack,
    /// Products shoppers buy, most popular first.
    pub products: Vec<Product>,
    /// The flash sale's product, with little stock.
    pub flash: Product,
    /// Stock per variant before any load.
    pub stock_before: BTreeMap<String, Units>,
    /// The namespaces; `None` on loopback. Dropped last (after the processes in them).
    isolated: Option<Isolated>,
}

/// The stack of chaos runs, `skus` seeded, with core flags closer to production than the test
/// stack's: an outbox that keeps retrying for minutes (the test stack's gives up after about
/// 10 s, which a one-minute partner outage outlasts), and the default pool of 16 database
/// connections (the test stack's 4 spare a shared test server).
fn chaos_stack(skus: u64) -> StackBuilder {
    Stack::builder()
        .seeded_skus(skus)
        .core_flag("--outbox-retry-max-ms", "5000")
        .core_flag("--outbox-max-attempts", "60")
        .core_flag("--db-max-connections", "16")
}

/// Units of the flash sale's product in each region's stocking warehouse.
pub const FLASH_STOCK: i64 = 30;

impl Topology {
    /// Everything on 127.0.0.1: `cargo xtask test`'s database server, `skus` seeded.
    pub async fn loopback(skus: u64, logs: Option<PathBuf>) -> Result<Self> {
        Self::loopback_on(skus, logs, None).await
    }

    /// Everything on 127.0.0.1 over database `db` (migrated) when given, else over a fresh
    /// one of `cargo xtask test`'s server; `skus` seeded.
    pub async fn loopback_on(skus: u64, logs: Option<PathBuf>, db: Option<TestDb>) -> Result<Self> {
        let mut builder = chaos_stack(skus);
        if let Some(dir) = logs {
            builder = builder.logs(dir);
        }
        if let Some(db) = db {
            builder = builder.database(db);
        }
        let stack = builder.start().await?;
        Self::prepared(stack, None).await
    }

    /// Each region, the database, the partners and the shoppers in their own namespaces; the
    /// database's files in `dir`.
    pub async fn namespaced(skus: u64, dir: &Path) -> Result<Self> {
        let regions = regions::Catalog::load_workspace()?;
        let mut sites: Vec<&str> = regions.regions().map(|r| r.id.as_str()).collect();
        sites.extend([DATABASE, PARTNERS, SHOPPERS]);
        let net = Net::create(&sites)?;
        let mut ns_sites = BTreeMap::new();
        for site in &sites {
            ns_sites.insert(site.to_string(), (net.ns(site), IpAddr::V4(net.ip(site)?)));
        }
        let bin = testkit::bin_dir();
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let mut proxies = Vec::new();
        let mut controls = BTreeMap::new();
        for region in regions.regions() {
            let control = SocketAddr::new(IpAddr::V4(net.ip(&region.id)?), PROXY_CONTROL_PORT);
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", &net.ns(&region.id)]).arg(bin.join("chaos-proxy"));
            cmd.args(["--control", &control.to_string()]);
            let log = logs.join(format!("proxy-{}.log", region.id));
            proxies.push(ChildProcess::spawn(&format!("fault proxy {}", region.id), cmd, Some(&log))?);
            tokio::task::spawn_blocking(move || {
                testkit::wait_for_http_at(control, "/healthz", Duration::from_secs(30))
            })
            .await??;
            controls.insert(region.id.clone(), control);
        }
        let mut pg_opts = PgOptions::new(dir.join("pg"), DATABASE_PORT);
        pg_opts.listen = IpAddr::V4(net.ip(DATABASE)?);
        pg_opts.netns = Some(net.ns(DATABASE));
        pg_opts.trusted_networks = vec!["10.77.0.0/16".into()];
        pg_opts.unsafe_fast = true;
        pg_opts.shared_buffers = "256MB".into();
        pg_opts.max_connections = 300;
        let pg = tokio::task::spawn_blocking({
            let opts = pg_opts.clone();
            move || PgServer::start(opts)
        })
        .await??;
        let db = create_database(&pg, "shop").await?;
        let namespaces =
            Arc::new(Namespaces { sites: ns_sites, proxies: controls, links: Mutex::new(BTreeMap::new()) });
        let placement: Arc<dyn Placement> = namespaces.clone();
        let stack = chaos_stack(skus).logs(logs).placement(placement).database(db).start().await?;
        let isolated = Isolated { proxies, pg: Some(pg), pg_opts, namespaces, net };
        Self::prepared(stack, Some(isolated)).await
    }

    /// Picks the products, gives the flash sale's its stock, lets the warehouse ship what it
    /// is asked to pick, and reads the stock before any load.
    async fn prepared(stack: Stack, isolated: Option<Isolated>) -> Result<Self> {
        let sql = crate::collect::connect(&stack.db.url).await?;
        let markets: Vec<String> = stack.regions.regions().map(|r| r.default_market.as_str().to_string()).collect();
        let warehouses: Vec<String> = stack
            .regions
            .regions()
            .filter_map(|r| r.warehouses.iter().min_by_key(|w| (w.priority, w.id.clone())).map(|w| w.id.clone()))
            .collect();
        // Published products sold in every region's default market, with plenty of stock in
        // every region's stocking warehouse; in a fixed order, which is their popularity.
        let rows = sql
            .query(
                "SELECT p.id::text, v.id::text FROM products p JOIN variants v ON v.product_id = p.id \
                 WHERE p.status = 'published' \
                   AND (SELECT count(*) FROM product_markets m WHERE m.product_id = p.id AND m.market = ANY($1)) = cardinality($1) \
                   AND (SELECT count(*) FROM stock s WHERE s.variant_id = v.id AND s.warehouse = ANY($2) AND s.on_hand >= 100) = cardinality($2) \
                 ORDER BY v.sku LIMIT 201",
                &[&markets, &warehouses],
            )
            .await?;
        if rows.len() < 20 {
            bail!("only {} products fit for shoppers in the seeded catalog; seed more SKUs", rows.len());
        }
        let mut products: Vec<Product> =
            rows.iter().map(|r| Product { product: r.get(0), variant: r.get(1) }).collect();
        let flash = products.pop().context("no product for the flash sale")?;
        let http = crate::client::Client::new(Duration::from_secs(30));
        let auth = format!("Bearer {}", stack_tests::ADMIN_TOKEN);
        let first = stack.regions.regions().next().context("no region")?.id.clone();
        for w in &warehouses {
            let path = format!("/admin/v1/stock/{w}/{}", flash.variant);
            let body = serde_json::json!({"on_hand": FLASH_STOCK, "buckets": 4});
            let reply =
                http.call(stack.staff_addr(&first), "PUT", &path, &[("authorization", &auth)], Some(&body)).await;
            anyhow::ensure!(reply.status() == Some(204), "setting the flash sale's stock: {reply:?}");
        }
        let auth = format!("Bearer {}", stack_tests::WAREHOUSE_API_KEY);
        let body = serde_json::json!({"auto_ship": true});
        let reply =
            http.call(stack.warehouse_addr(), "POST", "/_control", &[("authorization", &auth)], Some(&body)).await;
        anyhow::ensure!(reply.status() == Some(200), "turning the warehouse's auto-ship on: {reply:?}");
        let stock_before = crate::collect::stock(&sql).await?;
        Ok(Self { stack, products, flash, stock_before, isolated })
    }

    /// Whether the run has namespaces (network faults, the fault proxy, a database it owns).
    pub fn is_isolated(&self) -> bool {
        self.isolated.is_some()
    }

    fn isolated(&self) -> Result<&Isolated> {
        self.isolated.as_ref().context("this fault needs the namespaced topology (cargo xtask chaos)")
    }

    /// The namespace of a site (a region, `db`, `partners`, `shoppers`).
    pub fn ns(&self, site: &str) -> Option<String> {
        self.isolated.as_ref().and_then(|i| i.namespaces.sites.get(site).map(|(ns, _)| ns.clone()))
    }

    /// Cuts every packet between `a` and `b` (sites).
    pub fn cut(&self, a: &str, b: &str) -> Result<()> {
        self.isolated()?.net.cut(a, b)
    }

    /// Drops `percent` % of the packets between `a` and `b`.
    pub fn lose(&self, a: &str, b: &str, percent: u8) -> Result<()> {
        self.isolated()?.net.lose(a, b, percent)
    }

    /// Removes every cut and loss.
    pub fn heal_network(&self) -> Result<()> {
        match &self.isolated {
            Some(i) => i.net.heal(),
            None => Ok(()),
        }
    }

    /// Sets `toxics` on link `link` (`database`, `payments`, `warehouse`, `parcelo`,
    /// `classicpost`, `*`) of every region's fault proxy.
    pub async fn toxics(&self, link: &str, toxics: Toxics) -> Result<()> {
        let controls: Vec<SocketAddr> = self.isolated()?.namespaces.proxies.values().copied().collect();
        let link = link.to_string();
        tokio::task::spawn_blocking(move || {
            for control in controls {
                proxy::control::set(control, &link, toxics)?;
            }
            anyhow::Ok(())
        })
        .await?
    }

    /// Stops the database server (fast shutdown).
    pub async fn stop_database(&mut self) -> Result<()> {
        let isolated = self.isolated.as_mut().context("the database belongs to cargo xtask test here")?;
        if let Some(mut pg) = isolated.pg.take() {
            tokio::task::spawn_blocking(move || pg.stop()).await?;
        }
        Ok(())
    }

    /// Starts the database server again.
    pub async fn start_database(&mut self) -> Result<()> {
        let isolated = self.isolated.as_mut().context("the database belongs to cargo xtask test here")?;
        if isolated.pg.is_none() {
            let opts = isolated.pg_opts.clone();
            isolated.pg = Some(tokio::task::spawn_blocking(move || PgServer::start(opts)).await??);
        }
        Ok(())
    }

    /// Runs `program` with `args` in the shoppers' namespace (or here on loopback).
    pub fn shoppers_command(&self, program: &Path) -> Command {
        match self.ns(SHOPPERS) {
            Some(ns) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", &ns]).arg(program);
                cmd
            }
            None => Command::new(program),
        }
    }

    /// Where Prometheus scrapes: every edge's and core's `/metrics`, with its job.
    pub fn scrape_targets(&self) -> Vec<(&'static str, SocketAddr)> {
        let mut targets = Vec::new();
        for region in self.stack.procs.keys() {
            let (edge, core) = self.stack.metrics_addrs(region);
            targets.push(("edge", edge));
            targets.push(("core", core));
        }
        targets
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if let Some(i) = &mut self.isolated {
            for p in &mut i.proxies {
                p.stop();
            }
        }
    }
}

/// Creates and migrates database `name` on `pg`.
pub async fn create_database(pg: &PgServer, name: &str) -> Result<TestDb> {
    let (admin, conn) = tokio_postgres::connect(&pg.url("postgres"), tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\"")).await?;
    admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await?;
    drop(admin);
    let _ = task.await;
    let url = pg.url(name);
    let regions = regions::Catalog::load_workspace()?;
    let ids: Vec<String> = regions.regions().map(|r| r.id.clone()).collect();
    core_store::migrate::migrate_url(&url, &ids).await?;
    Ok(TestDb { name: name.to_string(), url })
}
