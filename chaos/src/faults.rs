//! Injecting and healing each [`Fault`] on a [`Topology`].

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use serde_json::json;

use crate::proxy::Toxics;
use crate::scenarios::Fault;
use crate::topology::Topology;

/// Calls a partner stand-in's `POST /_control` (or another control path) with `body`.
async fn control(addr: std::net::SocketAddr, key: &str, path: &str, body: serde_json::Value) -> Result<()> {
    let http = crate::client::Client::new(std::time::Duration::from_secs(10));
    let auth = format!("Bearer {key}");
    let reply = http.call(addr, "POST", path, &[("authorization", &auth)], Some(&body)).await;
    anyhow::ensure!(reply.status().is_some_and(|s| (200..300).contains(&s)), "{path} of {addr}: {reply:?}");
    Ok(())
}

/// The libfaketime library (the multi-threaded variant when there is one).
fn libfaketime() -> Result<String> {
    for dir in ["/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime", "/usr/lib/faketime"] {
        for lib in ["libfaketimeMT.so.1", "libfaketime.so.1"] {
            let path = std::path::Path::new(dir).join(lib);
            if path.exists() {
                return Ok(path.display().to_string());
            }
        }
    }
    anyhow::bail!("libfaketime is not installed (apt-get install libfaketime)")
}

pub async fn inject(topo: &mut Topology, fault: &Fault) -> Result<()> {
    match fault {
        Fault::KillCore { region } => topo.stack.signal_core(region, Signal::SIGKILL),
        Fault::FreezeCore { region } => topo.stack.signal_core(region, Signal::SIGSTOP),
        Fault::KillEdge { region } => topo.stack.signal_edge(region, Signal::SIGKILL),
        Fault::CutDatabase { region } => topo.cut(region, "db")?,
        Fault::LossyDatabase { region, percent } => topo.lose(region, "db", *percent)?,
        Fault::SlowDatabase { latency_ms } => {
            topo.toxics("database", Toxics { latency_ms: *latency_ms, ..Toxics::default() }).await?
        }
        Fault::RestartDatabase => topo.stop_database().await?,
        Fault::PaymentsDown => topo.toxics("payments", Toxics { down: true, ..Toxics::default() }).await?,
        Fault::PaymentsSlow { latency_ms } => {
            topo.toxics("payments", Toxics { latency_ms: *latency_ms, ..Toxics::default() }).await?
        }
        Fault::PaymentWebhooksDuplicatedAndReordered => {
            let body = json!({"duplicate_webhooks": true, "out_of_order_webhooks": true});
            control(topo.stack.payments_addr(), stack_tests::PAYMENTS_API_KEY, "/_control", body).await?
        }
        Fault::CarrierDown => {
            let parcelo = topo.stack.carrier_addrs()[0];
            control(parcelo, stack_tests::CARRIER_CLIENT_SECRET, "/_control", json!({"down": true})).await?
        }
        Fault::WarehouseDown => {
            let body = json!({"down": true});
            control(topo.stack.warehouse_addr(), stack_tests::WAREHOUSE_API_KEY, "/_control", body).await?
        }
        Fault::ClockSkew { region, offset } => {
            let lib = libfaketime()?;
            let env =
                [("LD_PRELOAD", lib.as_str()), ("FAKETIME", offset.as_str()), ("FAKETIME_DONT_FAKE_MONOTONIC", "1")];
            topo.stack.restart_core(region, &env).await.context("restarting the core with a skewed clock")?
        }
    }
    Ok(())
}

pub async fn heal(topo: &mut Topology, fault: &Fault) -> Result<()> {
    match fault {
        Fault::KillCore { region } | Fault::ClockSkew { region, .. } => topo.stack.restart_core(region, &[]).await?,
        Fault::FreezeCore { region } => topo.stack.signal_core(region, Signal::SIGCONT),
        Fault::KillEdge { region } => topo.stack.restart_edge(region).await?,
        Fault::CutDatabase { .. } | Fault::LossyDatabase { .. } => topo.heal_network()?,
        Fault::SlowDatabase { .. } => topo.toxics("database", Toxics::default()).await?,
        Fault::RestartDatabase => topo.start_database().await?,
        Fault::PaymentsDown | Fault::PaymentsSlow { .. } => topo.toxics("payments", Toxics::default()).await?,
        Fault::PaymentWebhooksDuplicatedAndReordered => {
            let body = json!({"duplicate_webhooks": false, "out_of_order_webhooks": false});
            control(topo.stack.payments_addr(), stack_tests::PAYMENTS_API_KEY, "/_control", body).await?
        }
        Fault::CarrierDown => {
            let parcelo = topo.stack.carrier_addrs()[0];
            control(parcelo, stack_tests::CARRIER_CLIENT_SECRET, "/_control", json!({"down": false})).await?
        }
        Fault::WarehouseDown => {
            let body = json!({"down": false});
            control(topo.stack.warehouse_addr(), stack_tests::WAREHOUSE_API_KEY, "/_control", body).await?
        }
    }
    Ok(())
}
