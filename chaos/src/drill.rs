//! The restore drill: while shoppers place orders, the database's base backup is taken, its
//! log archived as it goes; then the database is wrecked (its `orders` table dropped, as a bad
//! migration would), a new cluster is restored from the backups to the moment just before, and
//! every core is moved onto it. The checkers then read the restored database and the partners:
//! every order acknowledged before the restore point must be back with its payment and stock,
//! and the outbox must resume without a partner applying an event twice.
//!
//! Figures: `rpo_seconds`, the acknowledged writes lost (from the last order acknowledged
//! before the wreck back to the latest one present after the restore; 0 when all are), and
//! `rto_seconds`, from the wreck until every core serves from the restored database.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use testkit::{Backups, PgOptions, PgServer, Restored, TestDb};
use time::OffsetDateTime;

use crate::checkers::{self, Verdict};
use crate::history::{self, Op};
use crate::load::{Summary, now_ms};
use crate::runner;
use crate::state::FinalState;
use crate::topology::{self, Topology};

/// How the drill runs.
#[derive(Clone, Debug)]
pub struct DrillOptions {
    /// Where the backups, the clusters, the history, the logs and the report go.
    pub dir: PathBuf,
    pub skus: u64,
    pub seed: u64,
    /// Shopper journeys started per second in each region.
    pub rate: f64,
    /// Seconds of load in all.
    pub load_s: u64,
    /// When (seconds into the load) the base backup is taken.
    pub backup_at_s: u64,
    /// When (seconds into the load) the database is wrecked.
    pub wreck_at_s: u64,
    /// The database's `archive_timeout`: how old the newest archived write may be.
    pub archive_timeout: Duration,
}

/// Moments of the drill, in milliseconds since the epoch.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Moments {
    pub load_started_ms: u64,
    pub backup_finished_ms: u64,
    /// The restore point: the database's clock just before the wreck.
    pub restore_point_ms: u64,
    /// The wreck committed.
    pub wreck_ms: u64,
    /// Every core serves from the restored database.
    pub swapped_ms: u64,
}

/// What the restored database holds of what shoppers were told.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Orders acknowledged before the restore point.
    pub acknowledged_before: usize,
    /// Of those, the ones missing from the restored database.
    pub lost_acknowledged: Vec<String>,
    /// Of those present, the ones without their payment.
    pub missing_payment: Vec<String>,
    /// Orders acknowledged between the restore point and the wreck (lost by the restore, by
    /// design), and how many of them are missing.
    pub acknowledged_in_window: usize,
    pub lost_in_window: usize,
    /// The last order acknowledged before the wreck, and when.
    pub last_acknowledged: Option<(String, u64)>,
    /// Acknowledged writes lost, in seconds (0 when every order acknowledged before the wreck
    /// is back).
    pub rpo_seconds: f64,
}

/// Compares the orders shoppers were told about with `state` (read from a restored database).
/// An order counts once, however many answers acknowledged it (a replayed checkout), and
/// before the restore point when any of them came before it.
pub fn assess(history: &[Op], state: &FinalState, moments: &Moments) -> Assessment {
    let orders: BTreeSet<&str> = state.orders.iter().map(|o| o.id.as_str()).collect();
    let paid: BTreeSet<&str> = state.payments.iter().map(|p| p.order.as_str()).collect();
    let mut a = Assessment::default();
    let (mut before, mut window) = (BTreeSet::new(), BTreeSet::new());
    let mut latest_present: Option<u64> = None;
    let mut any_missing = false;
    for op in history.iter().filter(|op| op.end_ms < moments.wreck_ms) {
        let Some(order) = op.acked_order() else { continue };
        let present = orders.contains(order);
        if a.last_acknowledged.as_ref().is_none_or(|(_, at)| op.end_ms > *at) {
            a.last_acknowledged = Some((order.to_string(), op.end_ms));
        }
        if present {
            latest_present = latest_present.max(Some(op.end_ms));
        } else {
            any_missing = true;
        }
        if op.end_ms < moments.restore_point_ms {
            before.insert(order);
        } else {
            window.insert(order);
        }
    }
    window.retain(|order| !before.contains(order));
    a.acknowledged_before = before.len();
    a.lost_acknowledged = before.iter().filter(|o| !orders.contains(*o)).map(|o| o.to_string()).collect();
    a.missing_payment =
        before.iter().filter(|o| orders.contains(*o) && !paid.contains(*o)).map(|o| o.to_string()).collect();
    a.acknowledged_in_window = window.len();
    a.lost_in_window = window.iter().filter(|o| !orders.contains(*o)).count();
    if any_missing && let Some((_, last)) = &a.last_acknowledged {
        let since = latest_present.unwrap_or(moments.load_started_ms);
        a.rpo_seconds = last.saturating_sub(since) as f64 / 1000.0;
    }
    a
}

