//! The shoppers of a chaos run, in their own network namespace:
//! `chaos-load --config load.json` runs the load the file describes (see `chaos::load::Config`),
//! writes its history, prints its summary as JSON and exits.

use clap::Parser;

#[derive(Parser)]
#[command(name = "chaos-load", about = "Open-loop shopper journeys, every operation written to a history file")]
struct Args {
    /// The load's configuration (JSON).
    #[arg(long)]
    config: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config: chaos::load::Config = serde_json::from_slice(&std::fs::read(&args.config)?)?;
    let summary = chaos::load::run(config).await?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}
