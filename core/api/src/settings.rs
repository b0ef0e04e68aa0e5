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
    /// The regions folder (regions and market files); default: the first `regions/` folder in
    /// the working folder or above it, else beside the executable or above it.
    #[arg(long, env = "SHOP_REGIONS_DIR", value_name = "PATH")]
    pub regions_dir: Option<PathBuf>,
    /// Address to listen on; defaults to 127.0.0.1 and the region's dev core port.
    #[arg(long, env = "SHOP_CORE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Address of the admin listener serving `/metrics` to the monitoring network, apart from
    /// the API (which the edge forwards shoppers to); none: no metrics served.
    #[arg(long, env = "SHOP_CORE_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// Address of the staff listener serving the admin API (`/admin/v1/…`) to staff, on a
    /// private network that no edge routes to; defaults to 127.0.0.1 and the region's dev core
    /// port + 10.
    #[arg(long, env = "SHOP_CORE_STAFF_LISTEN")]
    pub staff_listen: Option<SocketAddr>,
    /// What this process runs as. Outside `development` the service token (`--admin-token`) is
    /// refused: staff log in as themselves, with the second factor.
    #[arg(long, env = "SHOP_ENVIRONMENT", value_enum, default_value_t = Environment::Production)]
    pub environment: Environment,
    /// PostgreSQL or CockroachDB URL.
    #[arg(long, env = "SHOP_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// Most database connections this process holds.
    #[arg(long, env = "SHOP_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: usize,
    /// Service token of the admin API (`Authorization: Bearer …`), a shared secret for local
    /// tooling: development only (the core refuses to start with one otherwise). Staff use
    /// their own sessions.
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

    /// How often the catalog metadata (categories, attributes) is checked for changes made
    /// through another core; it is reloaded when the change feed moved, and every minute.
    #[arg(long, env = "SHOP_META_REFRESH_MS", default_value_t = 2000)]
    pub meta_refresh_ms: u64,

    /// Deliver this region's outbox events (`false` on cores that should not, say during a
    /// migration).
    #[arg(long, env = "SHOP_OUTBOX_DISPATCH", default_value_t = true, action = clap::ArgAction::Set)]
    pub outbox_dispatch: bool,
    /// Pause between outbox scans that found nothing due.
    #[arg(long, env = "SHOP_OUTBOX_POLL_MS", default_value_t = 100)]
    pub outbox_poll_ms: u64,
    /// Most outbox events leased per scan.
    #[arg(long, env = "SHOP_OUTBOX_BATCH", default_value_t = 64)]
    pub outbox_batch: i64,
    /// How long a dispatcher holds the events it leased; at least twice the delivery timeout.
    #[arg(long, env = "SHOP_OUTBOX_LEASE_MS", default_value_t = 15_000)]
    pub outbox_lease_ms: u64,
    /// Longest one delivery to a partner may take.
    #[arg(long, env = "SHOP_OUTBOX_DELIVERY_TIMEOUT_MS", default_value_t = 5000)]
    pub outbox_delivery_timeout_ms: u64,
    /// Delivery attempts before an event is dead (until an operator replays it).
    #[arg(long, env = "SHOP_OUTBOX_MAX_ATTEMPTS", default_value_t = 12)]
    pub outbox_max_attempts: i32,
    /// First retry delay after a failed delivery, doubled per attempt (with jitter).
    #[arg(long, env = "SHOP_OUTBOX_RETRY_BASE_MS", default_value_t = 500)]
    pub outbox_retry_base_ms: u64,
    /// Longest retry delay.
    #[arg(long, env = "SHOP_OUTBOX_RETRY_MAX_MS", default_value_t = 300_000)]
    pub outbox_retry_max_ms: u64,
    /// Hours a delivered or skipped event (and its delivery log) is kept before it is purged;
    /// 0 keeps them forever. Dead events are kept until an operator replays them.
    #[arg(long, env = "SHOP_OUTBOX_RETENTION_HOURS", default_value_t = 168)]
    pub outbox_retention_hours: u64,
    /// A generic event subscriber, `TOPIC_PREFIX[,TOPIC_PREFIX…]=URL`: events whose topic starts
    /// with a prefix are POSTed there as signed JSON (repeatable).
    #[arg(long = "outbox-webhook", env = "SHOP_OUTBOX_WEBHOOKS", value_delimiter = ';')]
    pub outbox_webhooks: Vec<String>,
    /// Base URL of the warehouse system; without it no pick requests are sent and stock feed
    /// pulls answer 503.
    #[arg(long, env = "SHOP_WAREHOUSE_URL")]
    pub warehouse_url: Option<String>,
    /// The API key at the warehouse system.
    #[arg(long, env = "SHOP_WAREHOUSE_API_KEY", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub warehouse_api_key: Option<Secret>,
    /// The secret the warehouse system signs its callbacks with.
    #[arg(long, env = "SHOP_WAREHOUSE_WEBHOOK_SECRET", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub warehouse_webhook_secret: Option<Secret>,
    /// Base URL of the `parcelo` carrier (JSON REST); without it, that carrier is not offered.
    #[arg(long, env = "SHOP_CARRIER_PARCELO_URL")]
    pub carrier_parcelo_url: Option<String>,
    /// The client id of our `parcelo` account.
    #[arg(long, env = "SHOP_CARRIER_PARCELO_CLIENT_ID", default_value = "shop")]
    pub carrier_parcelo_client_id: String,
    /// The client secret of our `parcelo` account (exchanged for access tokens).
    #[arg(long, env = "SHOP_CARRIER_PARCELO_CLIENT_SECRET", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub carrier_parcelo_client_secret: Option<Secret>,
    /// The secret `parcelo` signs its tracking webhooks with.
    #[arg(long, env = "SHOP_CARRIER_PARCELO_WEBHOOK_SECRET", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub carrier_parcelo_webhook_secret: Option<Secret>,
    /// Base URL of the `classicpost` carrier (legacy XML); without it, that carrier is not
    /// offered.
    #[arg(long, env = "SHOP_CARRIER_CLASSICPOST_URL")]
    pub carrier_classicpost_url: Option<String>,
    /// Our `classicpost` account number.
    #[arg(long, env = "SHOP_CARRIER_CLASSICPOST_ACCOUNT", default_value = "shop")]
    pub carrier_classicpost_account: String,
    /// The password of our `classicpost` account.
    #[arg(long, env = "SHOP_CARRIER_CLASSICPOST_PASSWORD", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub carrier_classicpost_password: Option<Secret>,
    /// How long a cart quote or checkout waits for carriers' rates before pricing shipping from
    /// the market's fallback table (milliseconds).
    #[arg(long, env = "SHOP_CARRIER_RATES_TIMEOUT_MS", default_value_t = 400)]
    pub carrier_rates_timeout_ms: u64,
    /// How long carriers' rates are reused, per carrier, origin, destination and weight band
    /// (milliseconds).
    #[arg(long, env = "SHOP_CARRIER_RATES_TTL_MS", default_value_t = 600_000)]
    pub carrier_rates_ttl_ms: u64,
    /// The secret `classicpost` signs its tracking webhooks with.
    #[arg(long, env = "SHOP_CARRIER_CLASSICPOST_WEBHOOK_SECRET", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub carrier_classicpost_webhook_secret: Option<Secret>,
    /// The secret outbox webhooks (and requests to the warehouse system) are signed with.
    #[arg(long, env = "SHOP_OUTBOX_WEBHOOK_SECRET", hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(Secret::new(s)))]
    pub outbox_webhook_secret: Option<Secret>,
    /// The mail relay transactional e-mails go through: `smtp://host:port` (a relay on the
    /// private network), `smtp://host:587?tls=required` (STARTTLS), `smtps://host` (TLS), with
    /// `user:password@` when it asks for credentials. Without one, e-mail events are kept in the
    /// outbox as skipped.
    #[arg(long, env = "SHOP_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of transactional e-mails.
    #[arg(long, env = "SHOP_MAIL_FROM", default_value = "Shop <no-reply@shop.example>")]
    pub mail_from: String,
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
    /// Create a staff administrator (the first one of a new installation), audited; the
    /// password is read from `SHOP_STAFF_PASSWORD` or the first line of standard input. They
    /// enrol their second factor at their first login.
    CreateAdmin {
        /// Their e-mail address (their login).
        #[arg(long)]
        email: String,
        /// Their name.
        #[arg(long)]
        name: String,
    },
}

