//! `loadgen --address 127.0.0.1:8080 --target /path --rate 50000 --seconds 10`: requests at a
//! fixed rate (see the library), printing `name: value` lines.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Open-loop HTTP/1.1 load at a fixed rate; latency from each request's due time")]
struct Args {
    /// Server address (IP and port).
    #[arg(long)]
    address: SocketAddr,
    /// Request target (`GET` of this path).
    #[arg(long, default_value = "/")]
    target: String,
    /// Keep-alive connections of the pool.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Requests per second.
    #[arg(long)]
    rate: u64,
    /// Seconds of load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let run = loadgen::run(args.address, &args.target, args.connections, args.rate, Duration::from_secs(args.seconds))?;
    println!("rate: {}", args.rate);
    println!("rps: {:.0}", run.rps);
    println!("answered: {}", run.answered);
    println!("errors: {}", run.errors);
    println!("unanswered: {}", run.unanswered);
    for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999), ("max", 1.0)] {
        println!("{name}_ms: {:.3}", run.quantile_ms(q));
    }
    println!("longest_pause_ms: {:.3}", run.longest_pause.as_secs_f64() * 1000.0);
    println!("pauses_over_1ms: {}", run.pauses_over_1ms);
    Ok(())
}
