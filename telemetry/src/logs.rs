//! Log setup shared by the binaries: `SHOP_LOG` filters (default `info`), `SHOP_LOG_FORMAT=json`
//! writes one JSON object per line (for log shippers), anything else the human format.
//!
//! What goes into logs is decided where they are written: values as fields, ids rather than
//! personal data, never tokens, secrets or card data (see each crate's access log).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Where a binary writes its logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Stdout,
    Stderr,
}

/// Whether `SHOP_LOG_FORMAT` asks for JSON lines.
pub fn json_requested() -> bool {
    std::env::var("SHOP_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"))
}

/// Installs the global subscriber for a binary.
pub fn init(target: Target) {
    let filter = EnvFilter::try_from_env("SHOP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match (json_requested(), target) {
        (true, Target::Stdout) => builder.json().flatten_event(true).with_current_span(false).init(),
        (true, Target::Stderr) => {
            builder.json().flatten_event(true).with_current_span(false).with_writer(std::io::stderr).init()
        }
        (false, Target::Stdout) => builder.with_ansi(std::io::stdout().is_terminal()).init(),
        (false, Target::Stderr) => {
            builder.with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr).init()
        }
    }
}
