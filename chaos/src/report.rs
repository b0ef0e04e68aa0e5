//! The report of a run, for an SRE: `report.md` (what was done, what held, what did not, one
//! chart per scenario) and `report.json` (the same figures for tools), with the seed and the
//! versions needed to run it again; and the `name: value` lines `cargo xtask chaos` prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::alerts::AlertTimes;
use crate::history::Journey;
use crate::runner::ScenarioResult;
use crate::slo::{self, JourneyVerdict};

/// Targets of the issue that asked for chaos runs.
pub const TARGET_BROWSE: f64 = 0.999;
pub const TARGET_CHECKOUT: f64 = 0.99;
pub const TARGET_RECOVERY_S: f64 = 10.0;

/// Where and with what a run ran.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Environment {
    /// `namespaced` or `loopback`.
    pub topology: String,
    pub command: String,
    pub seed: u64,
    /// Journeys per second per region.
    pub rate: f64,
    pub started: String,
    pub duration_s: f64,
    pub cpus: usize,
    pub kernel: String,
    /// `git describe` of the platform, and whether the tree had changes.
    pub platform: String,
    pub rustc: String,
    pub postgres: String,
    pub prometheus: String,
    /// Debug or release binaries.
    pub build: String,
}

fn first_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(if o.stdout.is_empty() { &o.stderr } else { &o.stdout })
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "unknown".into())
}

impl Environment {
    /// The machine and the versions of what runs.
    pub fn detect(topology: &str, command: &str, seed: u64, rate: f64, build: &str) -> Self {
        let root = testkit::workspace_root();
        let git = |args: &[&str]| first_line("git", &[&["-C", &root.display().to_string()], args].concat());
        let dirty = if git(&["status", "--porcelain"]).is_empty() { "" } else { " (with uncommitted changes)" };
        let postgres = testkit::pg_bin_dir()
            .map(|d| first_line(&d.join("postgres").display().to_string(), &["--version"]))
            .unwrap_or_else(|_| "unknown".into());
        Self {
            topology: topology.into(),
            command: command.into(),
            seed,
            rate,
            started: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            duration_s: 0.0,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel: first_line("uname", &["-r"]),
            platform: format!("{}{dirty}", git(&["describe", "--always", "--dirty=-modified"])),
            rustc: first_line("rustc", &["--version"]),
            postgres,
            prometheus: first_line("prometheus", &["--version"]),
            build: build.into(),
        }
    }
}

/// A scenario's result and its alerts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioReport {
    #[serde(flatten)]
    pub result: ScenarioResult,
    /// Page alerts pending or firing during the scenario (and its settling), from a Prometheus
    /// that watched this scenario only; `None` when none watched.
    pub alerts: Option<Vec<AlertTimes>>,
}

/// The whole run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub environment: Environment,
    pub scenarios: Vec<ScenarioReport>,
    /// The summary lines, in order.
    pub summary: Vec<(String, String)>,
    /// Scenarios skipped, with why.
    pub skipped: Vec<(String, String)>,
}

/// Availability from the injection to the end of the recovery window.
pub fn availability_from_injection(j: &JourneyVerdict) -> f64 {
    let ops = j.fault.ops + j.after_heal.ops;
    if ops == 0 {
        return 1.0;
    }
    1.0 - (j.fault.unavailable + j.after_heal.unavailable) as f64 / ops as f64
}

fn journey_availability(r: &ScenarioResult, journey: Journey) -> f64 {
    r.slo.journey(journey).map_or(1.0, availability_from_injection)
}

