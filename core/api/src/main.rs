//! `core-server`: the core service of one region.
//!
//! ```text
//! core-server --region eu-west --database-url postgres://postgres@127.0.0.1:7432/shop migrate
//! core-server --region eu-west --database-url postgres://postgres@127.0.0.1:7432/shop
//! ```

use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use core_api::settings::{Command, Settings};
use core_api::{AppState, Secret};
use core_store::{Store, StoreConfig};

/// Longest the catalog metadata goes without a reload, changes recorded or not.
const META_RELOAD_ANYWAY: std::time::Duration = std::time::Duration::from_secs(60);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::logs::init("core", telemetry::logs::Target::Stdout);
    let settings = Settings::parse();
    let resolved = settings.resolve()?;
    if settings.check_config {
        let region = resolved.regions.region(&settings.region).context("region")?;
        println!(
            "ok: region {} ({} markets: {}), listen {}, staff listen {}, {:?}",
            region.id,
            region.markets.len(),
            region.markets.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "),
            resolved.listen,
            resolved.staff_listen,
            settings.environment
        );
        return Ok(());
    }

    let mut config = StoreConfig::new(settings.database_url.clone());
    config.max_connections = settings.db_max_connections;
    config.application_name = format!("core-{}", settings.region);
    let store = Store::connect(&config)?;
    // Checkouts of a hot SKU take turns (one line per stock bucket); the one whose turn it is
    // gets one of these.
    let mut hot = config.clone();
    hot.max_connections = 8;
    hot.application_name = format!("core-{}-hot", settings.region);
    let hot_store = Store::connect(&hot)?;

    if let Some(Command::Migrate) = settings.command {
        let mut ids: Vec<String> = vec![settings.region.clone()];
        ids.extend(resolved.regions.regions().map(|r| r.id.clone()).filter(|r| *r != settings.region));
        let report = core_store::migrate::migrate_url(&settings.database_url, &ids).await?;
        println!("migrated ({:?}): {} applied", report.flavor, report.applied.len());
        return Ok(());
    }

    let auth = match settings.session_secret.clone() {
        Some(secret) => core_api::auth::Auth::new(secret),
        None => {
            tracing::warn!("no session secret (--session-secret): sessions only work on this process");
            core_api::auth::Auth::ephemeral()
        }
    };
    let app = core_app::App::open(store, Arc::new(resolved.regions), settings.region.clone()).await?;
    let state = AppState::of(app, settings.admin_token.clone().unwrap_or_else(|| Secret::new("")))
        .with_auth(auth)
        .with_hot_store(hot_store);
    if let Some(Command::CreateAdmin { email, name }) = &settings.command {
        let password = match std::env::var("SHOP_STAFF_PASSWORD") {
            Ok(p) => p,
            Err(_) => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
        };
        let id = core_app::accounts::staff::create_admin(&state, email, name, &password)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
        println!("administrator {id} created; they enrol their second factor at their first login");
        return Ok(());
    }
    let state = match (&settings.payments_url, &settings.payments_api_key) {
        (Some(url), Some(key)) => {
            let timeout = std::time::Duration::from_millis(settings.payments_timeout_ms);
            let gateway = core_partners::payments::HttpGateway::new(url.clone(), key.clone(), timeout);
            let secret = settings.payments_webhook_secret.clone().unwrap_or_else(|| Secret::new(""));
            if secret.expose().is_empty() {
                tracing::warn!("no payment webhook secret (--payments-webhook-secret): every webhook will be refused");
            }
            state.with_payments(Arc::new(gateway), secret)
        }
        _ => {
            tracing::warn!("no payment provider (--payments-url, --payments-api-key): checkout is unavailable");
            state
        }
    };
    let secret = settings.outbox_webhook_secret.clone().unwrap_or_else(|| Secret::new(""));
    let warehouse = match (&settings.warehouse_url, &settings.warehouse_api_key) {
        (Some(url), Some(key)) => {
            Some(Arc::new(core_partners::warehouse::WarehouseClient::new(url.clone(), key.clone(), secret.clone())))
        }
        _ => None,
    };
    let state = state.with_warehouse(
        warehouse.clone(),
        settings.warehouse_webhook_secret.clone().unwrap_or_else(|| Secret::new("")),
    );
    let carriers = Arc::new(settings.carriers());
    let state = state.with_carrier_rates(
        carriers.clone(),
        std::time::Duration::from_millis(settings.carrier_rates_timeout_ms),
        std::time::Duration::from_millis(settings.carrier_rates_ttl_ms),
    );
    let dispatcher = if settings.outbox_dispatch {
        let mut subscribers: Vec<Arc<dyn core_api::outbox::Subscriber>> = Vec::new();
        if let Some(client) = warehouse {
            subscribers.push(Arc::new(core_app::warehouse::PickSubscriber::new(&state, client)));
        }
        if !carriers.is_empty() {
            subscribers.push(Arc::new(core_app::carriers::ReturnLabelSubscriber::new(&state)));
            subscribers.push(Arc::new(core_app::carriers::LabelSubscriber::new(&state)));
        }
        if let Some(url) = &settings.smtp_url {
            let mailer = core_partners::mail::Mailer::new(url, &settings.mail_from)
                .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?;
            subscribers.push(Arc::new(core_api::mail::MailSubscriber::new(mailer, state.regions.clone())));
        }
        for (i, w) in settings.outbox_webhooks.iter().enumerate() {
            let (prefixes, url) = core_api::settings::parse_webhook(w)?;
            subscribers.push(Arc::new(core_api::outbox::WebhookSubscriber::new(
                format!("webhook-{i}"),
                prefixes,
                url,
                secret.clone(),
            )));
        }
        Some(core_app::outbox::Dispatcher::of(&state, subscribers, settings.dispatch()).spawn())
    } else {
        None
    };
    let reconciler = core_app::payments::spawn_reconciler(
        state.app.clone(),
        std::time::Duration::from_millis(settings.reconcile_ms),
    );
    let refresher = {
        let state = state.clone();
        let every = settings.meta_refresh();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // Reloaded when the change feed's metadata changes moved (every metadata write
            // records one), and every minute in case a change was not recorded.
            let mut mark = None;
            let mut loaded = std::time::Instant::now();
            loop {
                tick.tick().await;
                match state.metadata_mark().await {
                    Ok(now) if Some(now) == mark && loaded.elapsed() < META_RELOAD_ANYWAY => continue,
                    Ok(now) => mark = Some(now),
                    Err(e) => tracing::warn!(error = ?e, "checking catalog metadata for changes failed"),
                }
                match state.reload_meta().await {
                    Ok(()) => loaded = std::time::Instant::now(),
                    Err(e) => {
                        mark = None;
                        tracing::warn!(error = ?e, "reloading catalog metadata failed");
                    }
                }
            }
        })
    };

    // Markets added by configuration (taking another's assortment or deriving their prices)
    // get their listing rows built once, by whichever core claims the work first.
    let backfill = {
        let state = state.clone();
        let worker = format!("core-{}-{}", settings.region, std::process::id());
        tokio::spawn(async move { core_app::catalog::build_derived_listings(&state, &worker).await })
    };

    let listener =
        tokio::net::TcpListener::bind(resolved.listen).await.with_context(|| format!("binding {}", resolved.listen))?;
    let staff = {
        let addr = resolved.staff_listen;
        let listener =
            tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding the staff listener {addr}"))?;
        let router = core_api::staff_app(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
        })
    };
    let admin = match settings.admin_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding the admin listener {addr}"))?;
            let router = core_api::metrics::admin_router(state.clone());
            Some(tokio::spawn(async move { axum::serve(listener, router).await }))
        }
        None => None,
    };
    tracing::info!(
        region = %settings.region, addr = %resolved.listen, staff = %resolved.staff_listen,
        admin = ?settings.admin_listen, environment = ?settings.environment, "core listening"
    );
    axum::serve(listener, core_api::app(state)).with_graceful_shutdown(shutdown()).await?;
    refresher.abort();
    backfill.abort();
    reconciler.abort();
    if let Some(d) = dispatcher {
        d.abort();
    }
    if let Some(admin) = admin {
        admin.abort();
    }
    staff.abort();
    tracing::info!("core stopped");
    Ok(())
}

async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
