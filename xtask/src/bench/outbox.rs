//! `cargo xtask bench outbox`: events pushed through the transactional outbox to the warehouse
//! stand-in's event inbox at a fixed rate, with one of two dispatching cores killed (SIGKILL)
//! and restarted halfway, then audited.
//!
//! A private PostgreSQL (durable settings, its own folder and port, thrown away afterwards),
//! two cores of the region (release builds) dispatching the region's events, and the warehouse
//! stand-in. The producer writes `--rate` events a second (five per transaction, through
//! `outbox::publish`, as checkout does) for `--seconds`. Lag is the stand-in's first receipt
//! minus the event's commit time (`created_at`, the database's clock, on the same machine).
//!
//! Prints `events_per_s` (events delivered per second over the run), `delivery_lag_p99_ms`
//! (and p50, max), `lost` (written but never received after a 60 s drain), `applied_twice`
//! (events the receiver took as new more than once), and `redelivered` (deliveries it deduped:
//! the at-least-once part, mostly what the killed core held), and `db_deadlocks` (deadlocks
//! the database broke during the run: claims racing for the same events must queue instead).

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use core_store::commerce::CommerceError;
use core_store::commerce::outbox;
use core_store::{Store, StoreConfig};
use serde_json::{Value, json};
use testkit::{ChildProcess, PgOptions, PgServer, free_port, wait_for_http};

use super::Args;

const SECRET: &str = "whsec_bench_outbox";
const API_KEY: &str = "wms_bench";

pub fn run(args: Args) -> Result<()> {
    crate::deps::ensure_system_packages()?;
    let bin = crate::deps::build_binaries(true)?;
    let rate = args.rate.max(5);
    let root = testkit::workspace_root();
    let dir = root.join(".local").join("bench-outbox-pg").join(std::process::id().to_string());
    let logs = root.join(".local").join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut pg = PgServer::start(PgOptions::new(&dir, free_port()))?;
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(bench(&args, rate, &bin, &pg, &logs));
    pg.stop();
    let _ = testkit::remove_cluster(&dir);
    let lines = result?;
    for (name, value) in lines {
        println!("{name}: {value}");
    }
    Ok(())
}

fn core_command(bin: &std::path::Path, url: &str, region: &str, port: u16, wms: u16) -> Command {
    let mut cmd = Command::new(bin.join("core-server"));
    cmd.args(["--region", region, "--database-url", url, "--listen", &format!("127.0.0.1:{port}")])
        .args(["--staff-listen", &format!("127.0.0.1:{}", testkit::free_port())])
        .args(["--db-max-connections", "8"])
        .args(["--outbox-webhook", &format!("bench.=http://127.0.0.1:{wms}/v1/events")])
        .args(["--outbox-poll-ms", "20", "--outbox-lease-ms", "2000", "--outbox-delivery-timeout-ms", "1000"])
        .args(["--outbox-retry-base-ms", "100", "--outbox-retry-max-ms", "1000"])
        .env("SHOP_OUTBOX_WEBHOOK_SECRET", SECRET)
        .env("SHOP_LOG", "warn");
    cmd
}

async fn get_json(port: u16, path: &str) -> Result<Value> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let request = hyper::Request::get(path)
        .header("host", format!("127.0.0.1:{port}"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())?;
    let response = tokio::time::timeout(Duration::from_secs(30), sender.send_request(request)).await??;
    let body = http_body_util::BodyExt::collect(response.into_body()).await?.to_bytes();
    Ok(serde_json::from_slice(&body)?)
}

