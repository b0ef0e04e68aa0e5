//! `cargo xtask bench edge`: the edge's cache against nginx, side by side in one run, on the same
//! machine, in front of the same core, with the same response body (a real product of the seeded
//! catalog):
//!
//! 1. nginx returning the body itself (the ceiling of this machine's loopback HTTP);
//! 2. nginx `proxy_cache`, configured as the edge is (cache lock, stale answers, core's
//!    `Cache-Control` obeyed, no access log, the edge's response headers added);
//! 3. the edge's cache hit.
//!
//! The parts (`--only` one of them; `throughput` is the first two):
//!
//! - `closed`: each over HTTP/1.1 and over TLS (same certificate, TLS 1.2 and 1.3, keep-alive),
//!   as fast as `wrk -t1 -c32` asks (a closed loop): the throughputs (`edge_rps`, `nginx_rps`,
//!   `ceiling_rps`, `edge_tls_rps`…) and, printed beside them, each target's latency at its own
//!   saturation (`edge_closed_p99_ms`…);
//! - `open`: each over HTTP/1.1 at one fixed rate, 80 % of the slower proxy's closed-loop
//!   throughput (or `--open-rate`), from the workspace's `loadgen` (an open loop: latency from
//!   each request's due time): the tails at equal load, `edge_p99_ms`, `nginx_p99_ms` and
//!   `ceiling_p99_ms` (with p50 and p99.9);
//! - `zipf`: a Zipf-distributed workload over the catalog's SKUs (each SKU's product page)
//!   through an edge with a 1 GiB cache, after a warm-up of the same workload, for the hit ratio.
//!
//! Why `edge_p99_ms` is the open loop's: in a closed loop each client connection sends its next
//! request when the previous answer arrives, so a faster proxy is asked for more requests a
//! second, and its p99 is taken at a higher load, on a client closer to saturation, than a
//! slower one's. On this machine the closed-loop p99 of nginx serving the body from a file (the
//! ceiling, the fastest answer there is) is above that of nginx's `proxy_cache` in most runs:
//! that figure rewards being slow. Comparing tails at one rate that both proxies carry is what
//! tells whether a shopper waits longer behind one than behind the other. The closed-loop p99s
//! stay in the output (`*_closed_p99_ms`, per round too).
//!
//! The load generator runs pinned to the first CPU and the proxy under test, with as many workers
//! as nginx, to the second; as root both run at `nice -20`, so that the bench's PostgreSQL, core
//! and partners (which share the two CPUs here) take only what they leave, as on a production
//! host where the proxy has its CPUs. The side-by-side runs take `--rounds` turns (see
//! [`side_by_side`]).

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

