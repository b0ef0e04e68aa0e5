//! The `edge` binary: `cargo run -p edge -- --region eu-west --core 127.0.0.1:7101`.

use std::process::ExitCode;

use clap::Parser;
use edge::settings::{Cli, Settings};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Pingora exits the process itself: spans are exported by the batch exporter as they end.
    let _traces = telemetry::logs::init("edge", telemetry::logs::Target::Stderr);

    let (settings, catalog) = match Settings::resolve(&cli) {
        Ok(resolved) => resolved,
        Err(e) => {
            eprintln!("edge: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.check_config {
        println!("{}", settings.summary(&catalog));
        return ExitCode::SUCCESS;
    }
    match edge::server::run(settings, catalog) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "edge failed to start");
            ExitCode::FAILURE
        }
    }
}
