//! `cargo xtask bench edge`: the edge's cache against nginx, side by side in one run, on the same
//! machine, in front of the same core, with the same response body (a real product of the seeded
//! catalog):
//!
//! 1. nginx returning the body itself (the ceiling of this machine's loopback HTTP);
//! 2. nginx `proxy_cache`, configured as the edge is (cache lock, stale answers, core's
//!    `Cache-Control` obeyed, no access log);
//! 3. the edge's cache hit;
//!
//! each over HTTP/1.1 and over TLS (same certificate, TLS 1.2 and 1.3, keep-alive), measured with
//! `wrk` pinned to the first CPU while the proxy under test runs pinned to the second, with as many
//! workers as nginx, in `--rounds` turns (see [`side_by_side`]). Then a Zipf-distributed workload over the catalog's SKUs (each SKU's product
//! page) through an edge with a 1 GiB cache, after a warm-up of the same workload, for the hit
//! ratio.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use testkit::{ChildProcess, DevCertificates, free_port, wait_for_http};
use tokio_postgres::NoTls;

/// Bytes of the cache of the edge measured for the Zipf hit ratio.
const ZIPF_CACHE_BYTES: u64 = 1024 * 1024 * 1024;

pub fn run(args: super::Args) -> Result<()> {
    crate::deps::ensure_tools(&[("nginx", "nginx"), ("wrk", "wrk"), ("taskset", "util-linux")])?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let setup = super::Setup::start(&args, &rt)?;
    let root = testkit::workspace_root();
    let dir = root.join(".local").join("bench-edge");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("logs"))?;
    let certs = DevCertificates::create(&dir.join("tls"))?;
    let bin = root.join("target").join("release");
    let workers = args.workers;

    let skus = rt.block_on(sku_pages(&setup.url))?;
    let product = skus.first().context("no product in the catalog")?.clone();
    let body = rt.block_on(get(setup.core_port, &product))?.1;
    std::fs::write(dir.join("body.json"), &body)?;
    println!("body_bytes: {}", body.len());
    println!("workers: {workers}");

    // The proxies under test, pinned to the second CPU.
    let edge = Ports::new();
    let _edge = start_edge(&bin, &dir, &certs, setup.core_port, &edge, workers, ZIPF_CACHE_BYTES)?;
    let nginx = Ports::new();
    let ceiling_port = free_port();
    let _nginx = start_nginx(&dir, &certs, setup.core_port, &nginx, ceiling_port, workers)?;

    // Each proxy stores the product before it is measured.
    let scheme_ok = |port: u16, cache_header: &str| -> Result<()> {
        for _ in 0..3 {
            let (headers, got) = rt.block_on(get(port, &product))?;
            if got != body {
                bail!("127.0.0.1:{port}{product} answers another body");
            }
            if headers
                .get("x-cache")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case(cache_header))
            {
                return Ok(());
            }
        }
        bail!("127.0.0.1:{port} does not answer {product} from its cache")
    };
    scheme_ok(edge.http, "hit")?;
    scheme_ok(nginx.http, "HIT")?;

    let (throughput, zipf) = match args.only.as_deref() {
        None => (true, true),
        Some("throughput") => (true, false),
        Some("zipf") => (false, true),
        Some(other) => bail!("--only takes throughput or zipf, not {other}"),
    };
    if throughput {
        let pids = Pids {
            edge: _edge.pid().context("the edge has no pid")?,
            nginx: _nginx.pid().context("nginx has no pid")?,
        };
        side_by_side(&args, &product, &edge, &nginx, ceiling_port, &pids)?;
    }
    drop(_nginx);
    if zipf {
        // The Zipf workload, through the same edge (its cache holds one product so far).
        let zipf =
            rt.block_on(zipf_run(edge.http, &skus, args.zipf_exponent, args.zipf_warmup, args.zipf_requests, 64))?;
        println!("zipf_hit_ratio: {:.4}", zipf.hit_ratio());
        println!("zipf_skus: {}", skus.len());
        println!("zipf_exponent: {}", args.zipf_exponent);
        println!("zipf_warmup_requests: {}", args.zipf_warmup);
        println!("zipf_requests: {}", zipf.total());
        println!("zipf_hits: {}", zipf.hits);
        println!("zipf_stale: {}", zipf.stale);
        println!("zipf_misses: {}", zipf.misses);
        println!("zipf_errors: {}", zipf.errors);
        println!("zipf_cache_bytes: {ZIPF_CACHE_BYTES}");
        println!("zipf_rps: {:.0}", zipf.total() as f64 / zipf.elapsed.as_secs_f64());
    }
    Ok(())
}