async fn bench(
    args: &Args,
    rate: u64,
    bin: &std::path::Path,
    pg: &PgServer,
    logs: &std::path::Path,
) -> Result<Vec<(&'static str, String)>> {
    let url = crate::devdb::prepare(pg, "outbox_bench", &regions::Catalog::load_workspace()?).await?;
    let wms = free_port();
    let mut wms_cmd = Command::new(bin.join("warehouse-standin"));
    wms_cmd
        .args(["--listen", &format!("127.0.0.1:{wms}"), "--api-key", API_KEY, "--inbound-secret", SECRET])
        .env("SHOP_LOG", "warn");
    let _wms = ChildProcess::spawn("warehouse stand-in", wms_cmd, Some(&logs.join("bench-outbox-wms.log")))?;
    let ports = [free_port(), free_port()];
    let mut cores = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let cmd = core_command(bin, &url, &args.region, *port, wms);
        cores.push(ChildProcess::spawn(
            &format!("core {i}"),
            cmd,
            Some(&logs.join(format!("bench-outbox-core{i}.log"))),
        )?);
    }
    let wait = |port: u16, path: &'static str| {
        tokio::task::spawn_blocking(move || wait_for_http(port, path, Duration::from_secs(60)))
    };
    wait(wms, "/healthz").await??;
    for port in ports {
        wait(port, "/readyz").await??;
    }

    let mut config = StoreConfig::new(url.clone());
    config.max_connections = 4;
    config.application_name = "bench-outbox-producer".into();
    let store = Store::connect(&config)?;
    let topic = format!("bench.outbox.{}", uuid::Uuid::new_v4().simple());
    let region = args.region.clone();
    eprintln!("writing {rate} events/s for {} s; core 0 is killed and restarted halfway", args.seconds);

    // The producer: every 10 ms a transaction of rate/100 events, at a fixed rate (late ticks
    // are caught up).
    let per_tick = (rate / 100).max(1) as usize;
    let ticks = args.seconds * 100;
    let producer = {
        let (store, topic, region) = (store.clone(), topic.clone(), region.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut written = 0u64;
            for _ in 0..ticks {
                tick.tick().await;
                store
                    .transaction(|tx| {
                        let (topic, region) = (topic.clone(), region.clone());
                        Box::pin(async move {
                            for _ in 0..per_tick {
                                outbox::publish(tx, &topic, uuid::Uuid::new_v4(), &region, &json!({"bench": true}))
                                    .await?;
                            }
                            Ok::<_, CommerceError>(())
                        })
                    })
                    .await?;
                written += per_tick as u64;
            }
            anyhow::Ok(written)
        })
    };

    // Halfway: core 0 dies without a word, and comes back.
    tokio::time::sleep(Duration::from_secs(args.seconds) / 2).await;
    cores[0].signal(nix::sys::signal::Signal::SIGKILL);
    cores[0].stop();
    eprintln!("core 0 killed");
    cores[0] = ChildProcess::spawn(
        "core 0",
        core_command(bin, &url, &args.region, ports[0], wms),
        Some(&logs.join("bench-outbox-core0.log")),
    )?;
    wait(ports[0], "/readyz").await??;
    eprintln!("core 0 restarted");
    let written = producer.await??;

    // Drain: wait (bounded) until the stand-in holds every event.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut audit;
    loop {
        audit = get_json(wms, "/_audit").await?;
        let distinct = audit["events"]["distinct"].as_u64().unwrap_or(0);
        if distinct >= written || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(cores);

    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let rows = client
        .query("SELECT id, (EXTRACT(EPOCH FROM created_at) * 1000)::INT8 FROM outbox WHERE topic = $1", &[&topic])
        .await?;
    // Claims racing for the same events must queue, not deadlock (each deadlock stalls both
    // for PostgreSQL's deadlock timeout). The cores have exited, so their counts are in.
    let deadlocks: i64 = client
        .query_one("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()", &[])
        .await?
        .get(0);
    let created: HashMap<String, i64> =
        rows.iter().map(|r| (r.get::<_, uuid::Uuid>(0).to_string(), r.get(1))).collect();
    if created.len() as u64 != written {
        bail!("{written} events written but {} found in the outbox", created.len());
    }
    let receipts = audit["events"]["receipts"].as_object().context("receipts")?;
    let mut lags = hdrhistogram::Histogram::<u64>::new(3)?;
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut lost = 0u64;
    for (id, at) in &created {
        first = first.min(*at);
        match receipts.get(id).and_then(Value::as_i64) {
            Some(received) => {
                last = last.max(received);
                lags.record((received - at).max(0) as u64)?;
            }
            None => lost += 1,
        }
    }
    let delivered = written - lost;
    let span_s = ((last - first).max(1) as f64) / 1000.0;
    Ok(vec![
        ("rate_target", rate.to_string()),
        ("events_written", written.to_string()),
        ("events_per_s", format!("{:.1}", delivered as f64 / span_s)),
        ("delivery_lag_p50_ms", lags.value_at_quantile(0.50).to_string()),
        ("delivery_lag_p99_ms", lags.value_at_quantile(0.99).to_string()),
        ("delivery_lag_max_ms", lags.max().to_string()),
        ("lost", lost.to_string()),
        ("applied_twice", audit["events"]["applied_twice"].to_string()),
        ("redelivered", audit["events"]["duplicates"].to_string()),
        ("parallel_deliveries", audit["events"]["parallel"].to_string()),
        ("db_deadlocks", deadlocks.to_string()),
    ])
}
