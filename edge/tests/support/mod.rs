//! Test support: a stub core that echoes what it receives, the real `edge` binary started on a
//! free port, and a small blocking HTTP/1.1 client. Everything talks to 127.0.0.1 only.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::{ChildProcess, Wait, free_port};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream as TokioStream;
use tokio::sync::oneshot;

/// How long any single HTTP exchange may take before the test fails (never a hang).
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the edge may take to answer its `/healthz` after being started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a test looks again at what it waits for (with [`testkit::eventually_blocking`]).
pub const POLL: Duration = Duration::from_millis(25);

/// One request the stub core received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    /// When its head was read.
    pub at: Instant,
}

/// A stand-in for core: an HTTP/1.1 server on 127.0.0.1:0 with keep-alive.
///
/// - a request without `Host` gets 400 (as a strict HTTP/1.1 server would answer);
/// - `GET /healthz` gets 200 `stub ok`, or 503 if built [`unhealthy`](Self::unhealthy), which
///   also answers `GET /readyz` (the edge's health check) with 503;
/// - anything else gets 200 and a JSON echo: `stub` (its name), `method`, `path`, `query`,
///   `headers`; each `stub-header=name:value` query parameter adds that response header
///   (`?stub-header=set-cookie:sid=1`), as a core answering that URL with it would, and
///   `stub-delay-ms=N` makes it answer N ms late;
/// - `GET /internal/v1/catalog-changes` gets the catalog change feed: the changes added with
///   [`add_change`](Self::add_change) (all of them, whatever `since` asks) and the clock now;
/// - while [`failing`](Self::failing), everything but `/healthz` gets 500 `stub failing`;
/// - while [`stuck`](Self::stuck), everything but `/healthz` is read and never answered (a
///   gray failure: the process accepts connections and its health check passes).
///
/// Dropping it stops it: the listener and every connection are closed.
pub struct StubCore {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    failing: Arc<AtomicBool>,
    stuck: Arc<AtomicBool>,
    changes: Arc<Mutex<Vec<Value>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StubCore {
    pub fn start(name: &str) -> Self {
        Self::start_with(name, true)
    }

    /// A stub whose `/healthz` answers 503 while it serves every other path.
    pub fn unhealthy(name: &str) -> Self {
        Self::start_with(name, false)
    }

    fn start_with(name: &str, healthy: bool) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the stub core");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, mut stop) = oneshot::channel::<()>();
        let (name, seen_by_server) = (name.to_string(), seen.clone());
        let failing = Arc::new(AtomicBool::new(false));
        let failing_by_server = failing.clone();
        let stuck = Arc::new(AtomicBool::new(false));
        let stuck_by_server = stuck.clone();
        let changes = Arc::new(Mutex::new(Vec::new()));
        let changes_by_server = changes.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let (name, seen) = (name.clone(), seen_by_server.clone());
                            let state = Shared {
                                failing: failing_by_server.clone(),
                                stuck: stuck_by_server.clone(),
                                seen,
                                changes: changes_by_server.clone(),
                            };
                            tokio::spawn(serve(stream, name, healthy, state));
                        }
                        _ = &mut stop => break,
                    }
                }
            });
            // Dropping the runtime drops every connection task, closing their sockets.
        });
        Self { port, seen, failing, stuck, changes, shutdown: Some(shutdown), thread: Some(thread) }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Adds a change to the catalog change feed, made `ago`, of the answers under `tags` (`None`:
    /// everything).
    pub fn add_change(&self, tags: Option<&[&str]>, ago: Duration) {
        let mut changes = self.changes.lock().unwrap();
        let id = format!("change-{}", changes.len() + 1);
        let at = unix_micros() - ago.as_micros() as i64;
        changes.push(json!({"id": id, "subject": "test", "tags": tags, "changed_at_micros": at}));
    }

    /// Makes every request but `/healthz` fail with 500 (or succeed again).
    pub fn failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Makes every request but `/healthz` go unanswered (or be answered again).
    pub fn stuck(&self, stuck: bool) {
        self.stuck.store(stuck, Ordering::SeqCst);
    }

    /// Requests received so far, health checks left out.
    pub fn seen_requests(&self) -> usize {
        self.seen().iter().filter(|s| s.target != "/healthz" && s.target != "/readyz").count()
    }

    /// Stops the stub; connections to its port are refused afterwards.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("stub core thread");
        }
    }
}

impl Drop for StubCore {
    fn drop(&mut self) {
        self.stop();
    }
}

fn unix_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64
}

/// What the stub's connections share with the test.
struct Shared {
    failing: Arc<AtomicBool>,
    stuck: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    changes: Arc<Mutex<Vec<Value>>>,
}