/// What a core runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    /// A developer's machine or a test: the service token is allowed.
    Development,
    /// Shared or production installations: staff authenticate as themselves.
    Staging,
    Production,
}

/// Settings checked against the regions folder.
#[derive(Debug)]
pub struct Resolved {
    pub regions: regions::Catalog,
    pub listen: SocketAddr,
    pub staff_listen: SocketAddr,
}

impl Settings {
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let dir = match &self.regions_dir {
            Some(dir) => dir.clone(),
            None => regions::find_regions_dir().ok_or_else(|| {
                anyhow::anyhow!("no regions folder found here or beside the executable: give --regions-dir")
            })?,
        };
        let regions = regions::Catalog::load(&dir)?;
        let region = regions.region(&self.region).ok_or_else(|| {
            let known: Vec<_> = regions.regions().map(|r| r.id.clone()).collect();
            anyhow::anyhow!("unknown region `{}` (known: {})", self.region, known.join(", "))
        })?;
        let listen = self.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], region.dev.core_port)));
        let staff_listen = self
            .staff_listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], region.dev.core_port.saturating_add(10))));
        if self.admin_listen.is_some_and(|admin| admin == listen) {
            anyhow::bail!("--admin-listen must not be the API's --listen address");
        }
        if staff_listen == listen || self.admin_listen == Some(staff_listen) {
            anyhow::bail!("--staff-listen must be an address of its own, not --listen's or --admin-listen's");
        }
        if self.admin_token.is_some() && self.environment != Environment::Development {
            anyhow::bail!(
                "--admin-token (SHOP_ADMIN_TOKEN) is a development-only shared secret and this core runs as {:?}: \
                 staff log in as themselves (POST /admin/v1/sessions with the second factor); create the first \
                 administrator with `core-server create-admin`",
                self.environment
            );
        }
        if self.db_max_connections == 0 {
            anyhow::bail!("--db-max-connections must be at least 1");
        }
        if self.outbox_lease_ms < 2 * self.outbox_delivery_timeout_ms {
            anyhow::bail!("--outbox-lease-ms must be at least twice --outbox-delivery-timeout-ms");
        }
        if self.outbox_batch < 1 || self.outbox_max_attempts < 1 {
            anyhow::bail!("--outbox-batch and --outbox-max-attempts must be at least 1");
        }
        for w in &self.outbox_webhooks {
            parse_webhook(w)?;
        }
        Ok(Resolved { regions, listen, staff_listen })
    }

    pub fn meta_refresh(&self) -> Duration {
        Duration::from_millis(self.meta_refresh_ms.max(100))
    }

    /// How the outbox dispatcher works.
    pub fn dispatch(&self) -> core_app::outbox::DispatchConfig {
        core_app::outbox::DispatchConfig {
            poll: Duration::from_millis(self.outbox_poll_ms.max(1)),
            batch: self.outbox_batch,
            concurrency: 32,
            lease: Duration::from_millis(self.outbox_lease_ms),
            delivery_timeout: Duration::from_millis(self.outbox_delivery_timeout_ms),
            max_attempts: self.outbox_max_attempts,
            retry_base: Duration::from_millis(self.outbox_retry_base_ms.max(1)),
            retry_max: Duration::from_millis(self.outbox_retry_max_ms.max(self.outbox_retry_base_ms.max(1))),
            retention: (self.outbox_retention_hours > 0)
                .then(|| Duration::from_secs(self.outbox_retention_hours * 3600)),
        }
    }

    /// The carriers configured (a URL and credentials each).
    pub fn carriers(&self) -> Vec<std::sync::Arc<dyn core_partners::carriers::Carrier>> {
        use core_partners::carriers::{RestCarrier, XmlCarrier};
        let secret = |s: &Option<Secret>| s.clone().unwrap_or_else(|| Secret::new(""));
        let mut carriers: Vec<std::sync::Arc<dyn core_partners::carriers::Carrier>> = Vec::new();
        if let (Some(url), Some(key)) = (&self.carrier_parcelo_url, &self.carrier_parcelo_client_secret) {
            let webhook = secret(&self.carrier_parcelo_webhook_secret);
            carriers.push(std::sync::Arc::new(RestCarrier::new(
                url,
                &self.carrier_parcelo_client_id,
                key.clone(),
                webhook,
            )));
        }
        if let (Some(url), Some(password)) = (&self.carrier_classicpost_url, &self.carrier_classicpost_password) {
            let webhook = secret(&self.carrier_classicpost_webhook_secret);
            let account = &self.carrier_classicpost_account;
            carriers.push(std::sync::Arc::new(XmlCarrier::new(url, account, password.clone(), webhook)));
        }
        carriers
    }
}

/// A `--outbox-webhook` value: the topic prefixes and the URL.
pub fn parse_webhook(s: &str) -> anyhow::Result<(Vec<String>, String)> {
    let (prefixes, url) =
        s.split_once('=').ok_or_else(|| anyhow::anyhow!("--outbox-webhook `{s}`: expected PREFIX[,PREFIX…]=URL"))?;
    if !url.starts_with("http://") && !url.starts_with("https://") {
        anyhow::bail!("--outbox-webhook `{s}`: the URL must be http:// or https://");
    }
    let prefixes: Vec<String> = prefixes.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    if prefixes.is_empty() {
        anyhow::bail!("--outbox-webhook `{s}`: no topic prefix");
    }
    Ok((prefixes, url.to_string()))
}