/// The `name: value` lines: per scenario, then for the run.
pub fn summary(results: &[ScenarioResult]) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    let f4 = |x: f64| format!("{x:.4}");
    for r in results {
        let n = &r.scenario.name;
        lines.push((format!("{n}_lost_acknowledged"), r.count("lost_acknowledged").to_string()));
        lines.push((format!("{n}_oversold"), r.count("oversold").to_string()));
        lines.push((format!("{n}_double_charges"), r.count("double_charge").to_string()));
        lines.push((format!("{n}_violations"), r.new_violations.len().to_string()));
        lines.push((format!("{n}_browse_availability"), f4(journey_availability(r, Journey::Browse))));
        lines.push((format!("{n}_checkout_availability"), f4(journey_availability(r, Journey::Checkout))));
        lines.push((format!("{n}_recovery_seconds"), format!("{:.0}", r.slo.recovery_seconds())));
    }
    let single: Vec<&ScenarioResult> = results.iter().filter(|r| r.scenario.single_process).collect();
    let worst = |rs: &[&ScenarioResult], j: Journey| rs.iter().map(|r| journey_availability(r, j)).fold(1.0, f64::min);
    let all: Vec<&ScenarioResult> = results.iter().collect();
    lines.push(("scenarios".into(), results.len().to_string()));
    lines.push(("violations_total".into(), results.iter().map(|r| r.new_violations.len()).sum::<usize>().to_string()));
    lines.push(("worst_browse_availability".into(), f4(worst(&single, Journey::Browse))));
    lines.push(("worst_checkout_availability".into(), f4(worst(&single, Journey::Checkout))));
    lines.push((
        "worst_recovery_seconds".into(),
        format!("{:.0}", single.iter().map(|r| r.slo.recovery_seconds()).fold(0.0, f64::max)),
    ));
    lines.push(("worst_browse_availability_all_scenarios".into(), f4(worst(&all, Journey::Browse))));
    lines.push(("worst_checkout_availability_all_scenarios".into(), f4(worst(&all, Journey::Checkout))));
    lines.push((
        "worst_recovery_seconds_all_scenarios".into(),
        format!("{:.0}", results.iter().map(|r| r.slo.recovery_seconds()).fold(0.0, f64::max)),
    ));
    let outside = results
        .iter()
        .flat_map(|r| r.slo.journeys.iter().flat_map(|j| [j.steady.p99_ms, j.after_heal.p99_ms]))
        .max()
        .unwrap_or(0);
    lines.push(("worst_p99_ms_outside_fault_windows".into(), outside.to_string()));
    lines
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

fn seconds_after(ms: Option<u64>, base_ms: u64) -> String {
    match ms {
        Some(t) if t >= base_ms => format!("+{:.0} s", (t - base_ms) as f64 / 1000.0),
        Some(t) => format!("-{:.0} s", (base_ms - t) as f64 / 1000.0),
        None => "-".into(),
    }
}

/// Writes `report.md`, `report.json` and `charts/*.svg` into `dir`; returns the path of
/// `report.md`.
pub fn write(dir: &Path, report: &Report) -> Result<PathBuf> {
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)?;
    for s in &report.scenarios {
        let r = &s.result;
        crate::charts::draw(
            &charts.join(format!("{}.svg", r.scenario.name)),
            &r.scenario.name,
            r.slo.phases,
            &r.series,
        )?;
    }
    std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(report)?)?;
    let path = dir.join("report.md");
    std::fs::write(&path, markdown(report))?;
    Ok(path)
}