/// The processes under test: the edge, and nginx's master (its workers are its children).
struct Pids {
    edge: u32,
    nginx: u32,
}

/// The wrk runs: the ceiling, nginx and the edge over HTTP/1.1, then nginx and the edge over TLS,
/// each with the CPU time the proxy under test spent on it. The machine is shared, and a
/// neighbour's burst during one run would decide a comparison of single runs, so they take
/// `--rounds` turns: in each round every target is measured for `--seconds / --rounds`, nginx
/// first in odd rounds and the edge first in even ones. A target's throughput is its requests
/// over its time in all rounds; its p50 and p99 are the medians of its rounds' (each round's
/// figures are printed too).
fn side_by_side(
    args: &super::Args,
    product: &str,
    edge: &Ports,
    nginx: &Ports,
    ceiling_port: u16,
    pids: &Pids,
) -> Result<()> {
    let rounds = args.rounds.max(1);
    let secs = (args.seconds.min(30) / rounds).max(1);
    let measure = |url: &str, pid: u32| -> Result<WrkRun> {
        let before = cpu_seconds(pid)?;
        let mut run = wrk(url, args.connections, secs)?;
        run.cpu_seconds = cpu_seconds(pid)? - before;
        Ok(run)
    };
    let targets = [
        ("ceiling", format!("http://127.0.0.1:{ceiling_port}/body"), pids.nginx),
        ("nginx", format!("http://127.0.0.1:{}{product}", nginx.http), pids.nginx),
        ("edge", format!("http://127.0.0.1:{}{product}", edge.http), pids.edge),
        ("nginx_tls", format!("https://localhost:{}{product}", nginx.tls), pids.nginx),
        ("edge_tls", format!("https://localhost:{}{product}", edge.tls), pids.edge),
    ];
    let mut runs: Vec<Vec<WrkRun>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        // nginx and the edge swap places every other round: [ceiling, a, b, a_tls, b_tls].
        let order: [usize; 5] = if round % 2 == 0 { [0, 1, 2, 3, 4] } else { [0, 2, 1, 4, 3] };
        for i in order {
            let (_, url, pid) = &targets[i];
            runs[i].push(measure(url, *pid)?);
        }
    }
    let merged: Vec<Merged> = runs.iter().map(|r| Merged::of(r)).collect();
    let [ceiling, nginx_http, edge_http, nginx_tls, edge_tls] = [0, 1, 2, 3, 4].map(|i| &merged[i]);

    println!("edge_rps: {:.0}", edge_http.rps);
    println!("nginx_rps: {:.0}", nginx_http.rps);
    println!("edge_vs_nginx_rps: {:.3}", edge_http.rps / nginx_http.rps);
    println!("edge_p99_ms: {:.2}", edge_http.p99_ms);
    println!("nginx_p99_ms: {:.2}", nginx_http.p99_ms);
    println!("ceiling_rps: {:.0}", ceiling.rps);
    println!("edge_tls_rps: {:.0}", edge_tls.rps);
    println!("nginx_tls_rps: {:.0}", nginx_tls.rps);
    println!("edge_tls_p99_ms: {:.2}", edge_tls.p99_ms);
    println!("nginx_tls_p99_ms: {:.2}", nginx_tls.p99_ms);
    println!("ceiling_p99_ms: {:.2}", ceiling.p99_ms);
    println!("edge_p50_ms: {:.2}", edge_http.p50_ms);
    println!("nginx_p50_ms: {:.2}", nginx_http.p50_ms);
    println!("edge_cpu_us_per_req: {:.1}", edge_http.cpu_us_per_request);
    println!("nginx_cpu_us_per_req: {:.1}", nginx_http.cpu_us_per_request);
    println!("ceiling_cpu_us_per_req: {:.1}", ceiling.cpu_us_per_request);
    println!("edge_tls_cpu_us_per_req: {:.1}", edge_tls.cpu_us_per_request);
    println!("nginx_tls_cpu_us_per_req: {:.1}", nginx_tls.cpu_us_per_request);
    for ((name, _, _), runs) in targets.iter().zip(&runs) {
        let each = |f: fn(&WrkRun) -> String| runs.iter().map(f).collect::<Vec<_>>().join(" / ");
        println!("{name}_rps_rounds: {}", each(|r| format!("{:.0}", r.rps)));
        println!("{name}_p99_ms_rounds: {}", each(|r| format!("{:.2}", r.p99_ms)));
        let errors: u64 = runs.iter().map(|r| r.errors).sum();
        if errors > 0 {
            println!("{name}_errors: {errors}");
        }
    }
    println!("wrk: -t1 -c{} -d{secs}s per run, keep-alive, {rounds} rounds", args.connections);
    Ok(())
}

