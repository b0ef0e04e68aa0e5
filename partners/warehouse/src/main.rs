//! `warehouse-standin`: the local warehouse system (see the library's docs for the API).
//!
//! ```text
//! cargo run -p partners-warehouse -- --api-key wms_local --inbound-secret whsec_shop \
//!     --callback-url http://127.0.0.1:7001/webhooks/warehouse --webhook-secret whsec_wms
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use partners_warehouse::{Config, StandIn};

#[derive(Debug, Parser)]
#[command(name = "warehouse-standin", about = "Local stand-in for the warehouse system")]
struct Settings {
    /// Address to listen on.
    #[arg(long, env = "WMS_LISTEN", default_value = "127.0.0.1:7202")]
    listen: SocketAddr,
    /// The API key the platform presents.
    #[arg(long, env = "WMS_API_KEY", hide_env_values = true)]
    api_key: String,
    /// The secret the platform signs its requests with (`Shop-Signature`).
    #[arg(long, env = "WMS_INBOUND_SECRET", hide_env_values = true)]
    inbound_secret: String,
    /// Where shipped callbacks go; none: they are not sent.
    #[arg(long, env = "WMS_CALLBACK_URL")]
    callback_url: Option<String>,
    /// The secret callbacks are signed with (`Warehouse-Signature`).
    #[arg(long, env = "WMS_WEBHOOK_SECRET", hide_env_values = true, default_value = "")]
    webhook_secret: String,
    /// First retry delay of an unacknowledged callback, doubled per attempt.
    #[arg(long, default_value_t = 500)]
    callback_retry_base_ms: u64,
    /// Attempts per callback.
    #[arg(long, default_value_t = 20)]
    callback_max_attempts: u32,
    /// Ship every pick as soon as it is taken.
    #[arg(long)]
    auto_ship: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::logs::init("warehouse", telemetry::logs::Target::Stdout);
    let s = Settings::parse();
    if s.callback_url.is_some() && s.webhook_secret.is_empty() {
        anyhow::bail!("--callback-url needs --webhook-secret");
    }
    let config = Config {
        api_key: s.api_key,
        inbound_secret: s.inbound_secret,
        callback_url: s.callback_url,
        webhook_secret: s.webhook_secret,
        callback_retry_base: Duration::from_millis(s.callback_retry_base_ms.max(1)),
        callback_max_attempts: s.callback_max_attempts.max(1),
        auto_ship: s.auto_ship,
    };
    let listener = tokio::net::TcpListener::bind(s.listen).await.with_context(|| format!("binding {}", s.listen))?;
    tracing::info!(addr = %s.listen, "warehouse stand-in listening");
    axum::serve(listener, partners_warehouse::app(StandIn::new(config)))
        .with_graceful_shutdown(partners_standin::stop_requested())
        .await?;
    tracing::info!("warehouse stand-in stopped");
    Ok(())
}
