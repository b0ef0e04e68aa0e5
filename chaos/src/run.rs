//! A whole chaos run: the topology up, Prometheus watching, each scenario in turn, then the
//! page alerts read back and the report written.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::alerts::Prometheus;
use crate::report::{self, Environment, Report, ScenarioReport};
use crate::runner::{self, RunOptions, ScenarioResult};
use crate::scenarios::{self, Scenario};
use crate::topology::Topology;

/// What to run.
#[derive(Clone, Debug)]
pub struct ChaosOptions {
    /// Where the report, histories and logs go.
    pub dir: PathBuf,
    /// Scenario names to run; empty: all.
    pub only: Vec<String>,
    pub seed: u64,
    /// Journeys per second per region.
    pub rate: f64,
    /// Everything on 127.0.0.1 (no namespaces: network and database faults are skipped).
    pub loopback: bool,
    /// SKUs seeded.
    pub skus: u64,
    /// The SLO rules Prometheus evaluates; `None`: no Prometheus.
    pub rules: Option<PathBuf>,
    /// How to run this again, for the report.
    pub command: String,
    /// `debug` or `release`.
    pub build: String,
}

/// Scenarios left out of a run: (name, why).
pub type Skipped = Vec<(String, String)>;

/// The scenarios `options` select, and those skipped with why.
pub fn select(options: &ChaosOptions) -> Result<(Vec<Scenario>, Skipped)> {
    let all = scenarios::all();
    for name in &options.only {
        if !all.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
            bail!("no scenario {name}; there are: {}", names.join(", "));
        }
    }
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    for s in all.into_iter().filter(|s| options.only.is_empty() || options.only.contains(&s.name)) {
        if options.loopback && s.needs_isolation() {
            skipped.push((s.name.clone(), "needs network namespaces (run without --loopback, as root)".into()));
        } else {
            run.push(s);
        }
    }
    Ok((run, skipped))
}

/// Runs the selected scenarios and writes the report; returns it with the path of `report.md`.
pub async fn run(options: &ChaosOptions) -> Result<(Report, PathBuf)> {
    let started = Instant::now();
    let (scenarios, skipped) = select(options)?;
    std::fs::create_dir_all(&options.dir)?;
    let topology = if options.loopback { "loopback" } else { "namespaced" };
    let mut environment = Environment::detect(topology, &options.command, options.seed, options.rate, &options.build);
    eprintln!("==> starting the {topology} topology ({} SKUs)", options.skus);
    let mut topo = if options.loopback {
        Topology::loopback(options.skus, Some(options.dir.join("logs"))).await?
    } else {
        Topology::namespaced(options.skus, &options.dir).await?
    };
    let opts = RunOptions { dir: options.dir.clone(), seed: options.seed, rate: options.rate, flash_rate: 4.0 };
    let mut reports = Vec::new();
    let mut results: Vec<ScenarioResult> = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        eprintln!("==> scenario {} ({}/{}): {}", scenario.name, i + 1, scenarios.len(), scenario.title);
        // A Prometheus of its own per scenario (a fresh database): the burn rates and the page
        // alert see this scenario's requests only, not an earlier one's still in their windows.
        let prometheus = match &options.rules {
            Some(rules) => {
                let dir = options.dir.join("prometheus").join(&scenario.name);
                Some(Prometheus::start(&dir, &topo.scrape_targets(), rules).await?)
            }
            None => None,
        };
        let result = runner::run_scenario(&mut topo, scenario, &opts, i as u64, &mut seen).await?;
        let alerts = match &prometheus {
            Some(p) => Some(p.page_alerts(result.phases.start_ms, crate::load::now_ms()).await?),
            None => None,
        };
        drop(prometheus);
        eprintln!(
            "  {}: {} operations, {} new violations, recovery {:.0} s",
            scenario.name,
            result.load.ops,
            result.new_violations.len(),
            result.slo.recovery_seconds()
        );
        reports.push(ScenarioReport { result: result.clone(), alerts });
        results.push(result);
    }
    environment.duration_s = started.elapsed().as_secs_f64();
    let report = Report { environment, summary: report::summary(&results), scenarios: reports, skipped };
    let path = report::write(&options.dir, &report)?;
    drop(topo);
    // The report and the logs stay; the database's files (gigabytes after a run) do not.
    if !options.loopback {
        testkit::remove_cluster(&options.dir.join("pg"))?;
    }
    Ok((report, path))
}
