//! The Grafana dashboards' checker. CI cannot run Grafana, so each dashboard is checked for
//! what Grafana needs to load it as provisioned (classic JSON model) and for what makes it
//! honest: every metric a query reads is one the code declares or the SLO rules record.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The schema version our dashboards are written in (Grafana 11).
pub const SCHEMA_VERSION: u64 = 39;
/// The uid of the Prometheus data source (provisioned with this uid).
pub const DATASOURCE_UID: &str = "prometheus";
/// Series Prometheus itself provides.
pub const BUILTIN: &[&str] = &["up", "ALERTS", "ALERTS_FOR_STATE"];

/// The dashboard files of `dir`, sorted.
pub fn files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Every problem of one dashboard (empty when it is fine). `known` holds the metric names
/// queries may read.
pub fn check(dashboard: &Value, known: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |p: String| problems.push(p);
    let uid = dashboard["uid"].as_str().unwrap_or_default();
    if !(8..=40).contains(&uid.len()) || !uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        problem(format!("uid `{uid}` is not 8-40 letters, digits, `-` or `_`"));
    }
    if dashboard["title"].as_str().is_none_or(str::is_empty) {
        problem("no title".into());
    }
    if dashboard["schemaVersion"].as_u64() != Some(SCHEMA_VERSION) {
        problem(format!("schemaVersion is not {SCHEMA_VERSION}"));
    }
    if !dashboard["id"].is_null() {
        problem("`id` must be null in a provisioned dashboard".into());
    }
    let Some(panels) = dashboard["panels"].as_array().filter(|p| !p.is_empty()) else {
        problem("no panels".into());
        return problems;
    };
    let mut ids = HashSet::new();
    let mut queries = Vec::new();
    for panel in panels {
        let title = panel["title"].as_str().unwrap_or("?");
        let kind = panel["type"].as_str().unwrap_or_default();
        if kind.is_empty() {
            problem(format!("panel `{title}` has no type"));
        }
        match panel["id"].as_u64() {
            Some(id) if ids.insert(id) => {}
            _ => problem(format!("panel `{title}` has no id of its own")),
        }
        let grid = &panel["gridPos"];
        let (x, w, h) = (grid["x"].as_u64(), grid["w"].as_u64(), grid["h"].as_u64());
        match (x, w, h, grid["y"].as_u64()) {
            (Some(x), Some(w), Some(h), Some(_)) if w > 0 && h > 0 && x + w <= 24 => {}
            _ => problem(format!("panel `{title}` has no gridPos within 24 columns")),
        }
        if matches!(kind, "row" | "text") {
            continue;
        }
        if panel["datasource"]["uid"].as_str() != Some(DATASOURCE_UID) {
            problem(format!("panel `{title}` does not use the `{DATASOURCE_UID}` data source"));
        }
        let targets = panel["targets"].as_array().map(Vec::as_slice).unwrap_or_default();
        if targets.is_empty() {
            problem(format!("panel `{title}` has no query"));
        }
        for target in targets {
            match target["expr"].as_str() {
                Some(expr) if !expr.trim().is_empty() => queries.push((title.to_string(), expr.to_string())),
                _ => problem(format!("panel `{title}` has a target without `expr`")),
            }
        }
    }
    for variable in dashboard["templating"]["list"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let query = match &variable["query"] {
            Value::String(q) => Some(q.clone()),
            Value::Object(o) => o.get("query").and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        if variable["type"] == "query"
            && let Some(q) = query
        {
            queries.push((format!("variable {}", variable["name"]), q));
        }
    }
    for (title, expr) in queries {
        let read = crate::promql::metrics(&expr);
        if read.is_empty() {
            problem(format!("`{title}` reads no metric: {expr}"));
        }
        for metric in read {
            if !known.contains(&metric) && !BUILTIN.contains(&metric.as_str()) {
                problem(format!("`{title}` queries `{metric}`, which no process declares and no rule records"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dashboard(expr: &str) -> Value {
        json!({
            "id": null, "uid": "test-dashboard", "title": "Test", "schemaVersion": SCHEMA_VERSION,
            "panels": [{
                "id": 1, "title": "Requests", "type": "timeseries",
                "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                "datasource": {"type": "prometheus", "uid": DATASOURCE_UID},
                "targets": [{"refId": "A", "expr": expr}]
            }]
        })
    }

    fn known() -> BTreeSet<String> {
        ["edge_http_requests_total".to_string()].into()
    }

    #[test]
    fn a_declared_metric_passes_and_an_undeclared_one_fails() {
        assert_eq!(check(&dashboard("sum(rate(edge_http_requests_total[5m]))"), &known()), Vec::<String>::new());
        let problems = check(&dashboard("sum(rate(edge_http_requests_totl[5m]))"), &known());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("`edge_http_requests_totl`"), "{problems:?}");
    }

    #[test]
    fn malformed_dashboards_fail() {
        let mut d = dashboard("up");
        d["uid"] = json!("x");
        d["schemaVersion"] = json!(16);
        d["panels"][0]["gridPos"]["w"] = json!(30);
        d["panels"][0]["datasource"]["uid"] = json!("other");
        let problems = check(&d, &known());
        assert_eq!(problems.len(), 4, "{problems:?}");
    }
}
