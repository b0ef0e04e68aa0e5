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
    /// Address of the admin listener serving `/metrics` to the monitoring network, apart from
    /// the API (which the edge forwards shoppers to); none: no metrics served.
    #[arg(long, env = "SHOP_CORE_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
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
    /// Key that signs shoppers' and staff's session tokens (at least 32 bytes), the same on
    /// every core of every region. Without one, a random key is used: sessions then only work
    /// on this process, until it stops.
    #[arg(long, env = "SHOP_SESSION_SECRET", hide_env_values = true, value_parser = crate::auth::SessionSecret::parse)]
    pub session_secret: Option<crate::auth::SessionSecret>,
    /// How often to reload the catalog metadata (categories, attributes) written elsewhere.
    /// Base URL of the payment provider's merchant API; without it checkout answers 503.
    #[arg(long, env = "SHOP_PAYMENTS_URL")]
    pub payments_url: Option<String>,

    /// The merchant API key at the payment provider.
    #[arg(long, env = "SHOP_PAYMENTS_API_KEY", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub payments_api_key: Option<Secret>,

    /// The secret the provider signs its webhooks with.
    #[arg(long, env = "SHOP_PAYMENTS_WEBHOOK_SECRET", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub payments_webhook_secret: Option<Secret>,

    /// How long a call to the payment provider may take before its outcome is left to the
    /// provider's webhook or to reconciliation.
    #[arg(long, env = "SHOP_PAYMENTS_TIMEOUT_MS", default_value_t = 5000)]
    pub payments_timeout_ms: u64,

    /// How often unsettled payments and expired stock holds are reconciled with the provider.
    #[arg(long, env = "SHOP_RECONCILE_MS", default_value_t = 10_000)]
    pub reconcile_ms: u64,

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
        if self.admin_listen.is_some_and(|admin| admin == listen) {
            anyhow::bail!("--admin-listen must not be the API's --listen address");
        }
        if self.db_max_connections == 0 {
            anyhow::bail!("--db-max-connections must be at least 1");
        }
        Ok(Resolved { regions, listen })
    }

    pub fn meta_refresh(&self) -> Duration {
        Duration::from_millis(self.meta_refresh_ms.max(100))
    }
}
