//! Runs scenarios on a topology: the load from start to end, the fault injected after the
//! steady state and healed after its time, a settling wait (outbox drained, payments settled),
//! then the final state read and checked, and the SLO verdict.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::checkers::{self, Verdict};
use crate::history::{self, Journey, Op};
use crate::load::{self, Config, FlashSale, Mix, RegionTarget, Summary, now_ms};
use crate::scenarios::Scenario;
use crate::series::{self, Bucket};
use crate::slo::{self, Phases, SloVerdict};
use crate::topology::Topology;
use crate::{collect, faults};

/// How scenarios run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Where histories, logs and the report go.
    pub dir: PathBuf,
    /// Seeds the shoppers' choices (each scenario adds its index).
    pub seed: u64,
    /// Journeys started per second in each region.
    pub rate: f64,
    /// Flash-sale buyers per second per region.
    pub flash_rate: f64,
}

/// The result of one scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub scenario: Scenario,
    pub phases: Phases,
    pub load: Summary,
    pub history: PathBuf,
    pub verdicts: Vec<Verdict>,
    /// Violations first seen in this scenario (state checks see the whole run, so a violation
    /// found once would be found again by every later scenario).
    pub new_violations: Vec<checkers::Violation>,
    pub slo: SloVerdict,
    /// Per journey, every second of the scenario.
    pub series: BTreeMap<Journey, Vec<Bucket>>,
    /// What went wrong injecting or healing, if anything.
    pub problems: Vec<String>,
    /// Seconds waited after the load for the outbox to drain and payments to settle.
    pub settle_s: f64,
    /// What the checkers read besides the history (not in the report: the history and the
    /// database hold it).
    #[serde(skip)]
    pub state: crate::state::FinalState,
}

impl ScenarioResult {
    /// New violations of `kind`.
    pub fn count(&self, kind: &str) -> usize {
        self.new_violations.iter().filter(|v| v.kind == kind).count()
    }
}

/// Waits until every region's edge and core answer `/readyz`.
async fn wait_healthy(topo: &Topology, timeout: Duration) -> Result<()> {
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for region in topo.stack.procs.keys() {
        addrs.push(topo.stack.edge_addr(region));
        addrs.push(topo.stack.core_addr(region));
    }
    tokio::task::spawn_blocking(move || {
        for addr in addrs {
            testkit::wait_for_http_at(addr, "/readyz", timeout)?;
        }
        anyhow::Ok(())
    })
    .await?
}

/// The load of `scenario`.
fn load_config(topo: &Topology, scenario: &Scenario, opts: &RunOptions, index: u64, history: &Path) -> Result<Config> {
    let flash = scenario.flash_sale.then(|| FlashSale {
        product: topo.flash.clone(),
        from_ms: scenario.steady_s * 1000,
        to_ms: (scenario.steady_s + scenario.fault_s) * 1000,
        rate: opts.flash_rate,
    });
    shoppers(topo, opts.rate, opts.seed + index, scenario.duration_s(), flash, history)
}

/// Shoppers in every region's default market, `rate` journeys a second in each, for
/// `duration_s`, writing their history to `history`.
pub(crate) fn shoppers(
    topo: &Topology,
    rate: f64,
    seed: u64,
    duration_s: u64,
    flash: Option<FlashSale>,
    history: &Path,
) -> Result<Config> {
    let mut regions = Vec::new();
    for region in topo.stack.regions.regions() {
        let market = topo.stack.regions.market(region.default_market.as_str()).context("a region's default market")?;
        regions.push(RegionTarget {
            id: region.id.clone(),
            edge: topo.stack.edge_addr(&region.id),
            staff: topo.stack.staff_addr(&region.id),
            market: market.id.as_str().to_string(),
            language: market.default_language.as_str().to_string(),
            failover: region.failover.clone(),
            rate,
        });
    }
    Ok(Config {
        seed,
        duration_ms: duration_s * 1000,
        regions,
        payments: topo.stack.payments_addr(),
        products: topo.products.clone(),
        zipf_s: 1.0,
        mix: Mix { browse: 60, buy: 25, track: 10, returns: 5 },
        flash,
        op_timeout_ms: 15_000,
        staff_token: stack_tests::ADMIN_TOKEN.into(),
        max_in_flight: 2_000,
        history: history.to_path_buf(),
    })
}

/// The load running: in this process, or as `chaos-load` in the shoppers' namespace.
pub(crate) enum Running {
    Task(tokio::task::JoinHandle<Result<Summary>>),
    Process(testkit::ChildProcess, PathBuf),
}

pub(crate) fn start_load(topo: &Topology, config: Config, dir: &Path) -> Result<Running> {
    if !topo.is_isolated() {
        return Ok(Running::Task(tokio::spawn(load::run(config))));
    }
    let name = config.history.file_stem().and_then(|s| s.to_str()).unwrap_or("load").to_string();
    let config_path = dir.join(format!("{name}.load.json"));
    std::fs::write(&config_path, serde_json::to_vec_pretty(&config)?)?;
    let out = dir.join(format!("{name}.load.out"));
    let mut cmd: Command = topo.shoppers_command(&testkit::bin_dir().join("chaos-load"));
    cmd.arg("--config").arg(&config_path);
    cmd.stdout(std::fs::File::create(&out)?);
    Ok(Running::Process(testkit::ChildProcess::spawn("shoppers", cmd, None)?, out))
}

