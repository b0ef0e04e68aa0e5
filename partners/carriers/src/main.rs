//! `carrier-standin`: a local parcel carrier, REST or XML (see the library's docs for the APIs).
//!
//! ```text
//! cargo run -p partners-carriers -- --personality rest --client-id shop --client-secret cs_local \
//!     --webhook-url http://127.0.0.1:7001/webhooks/carriers/parcelo --webhook-secret whsec_parcelo
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use partners_carriers::{Config, Personality, StandIn};

#[derive(Debug, Parser)]
#[command(name = "carrier-standin", about = "Local stand-in for a parcel carrier")]
struct Settings {
    /// `rest` (JSON with access tokens) or `xml` (the legacy XML API).
    #[arg(long, env = "CARRIER_PERSONALITY", default_value = "rest")]
    personality: String,
    /// Address to listen on.
    #[arg(long, env = "CARRIER_LISTEN", default_value = "127.0.0.1:7203")]
    listen: SocketAddr,
    /// `rest`: the client id; `xml`: the account number.
    #[arg(long, alias = "account", env = "CARRIER_CLIENT_ID")]
    client_id: String,
    /// `rest`: the client secret; `xml`: the account's password.
    #[arg(long, alias = "password", env = "CARRIER_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Where tracking webhooks go; none: they are not sent.
    #[arg(long, env = "CARRIER_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// The secret tracking webhooks are signed with (`Carrier-Signature`).
    #[arg(long, env = "CARRIER_WEBHOOK_SECRET", hide_env_values = true, default_value = "")]
    webhook_secret: String,
    /// First retry delay of an unacknowledged webhook, doubled per attempt.
    #[arg(long, default_value_t = 500)]
    webhook_retry_base_ms: u64,
    /// Attempts per webhook.
    #[arg(long, default_value_t = 20)]
    webhook_max_attempts: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::logs::init("carrier", telemetry::logs::Target::Stdout);
    let s = Settings::parse();
    let personality = Personality::parse(&s.personality).context("--personality must be `rest` or `xml`")?;
    if s.webhook_url.is_some() && s.webhook_secret.is_empty() {
        anyhow::bail!("--webhook-url needs --webhook-secret");
    }
    let config = Config {
        personality,
        client_id: s.client_id,
        client_secret: s.client_secret,
        webhook_url: s.webhook_url,
        webhook_secret: s.webhook_secret,
        webhook_retry_base: Duration::from_millis(s.webhook_retry_base_ms.max(1)),
        webhook_max_attempts: s.webhook_max_attempts.max(1),
    };
    let listener = tokio::net::TcpListener::bind(s.listen).await.with_context(|| format!("binding {}", s.listen))?;
    tracing::info!(addr = %s.listen, personality = %s.personality, "carrier stand-in listening");
    axum::serve(listener, partners_carriers::app(StandIn::new(config)))
        .with_graceful_shutdown(partners_standin::stop_requested())
        .await?;
    tracing::info!("carrier stand-in stopped");
    Ok(())
}