fn markdown(report: &Report) -> String {
    let e = &report.environment;
    let mut md = String::new();
    let _ = writeln!(md, "# Chaos run of {}\n", e.started);
    let _ = writeln!(
        md,
        "Repeat it with `{}` (seed {}, {} journeys a second per region). Topology: {}. Duration {:.0} s.\n",
        e.command, e.seed, e.rate, e.topology, e.duration_s
    );
    let _ = writeln!(
        md,
        "Machine: {} CPUs, kernel {}. Platform {} ({} build), {}, {}, {}.\n",
        e.cpus, e.kernel, e.platform, e.build, e.rustc, e.postgres, e.prometheus
    );
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(
        md,
        "| scenario | lost acknowledged | oversold | double charges | violations | browse availability | checkout availability | recovery (s) | page alert |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for s in &report.scenarios {
        let r = &s.result;
        let alert = match &s.alerts {
            None => "not watched".to_string(),
            Some(a) => match a.iter().filter_map(|a| a.firing_ms).min() {
                Some(t) => format!("fired {}", seconds_after(Some(t), r.phases.inject_ms)),
                None if a.iter().any(|a| a.pending_ms.is_some()) => "pending, never fired".into(),
                None => "did not fire".into(),
            },
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {:.0} | {} |",
            r.scenario.name,
            r.count("lost_acknowledged"),
            r.count("oversold"),
            r.count("double_charge"),
            r.new_violations.len(),
            pct(journey_availability(r, Journey::Browse)),
            pct(journey_availability(r, Journey::Checkout)),
            r.slo.recovery_seconds(),
            alert
        );
    }
    for (name, why) in &report.skipped {
        let _ = writeln!(md, "| {name} | skipped: {why} | | | | | | | |");
    }
    let _ = writeln!(md, "\n```text");
    for (k, v) in &report.summary {
        let _ = writeln!(md, "{k}: {v}");
    }
    let _ = writeln!(md, "```\n");
    let _ = writeln!(md, "## Targets\n");
    let value =
        |k: &str| report.summary.iter().find(|(n, _)| n == k).and_then(|(_, v)| v.parse::<f64>().ok()).unwrap_or(0.0);
    let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
    let _ = writeln!(md, "| target | value | verdict |\n|---|---:|---|");
    let _ = writeln!(
        md,
        "| no violation (lost, oversold, double charges included) | {} | {} |",
        value("violations_total"),
        verdict(value("violations_total") == 0.0)
    );
    let _ = writeln!(
        md,
        "| browse availability >= 99.9 % during single-process faults | {} | {} |",
        pct(value("worst_browse_availability")),
        verdict(value("worst_browse_availability") >= TARGET_BROWSE)
    );
    let _ = writeln!(
        md,
        "| checkout availability >= 99 % during single-process faults | {} | {} |",
        pct(value("worst_checkout_availability")),
        verdict(value("worst_checkout_availability") >= TARGET_CHECKOUT)
    );
    let _ = writeln!(
        md,
        "| recovery <= 10 s (single-process faults) | {} s | {} |",
        value("worst_recovery_seconds"),
        verdict(value("worst_recovery_seconds") <= TARGET_RECOVERY_S)
    );
    let _ = writeln!(
        md,
        "| p99 < 2 s for every journey outside the fault windows | {} ms | {} |\n",
        value("worst_p99_ms_outside_fault_windows"),
        verdict(value("worst_p99_ms_outside_fault_windows") < slo::LATENCY_MS as f64)
    );

    for s in &report.scenarios {
        scenario_section(&mut md, s);
    }
    md.push_str(READING);
    md
}

fn window(w: &slo::Window) -> String {
    format!("{} ({}/{}), p99 {} ms", pct(w.availability), w.ops - w.unavailable, w.ops, w.p99_ms)
}

