//! The fault proxy: TCP links that forward to an upstream and can be made slow, jittery,
//! narrow, silent or down while traffic runs, as Toxiproxy's toxics do (the kernel here has no
//! `netem`). One process per region's network namespace carries that region's core → database
//! and core → partner links; the run drives it over a small HTTP API:
//!
//! - `POST /links` `{"name", "listen", "upstream"}` opens a link (`listen` may have port 0) and
//!   answers `{"listen": <the bound address>}`;
//! - `PUT /links/{name}` sets its [`Toxics`] (`PUT /links/*` sets every link's);
//! - `GET /links` lists links with their toxics and connection counts.
//!
//! `down` refuses new connections and closes open ones; `blackhole` accepts and forwards
//! nothing (a peer that accepts but never answers); `latency_ms` ± `jitter_ms` delays each
//! chunk coming back from the upstream; `bandwidth_kbps` paces both directions.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What is done to a link's traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Toxics {
    /// Delay added to each chunk the upstream sends back.
    pub latency_ms: u64,
    /// Up to this much more or less delay, at random.
    pub jitter_ms: u64,
    /// Kilobits per second each way; 0: unlimited.
    pub bandwidth_kbps: u64,
    /// New connections refused, open ones closed.
    pub down: bool,
    /// Connections accepted, nothing forwarded either way.
    pub blackhole: bool,
}

/// A link to open.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewLink {
    pub name: String,
    pub listen: SocketAddr,
    pub upstream: SocketAddr,
}

/// A link as listed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LinkView {
    pub name: String,
    pub listen: SocketAddr,
    pub upstream: SocketAddr,
    pub toxics: Toxics,
    pub connections: u64,
}

struct Link {
    listen: SocketAddr,
    upstream: SocketAddr,
    toxics: watch::Sender<Toxics>,
    connections: Arc<AtomicU64>,
}

#[derive(Clone, Default)]
struct Proxy {
    links: Arc<Mutex<BTreeMap<String, Link>>>,
}

impl Proxy {
    fn links(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Link>> {
        self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Serves the control API on `control` until the process ends.
pub async fn serve(control: SocketAddr) -> Result<()> {
    let proxy = Proxy::default();
    let app = Router::new()
        .route("/links", post(open).get(list))
        .route("/links/{name}", put(set))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(proxy);
    let listener = TcpListener::bind(control).await.with_context(|| format!("binding {control}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}

type Answer<T> = Result<Json<T>, (axum::http::StatusCode, String)>;

fn bad(e: impl std::fmt::Display) -> (axum::http::StatusCode, String) {
    (axum::http::StatusCode::BAD_REQUEST, e.to_string())
}

async fn open(State(proxy): State<Proxy>, Json(new): Json<NewLink>) -> Answer<serde_json::Value> {
    let listener = TcpListener::bind(new.listen).await.map_err(bad)?;
    let listen = listener.local_addr().map_err(bad)?;
    let (toxics, watch) = watch::channel(Toxics::default());
    let connections = Arc::new(AtomicU64::new(0));
    proxy
        .links()
        .insert(new.name.clone(), Link { listen, upstream: new.upstream, toxics, connections: connections.clone() });
    tokio::spawn(accept(listener, new.upstream, watch, connections));
    Ok(Json(serde_json::json!({ "listen": listen })))
}

async fn list(State(proxy): State<Proxy>) -> Json<Vec<LinkView>> {
    Json(
        proxy
            .links()
            .iter()
            .map(|(name, l)| LinkView {
                name: name.clone(),
                listen: l.listen,
                upstream: l.upstream,
                toxics: *l.toxics.borrow(),
                connections: l.connections.load(Ordering::Relaxed),
            })
            .collect(),
    )
}

async fn set(State(proxy): State<Proxy>, Path(name): Path<String>, Json(toxics): Json<Toxics>) -> Answer<Toxics> {
    let links = proxy.links();
    let mut found = false;
    for (n, link) in links.iter() {
        if name == "*" || *n == name {
            link.toxics.send_replace(toxics);
            found = true;
        }
    }
    if !found {
        return Err((axum::http::StatusCode::NOT_FOUND, format!("no link {name}")));
    }
    Ok(Json(toxics))
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    toxics: watch::Receiver<Toxics>,
    connections: Arc<AtomicU64>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else { continue };
        if toxics.borrow().down {
            drop(client);
            continue;
        }
        connections.fetch_add(1, Ordering::Relaxed);
        let toxics = toxics.clone();
        tokio::spawn(async move {
            let connect = tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(upstream)).await;
            let Ok(Ok(server)) = connect else { return };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            let up = pump(client_read, server_write, toxics.clone(), false);
            let down = pump(server_read, client_write, toxics, true);
            // Either direction ending (a close, or the link going down) ends the connection.
            tokio::select! {
                () = up => {}
                () = down => {}
            }
        });
    }
}

/// Copies `from` to `to` under the link's toxics; `answers` is the upstream → client direction,
/// which latency applies to. Latency is added to each chunk's arrival (a pipe, not a queue of
/// sleeps: two chunks arriving together leave together, one latency later). Ends when either
/// side closes or the link goes down.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    toxics: watch::Receiver<Toxics>,
    answers: bool,
) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(tokio::time::Instant, Vec<u8>)>(256);
    let mut read_toxics = toxics.clone();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = tokio::select! {
                read = from.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                },
                changed = read_toxics.changed() => {
                    if changed.is_err() || read_toxics.borrow().down {
                        return;
                    }
                    continue;
                }
            };
            let t = *read_toxics.borrow();
            if t.down {
                return;
            }
            if t.blackhole {
                continue;
            }
            let mut delay = Duration::ZERO;
            if answers && t.latency_ms > 0 {
                let jitter = if t.jitter_ms > 0 { rand::rng().random_range(0..=2 * t.jitter_ms) } else { 0 };
                delay = Duration::from_millis((t.latency_ms + jitter).saturating_sub(t.jitter_ms));
            }
            if tx.send((tokio::time::Instant::now() + delay, buf[..n].to_vec())).await.is_err() {
                return;
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            let t = *toxics.borrow();
            if t.down {
                return;
            }
            if let Some(micros) = (chunk.len() as u64 * 8 * 1000).checked_div(t.bandwidth_kbps) {
                tokio::time::sleep(Duration::from_micros(micros)).await;
            }
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
    };
    // The reader ending (a close) lets the writer deliver what it holds, then end.
    tokio::join!(reader, writer);
}

/// The control API, called from blocking code (the stack's [`Placement`]) or async code.
pub mod control {
    use super::*;

