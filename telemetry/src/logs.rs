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

/// Installs the global subscriber for a binary: logs (filtered by `SHOP_LOG`), and traces when
/// an OTLP endpoint is configured (see [`crate::traces`]). Keep the guard until the end of
/// `main`: dropping it flushes the spans not yet exported.
pub fn init(service: &'static str, target: Target) -> Option<crate::traces::Guard> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter = EnvFilter::try_from_env("SHOP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let base = tracing_subscriber::fmt::layer();
    let logs: Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync> = match (json_requested(), target) {
        (true, Target::Stdout) => base.json().flatten_event(true).with_span_list(false).with_filter(filter).boxed(),
        (true, Target::Stderr) => base
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        (false, Target::Stdout) => base.with_ansi(std::io::stdout().is_terminal()).with_filter(filter).boxed(),
        (false, Target::Stderr) => {
            base.with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr).with_filter(filter).boxed()
        }
    };
    let provider = crate::traces::provider(service);
    // Spans only (down to `debug`, where the database's are), never events.
    let spans = tracing_subscriber::filter::filter_fn(|meta| meta.is_span() && *meta.level() <= tracing::Level::DEBUG)
        .with_max_level_hint(tracing::Level::DEBUG);
    let traces = provider.as_ref().map(|p| crate::traces::layer(p, service).with_filter(spans));
    tracing_subscriber::registry().with(logs).with(traces).init();
    provider.map(crate::traces::guard)
}