/// The operations the checkers judge after a restore: those that ended before the restore
/// point, and those that began once the stack ran on the restored database. What was
/// acknowledged in between is what a restore to that point gives up ([`Assessment`] counts it).
pub fn judged(history: &[Op], moments: &Moments) -> Vec<Op> {
    history
        .iter()
        .filter(|op| op.end_ms < moments.restore_point_ms || op.start_ms > moments.swapped_ms)
        .cloned()
        .collect()
}

/// A finished drill.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DrillResult {
    pub moments: Moments,
    pub load: Summary,
    pub history: PathBuf,
    pub orders_acknowledged: usize,
    pub assessment: Assessment,
    /// Every checker on the judged operations and the restored database's final state.
    pub verdicts: Vec<Verdict>,
    pub base_backup_seconds: f64,
    /// Building the restored cluster (base backup copied, log replayed, promoted).
    pub restore_seconds: f64,
    /// From the wreck until every core serves from the restored database.
    pub rto_seconds: f64,
    pub settle_seconds: f64,
    /// The restored cluster's base backup and how much log it replayed.
    pub base_backup_bytes: u64,
    #[serde(skip)]
    pub state: FinalState,
}

impl DrillResult {
    pub fn violations(&self) -> usize {
        checkers::total(&self.verdicts)
    }

    /// The `name: value` lines the drill prints.
    pub fn summary(&self) -> Vec<(String, String)> {
        let a = &self.assessment;
        vec![
            ("orders_acknowledged".into(), self.orders_acknowledged.to_string()),
            ("orders_acknowledged_before_restore_point".into(), a.acknowledged_before.to_string()),
            ("lost_acknowledged".into(), a.lost_acknowledged.len().to_string()),
            ("missing_payment".into(), a.missing_payment.len().to_string()),
            ("acknowledged_between_restore_point_and_wreck".into(), a.acknowledged_in_window.to_string()),
            ("violations".into(), self.violations().to_string()),
            ("rpo_seconds".into(), format!("{:.3}", a.rpo_seconds)),
            ("rto_seconds".into(), format!("{:.1}", self.rto_seconds)),
            ("restore_seconds".into(), format!("{:.1}", self.restore_seconds)),
            ("base_backup_seconds".into(), format!("{:.1}", self.base_backup_seconds)),
            ("base_backup_mib".into(), format!("{:.0}", self.base_backup_bytes as f64 / 1048576.0)),
        ]
    }
}

/// The drill's stack and backups, kept after the run so that a test can restore again (to an
/// earlier point, say) and show the checkers catching what that loses.
pub struct Drill {
    pub topo: Topology,
    pub backups: Backups,
    /// The cluster the stack runs on after the swap.
    pub restored: Restored,
    dir: PathBuf,
}

impl Drill {
    /// A throwaway cluster restored to `target`, and the final state read from it (with the
    /// partners' audits as they are now).
    pub async fn state_at(&self, target: OffsetDateTime, name: &str) -> Result<FinalState> {
        let backups = self.backups.clone();
        // Looked at, not run on: it archives nothing.
        let opts = server_options(self.dir.join(name), vec!["archive_mode=off".into()]);
        let restored = tokio::task::spawn_blocking(move || backups.restore(Some(target), opts)).await??;
        let state = runner::final_state(&self.topo, &restored.server.url(DATABASE)).await;
        drop_blocking(restored.server).await;
        testkit::remove_cluster(&restored.dir)?;
        state
    }

    /// Stops the stack and the restored database, and removes the drill's clusters and
    /// backups (gigabytes at full size); its history, logs and report stay.
    pub async fn finish(self) -> Result<()> {
        let Drill { topo, backups, restored, dir } = self;
        drop(topo);
        drop_blocking(restored.server).await;
        for folder in [dir.join("pg"), restored.dir, backups.dir().to_path_buf()] {
            testkit::remove_cluster(&folder)?;
        }
        Ok(())
    }
}

const DATABASE: &str = "shop";

/// The drill's servers, in project folder `dir` on a free port: the first and every restore
/// of it alike (a restore needs at least the connections its source had).
fn server_options(dir: PathBuf, settings: Vec<String>) -> PgOptions {
    let mut opts = PgOptions::new(dir, testkit::free_port());
    opts.shared_buffers = "256MB".into();
    opts.max_connections = 300;
    // Checkpoints often enough that the log kept beside the data stays small (the catalog's
    // bulk load writes gigabytes of it at full size).
    opts.settings = vec!["max_wal_size=1GB".into()];
    opts.settings.extend(settings);
    opts
}