    /// `method path` with a JSON body on `addr`, blocking; the JSON answer.
    pub fn call_blocking(
        addr: SocketAddr,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let body = body.to_string();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let (head, body) = answer.split_once("\r\n\r\n").context("malformed answer")?;
        let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).context("malformed status line")?;
        anyhow::ensure!((200..300).contains(&status), "the fault proxy answered {status}: {body}");
        Ok(serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
    }

    /// Opens a link; returns the address it listens on.
    pub fn open(control: SocketAddr, link: &NewLink) -> Result<SocketAddr> {
        let answer = call_blocking(control, "POST", "/links", &serde_json::to_value(link)?)?;
        answer["listen"].as_str().context("no listen address")?.parse().context("listen address")
    }

    /// Sets the toxics of link `name` (`*`: every link).
    pub fn set(control: SocketAddr, name: &str, toxics: Toxics) -> Result<()> {
        call_blocking(control, "PUT", &format!("/links/{name}"), &serde_json::to_value(toxics)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server; returns its address.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(addr: SocketAddr) -> Result<Duration> {
        let mut s = TcpStream::connect(addr).await?;
        let started = std::time::Instant::now();
        s.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut buf)).await??;
        anyhow::ensure!(&buf == b"ping");
        Ok(started.elapsed())
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn links_forward_and_take_latency_down_and_blackhole_while_running() {
        let upstream = echo().await;
        let control = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        tokio::spawn(serve(control));
        testkit::wait_for_http_at(control, "/healthz", Duration::from_secs(10)).unwrap();
        let link = NewLink { name: "echo".into(), listen: "127.0.0.1:0".parse().unwrap(), upstream };
        let listen = tokio::task::spawn_blocking(move || control::open(control, &link)).await.unwrap().unwrap();
        round_trip(listen).await.unwrap();

        let set = |t: Toxics| tokio::task::spawn_blocking(move || control::set(control, "echo", t));
        set(Toxics { latency_ms: 200, ..Toxics::default() }).await.unwrap().unwrap();
        assert!(round_trip(listen).await.unwrap() >= Duration::from_millis(200));
        // Chunks in flight together arrive together: latency, not a queue of latencies.
        let mut s = TcpStream::connect(listen).await.unwrap();
        let started = std::time::Instant::now();
        for _ in 0..5 {
            s.write_all(b"ping").await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut buf = [0u8; 20];
        tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut buf)).await.unwrap().unwrap();
        // Delays queued one after another could not take less than 5 × 200 ms.
        assert!(started.elapsed() < Duration::from_millis(1000), "{:?}", started.elapsed());

        set(Toxics { blackhole: true, ..Toxics::default() }).await.unwrap().unwrap();
        assert!(round_trip(listen).await.is_err(), "a blackholed link answers nothing");

        set(Toxics { down: true, ..Toxics::default() }).await.unwrap().unwrap();
        assert!(round_trip(listen).await.is_err(), "a link that is down answers nothing");

        set(Toxics::default()).await.unwrap().unwrap();
        assert!(round_trip(listen).await.is_ok(), "healed");
    }
}
