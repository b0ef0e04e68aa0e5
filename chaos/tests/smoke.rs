//! The smoke scenario `cargo xtask test` runs: every region's core and edge on 127.0.0.1,
//! shoppers in every region, eu-west's core killed under load and restarted; every checker on
//! the history and the final state. SLO figures are printed, never asserted (machines are
//! noisy); invariants are.

use std::collections::BTreeSet;

use chaos::runner::{self, RunOptions};
use chaos::topology::Topology;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_core_killed_under_load_loses_no_acknowledged_order_and_charges_no_one_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut topo = Topology::loopback(600, Some(dir.path().to_path_buf())).await.unwrap();
    let opts = RunOptions { dir: dir.path().to_path_buf(), seed: 22, rate: 6.0, flash_rate: 0.0 };
    let scenario = chaos::scenarios::smoke();
    let result = runner::run_scenario(&mut topo, &scenario, &opts, 0, &mut BTreeSet::new()).await.unwrap();

    for j in &result.slo.journeys {
        eprintln!(
            "{}: steady {:.4} p99 {} ms, fault {:.4} p99 {} ms, after heal {:.4} p99 {} ms, recovery {} s",
            j.journey.as_str(),
            j.steady.availability,
            j.steady.p99_ms,
            j.fault.availability,
            j.fault.p99_ms,
            j.after_heal.availability,
            j.after_heal.p99_ms,
            j.recovery_seconds
        );
    }
    eprintln!("load: {:?}; settled in {:.1} s", result.load, result.settle_s);
    assert!(result.problems.is_empty(), "{:?}", result.problems);
    assert!(result.load.ops >= 1_000, "only {} operations", result.load.ops);
    let history = runner::history_of(&result).unwrap();
    let acked = history.iter().filter(|op| op.acked_order().is_some()).count();
    assert!(acked > 0, "no checkout was acknowledged");
    for verdict in &result.verdicts {
        let witnesses: Vec<String> = verdict.violations.iter().flat_map(|v| v.witness()).collect();
        assert!(verdict.passed(), "{} failed:\n{}", verdict.checker, witnesses.join("\n"));
    }

    // The same checkers see it when this run's state is broken on purpose: an acknowledged
    // order gone from the database, and its payment authorized and captured twice.
    let order = history.iter().find_map(|op| op.acked_order()).unwrap().to_string();
    let mut broken = result.state.clone();
    broken.orders.retain(|o| o.id != order);
    let mut twice = broken.authorizations.iter().find(|a| a.reference == order).cloned().unwrap();
    twice.id.push_str("-again");
    twice.status = "captured".into();
    broken.authorizations.push(twice);
    let verdicts = chaos::checkers::check_all(&history, &broken);
    assert_eq!(chaos::checkers::count(&verdicts, "lost_acknowledged"), 1);
    assert_eq!(chaos::checkers::count(&verdicts, "double_charge"), 1);
    let lost = verdicts.iter().flat_map(|v| &v.violations).find(|v| v.kind == "lost_acknowledged").unwrap();
    assert!(lost.ops.iter().all(|op| op.acked_order() == Some(order.as_str())), "the witness is that order's checkout");
}