/// Stops a server off the async threads.
async fn drop_blocking(server: PgServer) {
    let _ = tokio::task::spawn_blocking(move || drop(server)).await;
}

/// Runs the drill; returns the stack (on the restored database) and the result.
pub async fn run(opts: &DrillOptions) -> Result<(Drill, DrillResult)> {
    std::fs::create_dir_all(&opts.dir)?;
    let backups = Backups::open(&opts.dir.join("backups"))?;
    let archive = backups.archive_settings(opts.archive_timeout)?;
    // The catalog's bulk load is not archived (it would be gigabytes at full size, and the
    // base backup comes after it): the archive command is set once the stack is up.
    let first: Vec<String> = archive.iter().filter(|s| !s.starts_with("archive_command=")).cloned().collect();
    let pg_opts = server_options(opts.dir.join("pg"), first);
    let pg = tokio::task::spawn_blocking(move || PgServer::start(pg_opts)).await??;
    backups.archive_into(&pg, false)?;
    let db = topology::create_database(&pg, DATABASE).await?;
    eprintln!("==> the stack over a database with its log archived ({} SKUs)", opts.skus);
    let logs = opts.dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut topo = Topology::loopback_on(opts.skus, Some(logs), Some(db)).await?;
    backups.archive_into(&pg, true)?;

    let history_path = opts.dir.join("history-restore-drill.jsonl");
    let config = runner::shoppers(&topo, opts.rate, opts.seed, opts.load_s, None, &history_path)?;
    let mut moments = Moments { load_started_ms: now_ms(), ..Moments::default() };
    let started = tokio::time::Instant::now();
    let running = runner::start_load(&topo, config, &opts.dir)?;

    tokio::time::sleep_until(started + Duration::from_secs(opts.backup_at_s)).await;
    eprintln!("==> base backup under load");
    let clock = Instant::now();
    let (pg, backups, base) = tokio::task::spawn_blocking(move || {
        let base = backups.base_backup(pg.host(), pg.port());
        (pg, backups, base)
    })
    .await?;
    let base = base?;
    let base_backup_seconds = clock.elapsed().as_secs_f64();
    moments.backup_finished_ms = now_ms();

    tokio::time::sleep_until(started + Duration::from_secs(opts.wreck_at_s)).await;
    eprintln!("==> wrecking the database: DROP TABLE orders CASCADE");
    let sql = crate::collect::connect(&topo.stack.db.url).await?;
    let micros: i64 =
        sql.query_one("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8", &[]).await?.get(0);
    sql.batch_execute("DROP TABLE orders CASCADE").await?;
    let wrecked = Instant::now();
    moments.wreck_ms = now_ms();
    moments.restore_point_ms = (micros / 1000) as u64;
    let target = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)?;

    eprintln!("==> restoring to {target} into a new cluster");
    let restore_dir = opts.dir.join("restored");
    let (pg, backups, restored) = tokio::task::spawn_blocking(move || {
        let restored = backups
            .archive_now(&pg, Duration::from_secs(60))
            .and_then(|()| backups.restore(Some(target), server_options(restore_dir, archive)));
        (pg, backups, restored)
    })
    .await?;
    let restored = restored?;
    let restore_seconds = wrecked.elapsed().as_secs_f64();
    eprintln!("==> moving every core onto the restored database");
    let db = TestDb { name: DATABASE.into(), url: restored.server.url(DATABASE) };
    topo.stack.swap_database(db).await.context("moving the cores onto the restored database")?;
    let rto_seconds = wrecked.elapsed().as_secs_f64();
    moments.swapped_ms = now_ms();
    drop(sql);
    drop_blocking(pg).await;

    let load = runner::finish_load(running, Duration::from_secs(opts.load_s + 180)).await?;
    let settle_seconds = runner::settle(&topo, Duration::from_secs(120)).await?;
    let history = history::read(&history_path)?;
    let state = runner::final_state(&topo, &topo.stack.db.url).await?;
    let assessment = assess(&history, &state, &moments);
    let verdicts = checkers::check_all(&judged(&history, &moments), &state);
    let result = DrillResult {
        moments,
        load,
        history: history_path,
        orders_acknowledged: history.iter().filter(|op| op.acked_order().is_some()).count(),
        assessment,
        verdicts,
        base_backup_seconds,
        restore_seconds,
        rto_seconds,
        settle_seconds,
        base_backup_bytes: folder_bytes(&base.path),
        state,
    };
    let drill = Drill { topo, backups, restored, dir: opts.dir.clone() };
    Ok((drill, result))
}

