//! The local development database: a private PostgreSQL in `.local/pg`, database `shop`.

use anyhow::{Context, Result};
use testkit::{PgOptions, PgServer};
use tokio_postgres::NoTls;

/// Port of the development PostgreSQL.
pub const DEV_PG_PORT: u16 = 7432;
pub const DEV_DB: &str = "shop";

/// The development cluster's project folder.
pub fn dir() -> std::path::PathBuf {
    testkit::workspace_root().join(".local").join("pg")
}

/// The development PostgreSQL's settings in project folder `dir`: its log archived into the
/// local backups.
pub fn options(dir: std::path::PathBuf) -> Result<PgOptions> {
    let mut opts = PgOptions::new(dir, DEV_PG_PORT);
    opts.shared_buffers = "1GB".into();
    opts.settings = crate::backups::archive_settings()?;
    Ok(opts)
}

/// Starts (or attaches to) the development PostgreSQL.
pub fn start() -> Result<PgServer> {
    PgServer::start(options(dir())?)
}

/// Creates `name` if missing and applies pending migrations for `regions`; returns its URL.
pub async fn prepare(server: &PgServer, name: &str, regions: &regions::Catalog) -> Result<String> {
    let (admin, conn) = tokio_postgres::connect(&server.url("postgres"), NoTls).await?;
    let task = tokio::spawn(conn);
    let exists = admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await?.is_some();
    if !exists {
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await?;
    }
    drop(admin);
    let _ = task.await;
    let url = server.url(name);
    migrate(&url, regions).await?;
    Ok(url)
}

/// Applies pending migrations (regions in folder order, the first as primary).
pub async fn migrate(url: &str, regions: &regions::Catalog) -> Result<()> {
    let (mut client, conn) = tokio_postgres::connect(url, NoTls).await.context("connecting to migrate")?;
    let task = tokio::spawn(conn);
    let ids: Vec<String> = regions.regions().map(|r| r.id.clone()).collect();
    let report = core_store::migrate::migrate(&mut client, &ids).await?;
    if !report.applied.is_empty() {
        eprintln!("applied {} migrations", report.applied.len());
    }
    drop(client);
    let _ = task.await;
    Ok(())
}

/// Number of SKUs in the catalog.
pub async fn sku_count(url: &str) -> Result<i64> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let n: i64 = client.query_one("SELECT count(*) FROM variants", &[]).await?.get(0);
    drop(client);
    let _ = task.await;
    Ok(n)
}
