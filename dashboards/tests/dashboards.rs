//! The SLO rules and the dashboards against the code: the rules are what the spec gives, and
//! every metric a dashboard or a rule reads is one a process declares or a rule records.

use std::collections::BTreeSet;

use dashboards::{backups, grafana, promql, slo};
use serde_json::{Value, json};

/// Every series name the processes declare, and every name the SLO rules record.
fn known() -> BTreeSet<String> {
    let declared = core_api::metrics::declared()
        .into_iter()
        .chain(edge::metrics::declared())
        .chain(partners_payments::metrics::declared());
    let mut known: BTreeSet<String> = declared.flat_map(|d| d.series()).collect();
    known.extend(slo::recorded_names(&slo::Spec::load().unwrap()));
    known.extend(backups::DECLARED.map(String::from));
    known.extend(backups::recorded_names().unwrap());
    known
}

fn load_dashboards() -> Vec<(String, Value)> {
    grafana::files(&dashboards::dir().join("grafana"))
        .unwrap()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.file_name().unwrap().to_string_lossy().into_owned(), value)
        })
        .collect()
}

#[test]
fn the_rules_file_is_what_the_spec_gives() {
    let spec = slo::Spec::load().unwrap();
    let written = std::fs::read_to_string(dashboards::dir().join("rules").join("slo.rules.yml")).unwrap();
    assert!(written == slo::render(&spec), "dashboards/rules/slo.rules.yml is stale: run `cargo xtask slo`");
    let journeys: Vec<&str> = spec.journey.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(journeys, ["browse", "search", "cart", "checkout", "tracking"]);
    for j in &spec.journey {
        assert_eq!((j.availability, j.latency_seconds, j.latency_target), (0.999, 2.0, 0.99), "{}", j.name);
        assert!(telemetry::routes::TEMPLATES.iter().any(|(_, journey)| *journey == j.name), "no route of {}", j.name);
    }
}

#[test]
fn the_spec_names_the_edge_metrics_and_their_buckets() {
    assert_eq!(slo::LATENCY_BUCKETS, telemetry::LATENCY_BUCKETS);
    let spec = slo::Spec::load().unwrap();
    let known = known();
    assert!(known.contains(&spec.requests_metric), "{}", spec.requests_metric);
    assert!(known.contains(&format!("{}_bucket", spec.latency_metric)), "{}", spec.latency_metric);
    for route in &spec.latency_exclude_routes {
        assert!(telemetry::routes::STREAMING.contains(&route.as_str()), "{route}");
    }
}

#[test]
fn every_rule_reads_declared_or_recorded_metrics() {
    let rules = slo::rules(&slo::Spec::load().unwrap());
    let known = known();
    for rule in rules.groups.iter().flat_map(|g| &g.rules) {
        for metric in promql::metrics(&rule.expr) {
            assert!(known.contains(&metric), "{:?} reads `{metric}`", rule.record.as_ref().or(rule.alert.as_ref()));
        }
    }
}

#[test]
fn the_backup_rules_read_what_the_backups_report_and_alert_on_the_age_of_the_last_good_one() {
    let rules = backups::rules().unwrap();
    let known = known();
    let all: Vec<_> = rules.groups.iter().flat_map(|g| &g.rules).collect();
    for rule in &all {
        for metric in promql::metrics(&rule.expr) {
            assert!(known.contains(&metric), "{:?} reads `{metric}`", rule.record.as_ref().or(rule.alert.as_ref()));
        }
    }
    let too_old = all.iter().find(|r| r.alert.as_deref() == Some("BackupTooOld")).expect("the BackupTooOld alert");
    assert!(too_old.expr.contains("backup:age:seconds"), "{}", too_old.expr);
    let age = all.iter().find(|r| r.record.as_deref() == Some("backup:age:seconds")).unwrap();
    assert!(promql::metrics(&age.expr).contains("backup:last_success:timestamp_seconds"));
}

#[test]
fn every_dashboard_is_well_formed_and_queries_declared_metrics() {
    let known = known();
    let dashboards = load_dashboards();
    let names: BTreeSet<&str> = dashboards.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "slo-overview.json",
        "region-red.json",
        "edge-cache.json",
        "checkout-funnel.json",
        "partners.json",
        "outbox.json",
    ] {
        assert!(names.contains(expected), "missing dashboard {expected}");
    }
    let mut uids = BTreeSet::new();
    for (name, dashboard) in &dashboards {
        assert_eq!(grafana::check(dashboard, &known), Vec::<String>::new(), "{name}");
        assert!(uids.insert(dashboard["uid"].as_str().unwrap().to_string()), "{name}: uid used twice");
    }
}

#[test]
fn a_dashboard_naming_an_undeclared_metric_fails() {
    let known = known();
    let (name, mut dashboard) = load_dashboards().into_iter().find(|(n, _)| n == "checkout-funnel.json").unwrap();
    dashboard["panels"][0]["targets"]
        .as_array_mut()
        .unwrap()
        .push(json!({"refId": "Z", "expr": "sum(rate(core_orders_placed_total[5m]))"}));
    let problems = grafana::check(&dashboard, &known);
    assert_eq!(problems.len(), 1, "{name}: {problems:?}");
    assert!(problems[0].contains("`core_orders_placed_total`"), "{problems:?}");
}
