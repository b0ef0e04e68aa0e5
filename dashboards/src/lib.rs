//! SLOs as code and the dashboards that show them.
//!
//! - [`slo`]: the spec (`dashboards/slo.toml`: per user journey, an availability and a latency
//!   objective) and the Prometheus recording rules and multi-window multi-burn-rate alerts
//!   generated from it (`dashboards/rules/slo.rules.yml`, written by `cargo xtask slo`;
//!   `promtool check rules` and `promtool test rules` run them in `cargo xtask test`).
//! - [`grafana`]: the checker of the Grafana dashboards in `dashboards/grafana/`: well-formed,
//!   and every metric they query is one the code declares or the rules record.
//! - [`backups`]: the backups' metrics and the rules on the age of the last good backup
//!   (`dashboards/rules/backups.rules.yml`, hand-written, tested by `backups.test.yml`).

pub mod backups;
pub mod grafana;
pub mod promql;
pub mod slo;

use std::path::PathBuf;

/// The `dashboards/` folder of the workspace.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
