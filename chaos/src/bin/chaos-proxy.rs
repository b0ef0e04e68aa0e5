//! The fault proxy of a chaos run, in one region's network namespace:
//! `chaos-proxy --control 10.77.1.2:9000` (links are opened over the control API; see
//! `chaos::proxy`). Runs until stopped.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "chaos-proxy",
    about = "TCP links with faults on demand (latency, jitter, bandwidth, down, blackhole)"
)]
struct Args {
    /// Address of the control API.
    #[arg(long)]
    control: std::net::SocketAddr,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    chaos::proxy::serve(args.control).await
}
