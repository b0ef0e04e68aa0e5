//! Prometheus watching a run: it scrapes every edge and core with the SLO rules generated from
//! `dashboards/slo.toml` loaded, and after the run says whether and when the page alert
//! (`SLOBudgetBurnFast`, severity `page`) went pending and fired for each scenario.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use testkit::ChildProcess;

use crate::client::Client;

/// Seconds between two scrapes, and between two rule evaluations.
pub const SCRAPE_SECONDS: u64 = 2;
pub const EVALUATION_SECONDS: u64 = 5;

/// A Prometheus server of the run, on 127.0.0.1.
pub struct Prometheus {
    pub addr: SocketAddr,
    _process: ChildProcess,
}

/// When an alert of a scenario went pending and fired (unix milliseconds).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertTimes {
    pub alert: String,
    /// The labels that tell which journey and region, as `journey/slo/region`.
    pub series: String,
    pub pending_ms: Option<u64>,
    pub firing_ms: Option<u64>,
}

impl Prometheus {
    /// Starts Prometheus with its data in `dir`, scraping `targets` (job, address) with the
    /// rules of `rules`.
    pub async fn start(dir: &Path, targets: &[(&str, SocketAddr)], rules: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir.join("data"))?;
        let mut jobs = String::new();
        for job in ["edge", "core"] {
            let addrs: Vec<String> = targets.iter().filter(|(j, _)| *j == job).map(|(_, a)| format!("'{a}'")).collect();
            jobs.push_str(&format!("  - job_name: {job}\n    static_configs: [{{targets: [{}]}}]\n", addrs.join(", ")));
        }
        let config = format!(
            "# Written by a chaos run.\nglobal:\n  scrape_interval: {SCRAPE_SECONDS}s\n  evaluation_interval: {EVALUATION_SECONDS}s\n\
             rule_files:\n  - '{}'\nscrape_configs:\n{jobs}",
            rules.display()
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config)?;
        let port = testkit::free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = std::process::Command::new("prometheus");
        cmd.arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={addr}"));
        let process = ChildProcess::spawn("prometheus", cmd, Some(&dir.join("prometheus.log")))?;
        tokio::task::spawn_blocking(move || testkit::wait_for_http_at(addr, "/-/ready", Duration::from_secs(60)))
            .await?
            .context("prometheus did not start")?;
        Ok(Self { addr, _process: process })
    }

    /// The page alerts' pending and firing times between `from_ms` and `to_ms`.
    pub async fn page_alerts(&self, from_ms: u64, to_ms: u64) -> Result<Vec<AlertTimes>> {
        let mut out: Vec<AlertTimes> = Vec::new();
        for state in ["pending", "firing"] {
            let query = format!("ALERTS{{severity=\"page\",alertstate=\"{state}\"}}");
            let q: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
            let path = format!(
                "/api/v1/query_range?query={q}&start={:.3}&end={:.3}&step={EVALUATION_SECONDS}",
                from_ms as f64 / 1000.0,
                to_ms as f64 / 1000.0
            );
            let reply = Client::new(Duration::from_secs(30)).call(self.addr, "GET", &path, &[], None).await;
            let body = reply.body().filter(|_| reply.status() == Some(200)).context("querying prometheus")?;
            for series in body["data"]["result"].as_array().into_iter().flatten() {
                let m = &series["metric"];
                let label = |k: &str| m[k].as_str().unwrap_or("-").to_string();
                let name = format!("{}/{}/{}", label("journey"), label("slo"), label("region"));
                let first = series["values"]
                    .as_array()
                    .and_then(|v| v.first())
                    .and_then(|v| v[0].as_f64())
                    .map(|s| (s * 1000.0) as u64);
                let entry = match out.iter_mut().find(|a| a.series == name) {
                    Some(e) => e,
                    None => {
                        out.push(AlertTimes { alert: label("alertname"), series: name, ..AlertTimes::default() });
                        out.last_mut().expect("just pushed")
                    }
                };
                if state == "pending" {
                    entry.pending_ms = first;
                } else {
                    entry.firing_ms = first;
                }
            }
        }
        Ok(out)
    }
}
