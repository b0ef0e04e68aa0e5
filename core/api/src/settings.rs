//! Settings of the `core-server` binary: defaults, then the region's file in `regions/`, then
//! command-line flags or environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::state::Secret;

#[derive(Debug, Parser)]
#[command(name = "core-server", about = "The core service of one region")]
pub struct Settings {
    /// The region this process serves (a folder of `regions/`).
    #[arg(long, env = "SHOP_REGION")]
    pub region: String,
    /// The regions folder (regions and market files).
    #[arg(long, env = "SHOP_REGIONS_DIR", default_value_os_t = regions::workspace_regions_dir())]
    pub regions_dir: PathBuf,
    /// Address to listen on; defaults to 127.0.0.1 and the region's dev core port.
    #[arg(long, env = "SHOP_CORE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// PostgreSQL or CockroachDB URL.
    #[arg(long, env = "SHOP_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// Most database connections this process holds.
    #[arg(long, env = "SHOP_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: usize,
    /// Service token of the admin API (`Authorization: Bearer …`). Without one the admin API
    /// refuses every request.
    #[arg(long, env = "SHOP_ADMIN_TOKEN", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub admin_token: Option<Secret>,
    /// How often to reload the catalog metadata (categories, attributes) written elsewhere.
    #[arg(long, env = "SHOP_META_REFRESH_MS", default_value_t = 2000)]
    pub meta_refresh_ms: u64,
    /// Check the settings and the regions folder, print a summary, and exit.
    #[arg(long)]
    pub check_config: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending database migrations and exit.
    Migrate,
}

/// Settings checked against the regions folder.
#[derive(Debug)]
pub struct Resolved {
    pub regions: regions::Catalog,
    pub listen: SocketAddr,
}

impl Settings {
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let regions = regions::Catalog::load(&self.regions_dir)?;
        let region = regions.region(&self.region).ok_or_else(|| {
            let known: Vec<_> = regions.regions().map(|r| r.id.clone()).collect();
            anyhow::anyhow!("unknown region `{}` (known: {})", self.region, known.join(", "))
        })?;
        let listen = self.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], region.dev.core_port)));
        if self.db_max_connections == 0 {
            anyhow::bail!("--db-max-connections must be at least 1");
        }
        Ok(Resolved { regions, listen })
    }

    pub fn meta_refresh(&self) -> Duration {
        Duration::from_millis(self.meta_refresh_ms.max(100))
    }
}