/// Bytes of the files under `dir`.
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => folder_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Writes the drill's report (`report.md`, `report.json`) into `dir`; returns the Markdown's
/// path.
pub fn write_report(dir: &Path, result: &DrillResult, env: &crate::report::Environment) -> Result<PathBuf> {
    let json = serde_json::json!({ "environment": env, "result": result });
    std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(&json)?)?;
    let mut md = String::from("# Restore drill\n\n");
    md.push_str(&format!(
        "`{}` ({} build), started {}, {:.0} s; {} CPUs, kernel {}; platform {}; {}; {}.\n",
        env.command,
        env.build,
        env.started,
        env.duration_s,
        env.cpus,
        env.kernel,
        env.platform,
        env.postgres,
        env.rustc
    ));
    md.push_str("\n```text\n");
    for (name, value) in result.summary() {
        md.push_str(&format!("{name}: {value}\n"));
    }
    md.push_str("```\n\n| checker | checked | violations |\n|---|---:|---:|\n");
    for v in &result.verdicts {
        md.push_str(&format!("| {} | {} | {} |\n", v.checker, v.checked, v.violations.len()));
    }
    let witnesses: Vec<String> = result.verdicts.iter().flat_map(|v| &v.violations).flat_map(|v| v.witness()).collect();
    if !witnesses.is_empty() {
        md.push_str("\n## Violations\n\n```text\n");
        md.push_str(&witnesses.join("\n"));
        md.push_str("\n```\n");
    }
    let a = &result.assessment;
    if let Some((order, at)) = &a.last_acknowledged {
        md.push_str(&format!(
            "\nLast order acknowledged before the wreck: {order}, {} ms before it; restore point {} ms before it.\n",
            result.moments.wreck_ms.saturating_sub(*at),
            result.moments.wreck_ms.saturating_sub(result.moments.restore_point_ms)
        ));
    }
    let path = dir.join("report.md");
    std::fs::write(&path, md)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::fixtures::*;

    fn moments() -> Moments {
        Moments {
            load_started_ms: 0,
            backup_finished_ms: 500,
            restore_point_ms: 5_000,
            wreck_ms: 5_100,
            swapped_ms: 9_000,
        }
    }

    #[test]
    fn every_order_back_is_no_loss() {
        let (history, state) = one_paid_order();
        let a = assess(&history, &state, &moments());
        assert_eq!((a.acknowledged_before, a.lost_acknowledged.len(), a.rpo_seconds), (1, 0, 0.0));
        assert_eq!(a.last_acknowledged.map(|(o, _)| o), Some("o-1".into()));
    }

    #[test]
    fn an_order_missing_after_the_restore_is_lost_and_counts_in_the_rpo() {
        let (mut history, mut state) = one_paid_order();
        history.push(checkout(2, "o-2", "c-2", "k-2", 3_000));
        let a = assess(&history, &state, &moments());
        assert_eq!(a.lost_acknowledged, vec!["o-2".to_string()]);
        assert!((a.rpo_seconds - 2.0).abs() < 1e-9, "{a:?}");
        state.payments.clear();
        assert_eq!(assess(&history, &state, &moments()).missing_payment, vec!["o-1".to_string()]);
    }

    #[test]
    fn an_order_acknowledged_twice_counts_once() {
        let (mut history, mut state) = one_paid_order();
        history.push(checkout(2, "o-1", "c-1", "k-1", 2_000));
        let a = assess(&history, &state, &moments());
        assert_eq!(a.acknowledged_before, 1);
        state.orders.clear();
        assert_eq!(assess(&history, &state, &moments()).lost_acknowledged, vec!["o-1".to_string()]);
    }

    #[test]
    fn orders_acknowledged_after_the_restore_point_are_counted_apart_and_not_judged() {
        let (mut history, state) = one_paid_order();
        history.push(checkout(2, "o-2", "c-2", "k-2", 4_995));
        let a = assess(&history, &state, &moments());
        assert_eq!((a.acknowledged_before, a.lost_acknowledged.len()), (1, 0));
        assert_eq!((a.acknowledged_in_window, a.lost_in_window), (1, 1));
        assert!(a.rpo_seconds > 0.0);
        assert_eq!(judged(&history, &moments()).len(), 1, "the window's checkout is not judged");
    }
}