/// Seconds of unmeasured load on each target before its measured runs.
const WARM_UP_SECONDS: u64 = 2;

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
    let bin = crate::deps::build_packages(&["loadgen"], true)?;
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

    let (closed, open, zipf) = match args.only.as_deref() {
        None => (true, true, true),
        Some("throughput") => (true, true, false),
        Some("closed") => (true, false, false),
        Some("open") => (false, true, false),
        Some("zipf") => (false, false, true),
        Some(other) => bail!("--only takes throughput, closed, open or zipf, not {other}"),
    };
    let mut rate = args.open_rate;
    if closed {
        let pids = Pids {
            edge: _edge.pid().context("the edge has no pid")?,
            nginx: _nginx.pid().context("nginx has no pid")?,
        };
        let (edge_rps, nginx_rps) = side_by_side(&args, &product, &edge, &nginx, ceiling_port, &pids)?;
        if rate == 0 {
            rate = (0.8 * edge_rps.min(nginx_rps)) as u64;
        }
    }
    if open {
        if rate == 0 {
            bail!("--only open needs --open-rate");
        }
        open_loop_side_by_side(&args, &bin, &product, &edge, &nginx, ceiling_port, rate)?;
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
/// figures are printed too). Each target first gets [`WARM_UP_SECONDS`] of the same load,
/// unmeasured.
fn side_by_side(
    args: &super::Args,
    product: &str,
    edge: &Ports,
    nginx: &Ports,
    ceiling_port: u16,
    pids: &Pids,
) -> Result<(f64, f64)> {
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
    // Every target answers the same load for a while first, unmeasured: a process's first
    // seconds under load (its allocator's and runtime's growth, cold caches) are not its tail.
    for (_, url, _) in &targets {
        wrk(url, args.connections, WARM_UP_SECONDS)?;
    }
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
    println!("edge_closed_p99_ms: {:.2}", edge_http.p99_ms);
    println!("nginx_closed_p99_ms: {:.2}", nginx_http.p99_ms);
    println!("ceiling_rps: {:.0}", ceiling.rps);
    println!("edge_tls_rps: {:.0}", edge_tls.rps);
    println!("nginx_tls_rps: {:.0}", nginx_tls.rps);
    println!("edge_tls_closed_p99_ms: {:.2}", edge_tls.p99_ms);
    println!("nginx_tls_closed_p99_ms: {:.2}", nginx_tls.p99_ms);
    println!("ceiling_closed_p99_ms: {:.2}", ceiling.p99_ms);
    println!("edge_closed_p50_ms: {:.2}", edge_http.p50_ms);
    println!("nginx_closed_p50_ms: {:.2}", nginx_http.p50_ms);
    println!("edge_cpu_us_per_req: {:.1}", edge_http.cpu_us_per_request);
    println!("nginx_cpu_us_per_req: {:.1}", nginx_http.cpu_us_per_request);
    println!("ceiling_cpu_us_per_req: {:.1}", ceiling.cpu_us_per_request);
    println!("edge_tls_cpu_us_per_req: {:.1}", edge_tls.cpu_us_per_request);
    println!("nginx_tls_cpu_us_per_req: {:.1}", nginx_tls.cpu_us_per_request);
    for ((name, _, _), runs) in targets.iter().zip(&runs) {
        let each = |f: fn(&WrkRun) -> String| runs.iter().map(f).collect::<Vec<_>>().join(" / ");
        println!("{name}_rps_rounds: {}", each(|r| format!("{:.0}", r.rps)));
        println!("{name}_closed_p99_ms_rounds: {}", each(|r| format!("{:.2}", r.p99_ms)));
        let errors: u64 = runs.iter().map(|r| r.errors).sum();
        if errors > 0 {
            println!("{name}_errors: {errors}");
        }
    }
    println!("wrk: -t1 -c{} -d{secs}s per run, keep-alive, {rounds} rounds", args.connections);
    println!("priority: {}", if raised_priority() { "nice -20 (generators and proxies)" } else { "default" });

    Ok((edge_http.rps, nginx_http.rps))
}

/// The ceiling, nginx and the edge over HTTP/1.1 at one fixed `rate` (the `loadgen` crate), in
/// `--rounds` turns as in [`side_by_side`]; each target's p50, p99 and p99.9 are the medians of
/// its rounds'.
fn open_loop_side_by_side(
    args: &super::Args,
    bin: &Path,
    product: &str,
    edge: &Ports,
    nginx: &Ports,
    ceiling_port: u16,
    rate: u64,
) -> Result<()> {
    let rounds = args.rounds.max(1);
    let secs = (args.seconds.min(30) / rounds).max(1);
    // The same three over HTTP/1.1 at one fixed rate, below both proxies' capacity.
    let open_targets = [
        ("ceiling", ceiling_port, "/body".to_string()),
        ("nginx", nginx.http, product.to_string()),
        ("edge", edge.http, product.to_string()),
    ];
    for (_, port, target) in &open_targets {
        loadgen(bin, *port, target, args.connections, rate, WARM_UP_SECONDS)?;
    }
    let mut open: Vec<Vec<OpenRun>> = open_targets.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [0, 2, 1] };
        for i in order {
            let (name, port, target) = &open_targets[i];
            let run = loadgen(bin, *port, target, args.connections, rate, secs)?;
            eprintln!(
                "open loop {name} at {rate}/s: {:.0} answers/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, \
                 generator paused {} times over 1 ms, longest {:.2} ms",
                run.rps, run.p50_ms, run.p99_ms, run.p999_ms, run.pauses_over_1ms, run.longest_pause_ms
            );
            open[i].push(run);
        }
    }
    println!("open_rate: {rate}");
    for ((name, _, _), runs) in open_targets.iter().zip(&open) {
        let median = |f: fn(&OpenRun) -> f64| median(runs.iter().map(f));
        println!("{name}_open_rps: {:.0}", runs.iter().map(|r| r.rps).sum::<f64>() / runs.len() as f64);
        println!("{name}_p50_ms: {:.2}", median(|r| r.p50_ms));
        println!("{name}_p99_ms: {:.2}", median(|r| r.p99_ms));
        println!("{name}_p999_ms: {:.2}", median(|r| r.p999_ms));
        let each = runs.iter().map(|r| format!("{:.2}", r.p99_ms)).collect::<Vec<_>>().join(" / ");
        println!("{name}_p99_ms_rounds: {each}");
        println!("{name}_open_answered: {}", runs.iter().map(|r| r.answered).sum::<u64>());
        let failed: u64 = runs.iter().map(|r| r.errors + r.unanswered).sum();
        if failed > 0 {
            println!("{name}_open_failed: {failed}");
        }
    }
    println!(
        "open_loop: {} connections, {secs}s per run, {rounds} rounds, latency from each request's due time",
        args.connections
    );
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
        let median = |f: fn(&WrkRun) -> f64| median(runs.iter().map(f));
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