async fn serve(stream: TokioStream, name: String, healthy: bool, shared: Shared) {
    let Shared { failing, stuck, seen, changes } = shared;
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let body_len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; body_len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let at = Instant::now();
        seen.lock().unwrap().push(Seen {
            method: method.clone(),
            target: target.clone(),
            headers: headers.clone(),
            at,
        });

        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.clone(), None),
        };
        if path != "/healthz" && path != "/readyz" && stuck.load(Ordering::SeqCst) {
            // Hold the connection, answer nothing; the stub's runtime drops it when stopped.
            std::future::pending::<()>().await;
        }
        let (status, content_type, body) = if !headers.contains_key("host") {
            (400, "text/plain", "missing Host".to_string())
        } else if path == "/healthz" || (path == "/readyz" && !healthy) {
            if healthy { (200, "text/plain", "stub ok".into()) } else { (503, "text/plain", "stub down".into()) }
        } else if failing.load(Ordering::SeqCst) {
            (500, "text/plain", "stub failing".into())
        } else if path == "/internal/v1/catalog-changes" {
            let changes = changes.lock().unwrap().clone();
            (
                200,
                "application/json",
                json!({"now_micros": unix_micros(), "truncated": false, "changes": changes}).to_string(),
            )
        } else {
            let echo = json!({ "stub": name, "method": method, "path": path, "query": query, "headers": headers });
            (200, "application/json", echo.to_string())
        };
        let delay = query
            .iter()
            .flat_map(|q| q.split('&'))
            .find_map(|param| param.strip_prefix("stub-delay-ms=")?.parse::<u64>().ok());
        if let Some(ms) = delay {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let extra: String = query
            .iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|param| param.strip_prefix("stub-header=")?.split_once(':'))
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}\r\n{body}",
            body.len()
        );
        if reader.get_mut().write_all(response.as_bytes()).await.is_err() {
            return;
        }
        if headers.get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

/// The real `edge` binary, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Edge {
    pub port: u16,
    pub process: ChildProcess,
    log: PathBuf,
}

impl Edge {
    /// Starts an edge for `region` in front of `cores` and waits until it answers.
    pub fn start(region: &str, cores: &[String], extra: &[&str]) -> Self {
        let edge = Self::spawn(region, cores, extra);
        edge.wait_ready();
        edge
    }

    /// Starts an edge without waiting.
    pub fn spawn(region: &str, cores: &[String], extra: &[&str]) -> Self {
        let port = free_port();
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("edge-{region}-{port}.log"));
        let _ = std::fs::remove_file(&log);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_edge"));
        cmd.args(["--region", region, "--listen", &format!("127.0.0.1:{port}"), "--threads", "1"]);
        for core in cores {
            cmd.args(["--core", core]);
        }
        cmd.args(extra).env("SHOP_LOG", "info");
        // No other region's core unless the test names one.
        if !extra.contains(&"--failover-core") {
            cmd.args(["--failover-core", "none"]);
        }
        for var in [
            "SHOP_EDGE_REGIONS_DIR",
            "SHOP_EDGE_THREADS",
            "SHOP_EDGE_HEALTH_INTERVAL_MS",
            "SHOP_EDGE_CACHE_BYTES",
            "SHOP_EDGE_CACHE_TTL_MS",
            "SHOP_EDGE_CACHE_STALE_WHILE_REVALIDATE_MS",
            "SHOP_EDGE_CACHE_STALE_IF_ERROR_MS",
            "SHOP_EDGE_CACHE_LOCK_TIMEOUT_MS",
            "SHOP_EDGE_CHANGE_FEED_INTERVAL_MS",
            "SHOP_EDGE_FAILOVER_CORE",
            "SHOP_EDGE_TLS_LISTEN",
            "SHOP_EDGE_TLS_CERT",
            "SHOP_EDGE_TLS_KEY",
            "SHOP_EDGE_RATE_LIMIT_ADDRESS_RPS",
            "SHOP_EDGE_RATE_LIMIT_TOKEN_RPS",
            "SHOP_EDGE_RATE_LIMIT_CREDENTIALS_PER_MIN",
            "SHOP_EDGE_RATE_LIMIT_CHECKOUT_PER_MIN",
            "SHOP_EDGE_MAX_BODY_BYTES",
            "SHOP_EDGE_CLIENT_TIMEOUT_MS",
        ] {
            cmd.env_remove(var);
        }
        let process = ChildProcess::spawn("edge", cmd, Some(&log)).expect("starting the edge binary");
        Self { port, process, log }
    }

    fn wait_ready(&self) {
        let answered = Wait::new("the edge answering /healthz", START_TIMEOUT, POLL)
            .until_blocking(|| try_request(self.port, "GET", "/healthz", &[]).map_err(|e| e.to_string()));
        let resp = answered.unwrap_or_else(|timed_out| panic!("{timed_out}; log:\n{}", self.log()));
        assert_eq!(resp.status, 200, "edge /healthz: {resp:?}");
    }

    /// The edge's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn get(&self, target: &str, headers: &[(&str, &str)]) -> Response {
        self.request("GET", target, headers)
    }

    pub fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
        try_request(self.port, method, target, headers)
            .unwrap_or_else(|e| panic!("{method} {target}: {e}; edge log:\n{}", self.log()))
    }
}

/// An HTTP response, headers with lower-case names.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// For an echo from the stub core: the path core received.
    pub fn upstream_path(&self) -> String {
        let echo = self.json();
        assert_eq!(self.status, 200, "{self:?}");
        echo["path"].as_str().expect("echo has a path").to_string()
    }
}

/// One request on a fresh connection (`Connection: close`), bounded by [`HTTP_TIMEOUT`].
pub fn try_request(port: u16, method: &str, target: &str, headers: &[(&str, &str)]) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(HTTP_TIMEOUT))?;
    stream.set_write_timeout(Some(HTTP_TIMEOUT))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: shop.test\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
        .ok_or_else(|| std::io::Error::other(format!("malformed response: {:?}", String::from_utf8_lossy(&raw))))
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body)?;
    }
    Some(Response { status, headers, body: String::from_utf8(body).ok()? })
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}