/// One target's runs over all rounds.
struct Merged {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us_per_request: f64,
}

impl Merged {
    fn of(runs: &[WrkRun]) -> Self {
        let median = |f: fn(&WrkRun) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
        };
        let requests: u64 = runs.iter().map(|r| r.requests).sum();
        let seconds: f64 = runs.iter().map(|r| r.requests as f64 / r.rps.max(1e-9)).sum();
        let cpu: f64 = runs.iter().map(|r| r.cpu_seconds).sum();
        Self {
            rps: requests as f64 / seconds.max(1e-9),
            p50_ms: median(|r| r.p50_ms),
            p99_ms: median(|r| r.p99_ms),
            cpu_us_per_request: cpu * 1e6 / requests.max(1) as f64,
        }
    }
}

/// An HTTP and an HTTPS port.
struct Ports {
    http: u16,
    tls: u16,
}

impl Ports {
    fn new() -> Self {
        Self { http: free_port(), tls: free_port() }
    }
}

/// A command run on the second CPU only (`taskset -c 1`), where the proxy under test lives.
fn pinned(program: &Path) -> Command {
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "1"]).arg(program);
    cmd
}

fn start_edge(
    bin: &Path,
    dir: &Path,
    certs: &DevCertificates,
    core_port: u16,
    ports: &Ports,
    workers: usize,
    cache_bytes: u64,
) -> Result<ChildProcess> {
    let mut cmd = pinned(&bin.join("edge"));
    cmd.args(["--region", "eu-west", "--listen", &format!("127.0.0.1:{}", ports.http)])
        .args(["--tls-listen", &format!("127.0.0.1:{}", ports.tls)])
        .arg("--tls-cert")
        .arg(&certs.cert)
        .arg("--tls-key")
        .arg(&certs.key)
        .args(["--core", &format!("127.0.0.1:{core_port}"), "--failover-core", "none"])
        .args(["--threads", &workers.to_string(), "--cache-bytes", &cache_bytes.to_string()])
        .args(super::NO_RATE_LIMITS)
        .env("SHOP_LOG", "warn");
    let edge = ChildProcess::spawn("bench edge", cmd, Some(&dir.join("logs").join("edge.log")))?;
    wait_for_http(ports.http, "/healthz", Duration::from_secs(30))?;
    // Forwarding starts once the health check has seen the core.
    let deadline = Instant::now() + Duration::from_secs(30);
    while wait_for_http(ports.http, "/readyz", Duration::from_millis(500)).is_err() {
        if Instant::now() > deadline {
            bail!("the bench edge does not reach the core");
        }
    }
    Ok(edge)
}

