//! The short restore drill `cargo xtask test` runs: every region on 127.0.0.1 over a database
//! of its own whose log is archived, a few hundred orders, a base backup under load, the
//! `orders` table dropped, a restore to just before, every core moved onto it. The data checks
//! are asserted (no order acknowledged before the restore point lost, payments and stock
//! whole, no event applied twice); the recovery figures are printed, never asserted (machines
//! are noisy: `cargo xtask drill restore` holds them to their targets). Then the backups are
//! restored again to an earlier point, and the same checks must catch what that loses.

use std::time::Duration;

use chaos::drill::{self, DrillOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_wrecked_under_load_is_restored_to_just_before_with_every_acknowledged_order() {
    let dir = tempfile::tempdir().unwrap();
    let opts = DrillOptions {
        dir: dir.path().to_path_buf(),
        skus: 600,
        seed: 22,
        rate: 8.0,
        load_s: 40,
        backup_at_s: 5,
        wreck_at_s: 25,
        archive_timeout: Duration::from_secs(5),
    };
    let (drill, result) = drill::run(&opts).await.unwrap();
    for (name, value) in result.summary() {
        eprintln!("{name}: {value}");
    }
    let a = &result.assessment;
    assert!(a.acknowledged_before >= 50, "only {} orders acknowledged before the restore point", a.acknowledged_before);
    assert!(a.lost_acknowledged.is_empty(), "acknowledged orders lost: {:?}", a.lost_acknowledged);
    assert!(a.missing_payment.is_empty(), "orders back without their payment: {:?}", a.missing_payment);
    for verdict in &result.verdicts {
        let witnesses: Vec<String> = verdict.violations.iter().flat_map(|v| v.witness()).collect();
        assert!(verdict.passed(), "{} failed:\n{}", verdict.checker, witnesses.join("\n"));
    }
    let acked_after_swap = chaos::history::read(&result.history)
        .unwrap()
        .iter()
        .filter(|op| op.start_ms > result.moments.swapped_ms && op.acked_order().is_some())
        .count();
    assert!(acked_after_swap > 0, "no order was acknowledged on the restored database");

    // Broken on purpose: restored to halfway between the base backup and the restore point,
    // the database misses orders acknowledged before the restore point, and the same checks
    // say so.
    let history = chaos::history::read(&result.history).unwrap();
    let m = result.moments;
    let earlier_ms = m.backup_finished_ms + (m.restore_point_ms - m.backup_finished_ms) / 2;
    let earlier = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(earlier_ms) * 1_000_000).unwrap();
    let state = drill.state_at(earlier, "earlier").await.unwrap();
    let broken = drill::assess(&history, &state, &m);
    assert!(!broken.lost_acknowledged.is_empty(), "a restore to an earlier point lost nothing: {broken:?}");
    assert!(broken.rpo_seconds > 0.0);
    let before: Vec<_> = history.iter().filter(|op| op.end_ms < m.restore_point_ms).cloned().collect();
    let verdicts = chaos::checkers::check_all(&before, &state);
    assert_eq!(chaos::checkers::count(&verdicts, "lost_acknowledged"), broken.lost_acknowledged.len());
    drill.finish().await.unwrap();
}
