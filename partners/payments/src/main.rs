//! `payments-standin`: the local card payment provider (see the library's docs for the API).
//!
//! ```text
//! cargo run -p partners-payments -- --api-key sk_test_local \
//!     --webhook-url http://127.0.0.1:7001/webhooks/payments --webhook-secret whsec_local
//! ```

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use partners_payments::settings::Settings;

/// How long open requests may finish after SIGTERM or SIGINT.
const GRACE: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::logs::init("payments", telemetry::logs::Target::Stdout);
    let settings = Settings::parse();
    let config = settings.resolve()?;
    if settings.check_config {
        let webhooks = match &config.delivery.target {
            Some((url, _)) => format!("webhooks to {url} (up to {} attempts)", config.delivery.max_attempts),
            None => "no webhook url (events discarded)".to_string(),
        };
        println!("ok: listen {}, {webhooks}, knobs {:?}", settings.listen, config.knobs);
        return Ok(());
    }

    let listener =
        tokio::net::TcpListener::bind(settings.listen).await.with_context(|| format!("binding {}", settings.listen))?;
    let local = listener.local_addr()?;
    let app = partners_payments::app(&config, local);
    tracing::info!(
        addr = %local,
        webhook_url = config.delivery.target.as_ref().map(|(u, _)| u.to_string()).unwrap_or_default(),
        knobs = ?config.knobs,
        "payments stand-in listening"
    );
    partners_payments::server::serve(listener, app, partners_standin::stop_requested(), GRACE).await;
    tracing::info!("payments stand-in stopped");
    Ok(())
}