/// nginx as a caching proxy in front of the same core (HTTP and HTTPS), and serving the body
/// itself on `ceiling_port`.
fn start_nginx(
    dir: &Path,
    certs: &DevCertificates,
    core_port: u16,
    ports: &Ports,
    ceiling_port: u16,
    workers: usize,
) -> Result<ChildProcess> {
    let nginx_dir = dir.join("nginx");
    std::fs::create_dir_all(nginx_dir.join("cache"))?;
    let user = if nix::unistd::Uid::effective().is_root() { "user root;" } else { "" };
    let conf = format!(
        r#"{user}
worker_processes {workers};
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=catalog:64m max_size=1g inactive=10m use_temp_path=off;
    upstream core {{ server 127.0.0.1:{core_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{http};
        listen 127.0.0.1:{tls} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:tls:10m;
        location / {{
            proxy_pass http://core;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache catalog;
            proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout http_500 http_502 http_503 http_504;
            proxy_cache_background_update on;
            add_header x-cache $upstream_cache_status;
        }}
    }}
    server {{
        listen 127.0.0.1:{ceiling_port};
        location = /body {{
            default_type application/json;
            alias {body};
        }}
    }}
}}
"#,
        dir = nginx_dir.display(),
        http = ports.http,
        tls = ports.tls,
        cert = certs.cert.display(),
        key = certs.key.display(),
        body = dir.join("body.json").display(),
    );
    let conf_path = nginx_dir.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let mut cmd = pinned(Path::new("nginx"));
    cmd.arg("-p").arg(&nginx_dir).arg("-c").arg(&conf_path).args(["-g", "daemon off;"]);
    let nginx = ChildProcess::spawn("nginx", cmd, Some(&dir.join("logs").join("nginx.log")))?;
    wait_for_http(ceiling_port, "/body", Duration::from_secs(30))
        .with_context(|| format!("nginx did not start; see {}", nginx_dir.join("error.log").display()))?;
    Ok(nginx)
}

/// What one `wrk` run measured.
struct WrkRun {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    /// Requests answered.
    requests: u64,
    /// CPU time (user and system) the proxy under test spent during the run.
    cpu_seconds: f64,
}

/// CPU seconds (user and system) spent so far by `pid` and its descendants that are still
/// running (nginx's workers), from `/proc`.
fn cpu_seconds(pid: u32) -> Result<f64> {
    // `/proc` counts in USER_HZ, fixed at 100 by the Linux ABI.
    let ticks = 100.0;
    let stat =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).with_context(|| format!("reading /proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).context("malformed /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let own = (fields[11].parse::<u64>()? + fields[12].parse::<u64>()?) as f64 / ticks;
    let mut children = 0.0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let list = std::fs::read_to_string(task?.path().join("children")).unwrap_or_default();
        for child in list.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
            children += cpu_seconds(child).unwrap_or(0.0);
        }
    }
    Ok(own + children)
}

/// `wrk -t1 -cN -dS --latency url`, pinned to the first CPU.
fn wrk(url: &str, connections: usize, seconds: u64) -> Result<WrkRun> {
    let out = Command::new("taskset")
        .args(["-c", "0", "wrk", "-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", url])
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("wrk {url} failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let field =
        |prefix: &str| text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|rest| rest.trim().to_string()));
    let rps: f64 = field("Requests/sec:").context("no Requests/sec in wrk's output")?.parse()?;
    let p50_ms = field("50%").map(|v| wrk_ms(&v)).transpose()?.context("no p50 in wrk's output")?;
    let p99_ms = field("99%").map(|v| wrk_ms(&v)).transpose()?.context("no p99 in wrk's output")?;
    let non_2xx: u64 = field("Non-2xx or 3xx responses:").map_or(Ok(0), |v| v.parse())?;
    let socket: u64 = field("Socket errors:")
        .map_or(0, |v| v.split(',').filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok()).sum());
    let requests: u64 = text
        .lines()
        .find_map(|l| l.split_once(" requests in ").and_then(|(n, _)| n.trim().parse().ok()))
        .context("no request count in wrk's output")?;
    eprintln!("{url}: {rps:.0} req/s, p50 {p50_ms:.2} ms, p99 {p99_ms:.2} ms");
    Ok(WrkRun { rps, p50_ms, p99_ms, errors: non_2xx + socket, requests, cpu_seconds: 0.0 })
}

/// A wrk latency (`812.00us`, `1.23ms`, `2.01s`) in milliseconds.
fn wrk_ms(value: &str) -> Result<f64> {
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        bail!("unknown wrk latency `{value}`")
    };
    Ok(number.parse::<f64>()? * factor)
}