fn scenario_section(md: &mut String, s: &ScenarioReport) {
    let r = &s.result;
    let p = r.phases;
    let _ = writeln!(md, "## {}: {}\n", r.scenario.name, r.scenario.title);
    let _ = writeln!(md, "Hypothesis: {}.\n", r.scenario.hypothesis);
    let _ = writeln!(
        md,
        "Steady state from 0 s, fault injected at {:.0} s, healed at {:.0} s, recovery window to {:.0} s. {} journeys, {} operations ({} skipped, {} dropped at the end); settled {:.0} s after the load.\n",
        (p.inject_ms - p.start_ms) as f64 / 1000.0,
        (p.heal_ms - p.start_ms) as f64 / 1000.0,
        (p.end_ms - p.start_ms) as f64 / 1000.0,
        r.load.journeys,
        r.load.ops,
        r.load.skipped,
        r.load.dropped,
        r.settle_s
    );
    let _ = writeln!(
        md,
        "| journey | steady | during the fault | after the heal | budget used (min of {:.1}) | recovery (s) |",
        slo::BUDGET_MINUTES
    );
    let _ = writeln!(md, "|---|---|---|---|---:|---:|");
    for j in &r.slo.journeys {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.3} ({}) | {:.0} |",
            j.journey.as_str(),
            window(&j.steady),
            window(&j.fault),
            window(&j.after_heal),
            j.budget_minutes,
            pct(j.budget_minutes / slo::BUDGET_MINUTES),
            j.recovery_seconds
        );
    }
    match &s.alerts {
        None => {
            let _ = writeln!(md, "\nPage alert: no Prometheus watched this run.");
        }
        Some(alerts) if alerts.is_empty() => {
            let _ = writeln!(md, "\nPage alert: did not go pending or fire.");
        }
        Some(alerts) => {
            let _ = writeln!(md, "\nPage alerts (times from the injection):\n");
            for a in alerts {
                let _ = writeln!(
                    md,
                    "- `{}` {}: pending {}, firing {}",
                    a.alert,
                    a.series,
                    seconds_after(a.pending_ms, p.inject_ms),
                    seconds_after(a.firing_ms, p.inject_ms)
                );
            }
        }
    }
    let _ = writeln!(md, "\n| checker | invariant | checked | verdict |\n|---|---|---:|---|");
    for v in &r.verdicts {
        let verdict = if v.passed() { "pass".to_string() } else { format!("**{} violations**", v.violations.len()) };
        let _ = writeln!(md, "| {} | {} | {} | {} |", v.checker, v.invariant, v.checked, verdict);
    }
    if !r.new_violations.is_empty() {
        let _ = writeln!(md, "\nWitnesses (first 5 violations first seen here):\n\n```text");
        for v in r.new_violations.iter().take(5) {
            for line in v.witness() {
                let _ = writeln!(md, "{line}");
            }
        }
        let _ = writeln!(md, "```");
    }
    if !r.problems.is_empty() {
        let _ = writeln!(md, "\nProblems: {}", r.problems.join("; "));
    }
    let _ = writeln!(md, "\n![{0}](charts/{0}.svg)\n", r.scenario.name);
}

const READING: &str = "## Reading this report

- **Availability** is the share of operations served: an answer below 500 other than 408 and
  429. A refusal by a business rule (sold out, declined) is served. A connection that could not
  be made, a timeout and a 5xx are not. The summary's availabilities run from the injection to
  the end of the recovery window; the tables split steady state, fault and after the heal.
- **p99** is the 99th percentile of operation latency as the shopper measured it, failures
  included (a timeout counts its full wait).
- **Recovery** is the longest run of degraded seconds (under 99 % served, for any journey; gaps of
  up to 2 s joined) from the injection on: how long shoppers saw the fault in one go. A fault the
  platform masks has recovery 0.
- **Budget used** adds, for each second, the share of operations not served: a full outage of one
  minute uses one minute of the 43.2 minutes a 99.9 % objective allows in 30 days.
- **Checkers** read the history (`history-<scenario>.jsonl`, one operation a line) and the final
  state of the database and the partners. State checks see the whole run: a violation is counted
  in the scenario that first shows it.
- **Page alert** is `SLOBudgetBurnFast` from `dashboards/rules/slo.rules.yml`, evaluated by a
  Prometheus that scraped every edge and core every 2 s during that scenario only (a fresh one per
  scenario, so that an earlier scenario's errors are not in its windows). It pages after 2 minutes
  above 14.4 times the budget rate over both 5 minutes and 1 hour: a fault of 30 s can make it
  pending, not fire, by design. The edge-side SLI cannot see requests that never reach an edge (a
  dead edge's shoppers).
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_from_the_injection_counts_fault_and_recovery_windows() {
        let w = |ops, unavailable| slo::Window { ops, unavailable, ..slo::Window::default() };
        let j = JourneyVerdict {
            journey: Journey::Browse,
            steady: w(100, 50),
            fault: w(100, 1),
            after_heal: w(100, 1),
            overall: w(300, 52),
            budget_minutes: 0.0,
            recovery_seconds: 0.0,
            after_heal_seconds: 0.0,
        };
        assert!((availability_from_injection(&j) - 0.99).abs() < 1e-12);
    }
}
