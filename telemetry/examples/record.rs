//! The cost of observing one request, as every process pays it: finding the route template
//! of a raw path (the edge), recording the request (all), and a server span with traces off.
//!
//! ```text
//! cargo xtask bench telemetry          # runs: cargo run --release -p telemetry --example record -- 3
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use telemetry::{HttpMetrics, Registry};

/// Nanoseconds per call of `f` over `seconds`, on `threads` threads at once.
fn per_call(threads: usize, seconds: f64, f: impl Fn(u64) + Sync) -> f64 {
    let until = Duration::from_secs_f64(seconds);
    let calls: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < until {
                        for _ in 0..1000 {
                            f(n);
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("bench thread")).sum()
    });
    until.as_nanos() as f64 * threads as f64 / calls as f64
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let registry = Registry::new("bench");
    let http = HttpMetrics::declare(&registry);
    let paths = ["/v1/fr/fr/products/0b6e4c2e", "/v1/carts/abc/lines/def", "/v1/markets", "/v1/fr/fr/products"];
    let headers = http::HeaderMap::new();

    let template = per_call(1, seconds, |n| {
        black_box(telemetry::routes::template_of(black_box(paths[(n % 4) as usize])));
    });
    let record = |n: u64| {
        let (route, journey) = telemetry::routes::template_of(paths[(n % 4) as usize]);
        http.record(route, journey, 200, 0.004);
    };
    let record_1 = per_call(1, seconds, record);
    let record_2 = per_call(2, seconds, record);
    let span_off = per_call(1, seconds, |_| {
        black_box(telemetry::traces::server_span("bench", "/v1/markets", "GET", &headers));
    });
    let encoded = registry.encode(Some("eu-west"));
    println!("template_of_ns: {template:.1}");
    println!("template_and_record_ns_1_thread: {record_1:.1}");
    println!("template_and_record_ns_2_threads: {record_2:.1}");
    println!("server_span_traces_off_ns: {span_off:.1}");
    println!("exposition_bytes: {}", encoded.len());
}