/// The product page of every SKU sold in eu-west's first market, in a fixed random order (the
/// popularity order of the Zipf workload).
async fn sku_pages(url: &str) -> Result<Vec<String>> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let rows = client
        .query(
            "SELECT v.product_id, pm.market FROM variants v \
             JOIN products p ON p.id = v.product_id AND p.status = 'published' \
             JOIN LATERAL (SELECT market FROM product_markets m WHERE m.product_id = v.product_id \
                           AND m.market IN ('fr', 'de', 'gb') ORDER BY market LIMIT 1) pm ON true",
            &[],
        )
        .await?;
    drop(client);
    let _ = task.await;
    let language = |market: &str| match market {
        "de" => "de",
        "gb" => "en",
        _ => "fr",
    };
    let mut pages: Vec<String> = rows
        .iter()
        .map(|r| {
            let (id, market): (uuid::Uuid, String) = (r.get(0), r.get(1));
            format!("/v1/{market}/{}/products/{id}", language(&market))
        })
        .collect();
    pages.sort();
    pages.shuffle(&mut rand::rngs::StdRng::seed_from_u64(11));
    if pages.is_empty() {
        bail!("no SKU is sold in fr, de or gb: is the catalog seeded?");
    }
    Ok(pages)
}

/// One GET on a fresh connection: the response headers and body.
async fn get(port: u16, target: &str) -> Result<(hyper::HeaderMap, Bytes)> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let request = hyper::Request::get(target).header("host", "127.0.0.1").body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if response.status() != 200 {
        bail!("GET {target} on {port}: {}", response.status());
    }
    let headers = response.headers().clone();
    Ok((headers, response.into_body().collect().await?.to_bytes()))
}

/// Counts of the Zipf run's answers by `x-cache`.
#[derive(Default)]
struct ZipfCounts {
    hits: u64,
    stale: u64,
    misses: u64,
    errors: u64,
    elapsed: Duration,
}

impl ZipfCounts {
    fn total(&self) -> u64 {
        self.hits + self.stale + self.misses + self.errors
    }

    /// Answers from the cache (fresh or stale) over all answers.
    fn hit_ratio(&self) -> f64 {
        (self.hits + self.stale) as f64 / self.total().max(1) as f64
    }
}

/// Cumulative Zipf probabilities over ranks 1..=n: P(rank k) ∝ 1 / k^s.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut cdf = Vec::with_capacity(n);
    let mut sum = 0.0;
    for k in 1..=n {
        sum += 1.0 / (k as f64).powf(s);
        cdf.push(sum);
    }
    for c in &mut cdf {
        *c /= sum;
    }
    cdf
}

/// `warmup` then `requests` requests for Zipf-drawn SKU pages on `connections` connections; the
/// counts are of the measured requests only.
async fn zipf_run(
    port: u16,
    pages: &[String],
    exponent: f64,
    warmup: u64,
    requests: u64,
    connections: u64,
) -> Result<ZipfCounts> {
    let cdf = Arc::new(zipf_cdf(pages.len(), exponent));
    let pages = Arc::new(pages.to_vec());
    let issued = Arc::new(AtomicU64::new(0));
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let total = warmup + requests;
    let started = Instant::now();
    let mut measured_from = None;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (cdf, pages, issued, counts) = (cdf.clone(), pages.clone(), issued.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1000 + c);
            let mut sender = None;
            loop {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return anyhow::Ok(());
                }
                let rank = cdf.partition_point(|p| *p < rng.random::<f64>()).min(pages.len() - 1);
                if sender.is_none() {
                    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
                    let (s, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
                    tokio::spawn(conn);
                    sender = Some(s);
                }
                let s = sender.as_mut().expect("connected above");
                let request =
                    hyper::Request::get(&pages[rank]).header("host", "127.0.0.1").body(Empty::<Bytes>::new())?;
                let slot = match s.send_request(request).await {
                    Ok(response) if response.status() == 200 => {
                        let slot = match response.headers().get("x-cache").and_then(|v| v.to_str().ok()) {
                            Some("hit") => 0,
                            Some("stale") => 1,
                            _ => 2,
                        };
                        response.into_body().collect().await.map_or(3, |_| slot)
                    }
                    Ok(response) => {
                        let _ = response.into_body().collect().await;
                        3
                    }
                    Err(_) => {
                        sender = None;
                        3
                    }
                };
                if n >= warmup {
                    counts[slot].fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Progress, and the start of the measured part.
    loop {
        let n = issued.load(Ordering::Relaxed);
        if measured_from.is_none() && n >= warmup {
            measured_from = Some(Instant::now());
        }
        if tasks.iter().all(|t| t.is_finished()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = measured_from.map_or(started.elapsed(), |t| t.elapsed());
    let get = |i: usize| counts[i].load(Ordering::Relaxed);
    Ok(ZipfCounts { hits: get(0), stale: get(1), misses: get(2), errors: get(3), elapsed })
}