pub(crate) async fn finish_load(running: Running, deadline: Duration) -> Result<Summary> {
    match running {
        Running::Task(task) => tokio::time::timeout(deadline, task).await.context("the load did not end")??,
        Running::Process(mut child, out) => {
            let until = tokio::time::Instant::now() + deadline;
            loop {
                if let Some(status) = child.exited() {
                    if !status.success() {
                        bail!("the load generator failed: {status}");
                    }
                    let text = std::fs::read_to_string(&out)?;
                    return serde_json::from_str(text.trim()).context("the load generator's summary");
                }
                if tokio::time::Instant::now() > until {
                    child.stop();
                    bail!("the load generator did not end in time");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Waits (at most `timeout`) until no outbox event is pending and no order awaits its payment;
/// returns the seconds waited.
pub(crate) async fn settle(topo: &Topology, timeout: Duration) -> Result<f64> {
    let started = std::time::Instant::now();
    let sql = collect::connect(&topo.stack.db.url).await?;
    while started.elapsed() < timeout {
        let pending: i64 = sql
            .query_one(
                "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending') \
                      + (SELECT count(*) FROM orders WHERE status = 'pending_payment')",
                &[],
            )
            .await?
            .get(0);
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// What the checkers compare the history with: database `url`'s rows (the stack's, or a
/// restored copy), the partners' audits, and the stock before the load.
pub(crate) async fn final_state(topo: &Topology, url: &str) -> Result<crate::state::FinalState> {
    let sql = collect::connect(url).await?;
    let partners = collect::Partners {
        payments: topo.stack.payments_addr(),
        payments_key: stack_tests::PAYMENTS_API_KEY,
        warehouse: topo.stack.warehouse_addr(),
        warehouse_key: stack_tests::WAREHOUSE_API_KEY,
    };
    let mut state = collect::final_state(&sql, partners).await?;
    state.stock_before = topo.stock_before.clone();
    Ok(state)
}

/// Runs `scenario`; `seen` holds the violations earlier scenarios found.
pub async fn run_scenario(
    topo: &mut Topology,
    scenario: &Scenario,
    opts: &RunOptions,
    index: u64,
    seen: &mut BTreeSet<String>,
) -> Result<ScenarioResult> {
    wait_healthy(topo, Duration::from_secs(60)).await.context("the stack is not healthy before the scenario")?;
    let history_path = opts.dir.join(format!("history-{}.jsonl", scenario.name));
    let config = load_config(topo, scenario, opts, index, &history_path)?;
    let start_ms = now_ms();
    let started = tokio::time::Instant::now();
    let running = start_load(topo, config, &opts.dir)?;
    let mut problems = Vec::new();

    tokio::time::sleep_until(started + Duration::from_secs(scenario.steady_s)).await;
    let inject_ms = now_ms();
    eprintln!("  {}: injecting: {}", scenario.name, scenario.title);
    if let Err(e) = faults::inject(topo, &scenario.fault).await {
        problems.push(format!("injecting: {e:#}"));
    }
    tokio::time::sleep_until(started + Duration::from_secs(scenario.steady_s + scenario.fault_s)).await;
    let heal_ms = now_ms();
    eprintln!("  {}: healing", scenario.name);
    if let Err(first) = faults::heal(topo, &scenario.fault).await {
        problems.push(format!("healing: {first:#}"));
        faults::heal(topo, &scenario.fault).await.context("healing twice failed: the stack is not whole")?;
    }
    let summary = finish_load(running, Duration::from_secs(scenario.duration_s() + 180)).await?;
    let end_ms = start_ms + scenario.duration_s() * 1000;
    let settle_s = settle(topo, Duration::from_secs(60)).await?;

    let history = history::read(&history_path)?;
    let state = final_state(topo, &topo.stack.db.url).await?;
    let verdicts = checkers::check_all(&history, &state);
    let mut new_violations = Vec::new();
    for v in verdicts.iter().flat_map(|v| &v.violations) {
        if seen.insert(format!("{}: {}", v.kind, v.message)) {
            new_violations.push(v.clone());
        }
    }
    let phases = Phases { start_ms, inject_ms, heal_ms, end_ms };
    Ok(ScenarioResult {
        scenario: scenario.clone(),
        phases,
        load: summary,
        history: history_path,
        slo: slo::verdict(&history, phases),
        series: series::per_second(&history, start_ms, end_ms),
        verdicts,
        new_violations,
        problems,
        settle_s,
        state,
    })
}

/// The history of a finished scenario (for tests that break a checker on purpose).
pub fn history_of(result: &ScenarioResult) -> Result<Vec<Op>> {
    history::read(&result.history)
}