/// The median of the rounds' `values` (there is at least one round).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
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
    on_cpu(1, program)
}

/// A command run on CPU `cpu` only, ahead of the machine's other processes (`nice -n -20`) when
/// the bench may raise priorities (as root): the load generator on the first CPU and the proxy
/// under test on the second then have their CPUs nearly to themselves, as they would on a
/// production host, and the PostgreSQL, core and partner processes of the bench take only what
/// those leave. nginx and the edge are treated alike.
fn on_cpu(cpu: u8, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = if raised_priority() {
        let mut cmd = Command::new("nice");
        cmd.args(["-n", "-20", "taskset"]);
        cmd
    } else {
        Command::new("taskset")
    };
    cmd.args(["-c", &cpu.to_string()]).arg(program);
    cmd
}

/// Whether the bench's load generators and proxies run at `nice -20`.
fn raised_priority() -> bool {
    nix::unistd::Uid::effective().is_root()
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

/// nginx as a caching proxy in front of the same core (HTTP and HTTPS), adding the headers the
/// edge adds (request id, region, security headers, HSTS over TLS) so that both answer the same
/// bytes give or take a few, and serving the body itself on `ceiling_port`.
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
    map $scheme $hsts {{ https "max-age=63072000; includeSubDomains"; default ""; }}
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
            add_header x-request-id $request_id;
            add_header x-edge-region eu-west;
            add_header x-content-type-options nosniff;
            add_header x-frame-options DENY;
            add_header referrer-policy no-referrer;
            add_header content-security-policy "default-src 'none'; frame-ancestors 'none'";
            add_header strict-transport-security $hsts;
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

/// What one `loadgen` run measured.
struct OpenRun {
    rps: f64,
    answered: u64,
    errors: u64,
    unanswered: u64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    longest_pause_ms: f64,
    pauses_over_1ms: u64,
}

/// `loadgen` (the release build of the workspace's `loadgen` crate) at `rate` requests per second
/// for `seconds`, pinned to the first CPU as wrk is.
fn loadgen(bin: &Path, port: u16, target: &str, connections: usize, rate: u64, seconds: u64) -> Result<OpenRun> {
    let out = on_cpu(0, bin.join("loadgen"))
        .args(["--address", &format!("127.0.0.1:{port}"), "--target", target])
        .args(["--connections", &connections.to_string(), "--rate", &rate.to_string()])
        .args(["--seconds", &seconds.to_string()])
        .output()
        .context("running loadgen")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("loadgen 127.0.0.1:{port}{target} failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let field = |name: &str| -> Result<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")))
            .with_context(|| format!("no {name} in loadgen's output"))?
            .trim()
            .parse::<f64>()
            .with_context(|| format!("loadgen's {name}"))
    };
    Ok(OpenRun {
        rps: field("rps")?,
        answered: field("answered")? as u64,
        errors: field("errors")? as u64,
        unanswered: field("unanswered")? as u64,
        p50_ms: field("p50_ms")?,
        p99_ms: field("p99_ms")?,
        p999_ms: field("p999_ms")?,
        longest_pause_ms: field("longest_pause_ms")?,
        pauses_over_1ms: field("pauses_over_1ms")? as u64,
    })
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
    let out = on_cpu(0, "wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", url])
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
pub(super) fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
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

/// A connection to the edge, made on first use.
pub(super) type Connection = Option<hyper::client::conn::http1::SendRequest<Empty<Bytes>>>;

/// `GET page` on `sender` (connected to `port` first when it is not): how the cache answered, 0
/// a hit, 1 stale, 2 a miss, 3 an error (the connection is then dropped).
pub(super) async fn cache_read(port: u16, sender: &mut Connection, page: &str) -> Result<usize> {
    if sender.is_none() {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        let (s, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        *sender = Some(s);
    }
    let s = sender.as_mut().expect("connected above");
    let request = hyper::Request::get(page).header("host", "127.0.0.1").body(Empty::<Bytes>::new())?;
    Ok(match s.send_request(request).await {
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
            *sender = None;
            3
        }
    })
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
                let slot = cache_read(port, &mut sender, &pages[rank]).await?;
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
