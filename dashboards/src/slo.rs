//! The SLO spec and the Prometheus rules generated from it.
//!
//! Each journey has two objectives, measured at the edge (the shopper's first hop) from the
//! edge's request counter and latency histogram, and broken down by region:
//! - **availability**: the share of requests not answered with a 5xx;
//! - **latency**: the share of requests answered within `latency_seconds` (a histogram bound;
//!   streaming routes left out).
//!
//! For every journey, objective and window the rules record the error ratio
//! `slo:sli_error:ratio_rate<window>` (labels `journey`, `region`, `slo`), the burn rates
//! `slo:burn_rate:ratio_rate<window>` (error ratio over budget), `slo:objective:ratio` and
//! `slo:error_budget_remaining:ratio` over the period. The alerts are the SRE Workbook's
//! multi-window multi-burn-rate pairs: page when 1h and 5m both burn faster than 14.4×, or 6h and
//! 30m faster than 6×; ticket when 3d and 6h burn faster than 1×.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The spec file, `dashboards/slo.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Days of the error budget's period.
    pub period_days: u32,
    /// The request counter (labels `journey`, `region`, `code` with classes such as `5xx`).
    pub requests_metric: String,
    /// The latency histogram (labels `journey`, `region`, `route`), seconds.
    pub latency_metric: String,
    /// Status classes counting against availability.
    pub error_codes: Vec<String>,
    /// Routes whose duration is no latency (server-sent event streams).
    #[serde(default)]
    pub latency_exclude_routes: Vec<String>,
    pub journey: Vec<Journey>,
}

/// The objectives of one user journey.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// The `journey` label value.
    pub name: String,
    /// What the shopper does on this journey.
    pub description: String,
    /// Share of requests that must not fail (0.999).
    pub availability: f64,
    /// The latency threshold; must be a bucket bound of the histogram.
    pub latency_seconds: f64,
    /// Share of requests that must be faster than `latency_seconds` (0.99 for a p99).
    pub latency_target: f64,
}

/// Why a spec cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("slo.toml: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("slo.toml: {0}")]
    Invalid(String),
}

/// Windows of the recorded error ratios: the alerts' pairs and the period.
pub const WINDOWS: &[&str] = &["5m", "30m", "1h", "2h", "6h", "1d", "3d"];
/// Windows whose burn rate is recorded for the dashboards.
pub const BURN_WINDOWS: &[&str] = &["5m", "1h", "6h", "3d"];

/// A burn-rate alert: (severity, long window, short window, factor, `for`).
pub const ALERT_PAIRS: &[(&str, &str, &str, f64, &str)] =
    &[("page", "1h", "5m", 14.4, "2m"), ("page", "6h", "30m", 6.0, "2m"), ("ticket", "3d", "6h", 1.0, "15m")];

/// Every recording rule name the rules produce (for the dashboards' checker).
pub fn recorded_names(spec: &Spec) -> Vec<String> {
    let mut names: Vec<String> = WINDOWS
        .iter()
        .chain(std::iter::once(&period(spec).as_str()))
        .map(|w| format!("slo:sli_error:ratio_rate{w}"))
        .collect();
    names.extend(BURN_WINDOWS.iter().map(|w| format!("slo:burn_rate:ratio_rate{w}")));
    names.push("slo:objective:ratio".into());
    names.push("slo:error_budget_remaining:ratio".into());
    names
}

fn period(spec: &Spec) -> String {
    format!("{}d", spec.period_days)
}

impl Spec {
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let spec: Spec = toml::from_str(text)?;
        let invalid = |m: String| Err(SpecError::Invalid(m));
        if spec.journey.is_empty() {
            return invalid("no journey".into());
        }
        for j in &spec.journey {
            if !(0.0..1.0).contains(&j.availability) || !(0.0..1.0).contains(&j.latency_target) {
                return invalid(format!("journey `{}`: objectives are ratios between 0 and 1", j.name));
            }
            if !telemetry_bucket(j.latency_seconds) {
                return invalid(format!(
                    "journey `{}`: latency_seconds {} is not a bucket bound of the latency histograms",
                    j.name, j.latency_seconds
                ));
            }
            if spec.journey.iter().filter(|o| o.name == j.name).count() > 1 {
                return invalid(format!("journey `{}` is listed twice", j.name));
            }
        }
        Ok(spec)
    }

    /// The spec of the workspace.
    pub fn load() -> Result<Self, SpecError> {
        let path = crate::dir().join("slo.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|e| SpecError::Invalid(format!("{}: {e}", path.display())))?;
        Self::parse(&text)
    }
}

/// The latency histograms' bucket bounds (kept equal to `telemetry::LATENCY_BUCKETS`; the
/// dashboards' tests compare them).
pub const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0];

fn telemetry_bucket(seconds: f64) -> bool {
    LATENCY_BUCKETS.iter().any(|b| (b - seconds).abs() < 1e-9)
}

/// A Prometheus rule file.
#[derive(Debug, Serialize, Deserialize)]
pub struct RuleFile {
    pub groups: Vec<Group>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Rule {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub record: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alert: Option<String>,
    pub expr: String,
    #[serde(rename = "for", skip_serializing_if = "Option::is_none", default)]
    pub for_: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub annotations: BTreeMap<String, String>,
}

fn record(name: String, expr: String, labels: &[(&str, &str)]) -> Rule {
    Rule {
        record: Some(name),
        alert: None,
        expr,
        for_: None,
        labels: labels.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
        annotations: BTreeMap::new(),
    }
}

/// A number as PromQL and YAML show it, without float noise (`0.999`, `14.4`, `2`).
fn num(x: f64) -> String {
    let mut s = format!("{x:.6}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s
}

/// The rules for `spec`: one group of recordings and one of alerts per journey.
pub fn rules(spec: &Spec) -> RuleFile {
    let by = "sum by (journey, region)";
    let mut groups = Vec::new();
    for j in &spec.journey {
        let name = &j.name;
        let errors = spec.error_codes.join("|");
        let requests =
            |w: &str, extra: &str| format!(r#"{by} (rate({}{{journey="{name}"{extra}}}[{w}]))"#, spec.requests_metric);
        let mut latency_sel = format!(r#"journey="{name}""#);
        for route in &spec.latency_exclude_routes {
            let _ = write!(latency_sel, r#",route!="{route}""#);
        }
        let mut rules = Vec::new();
        let windows: Vec<String> = WINDOWS.iter().map(|w| (*w).to_string()).chain([period(spec)]).collect();
        for w in &windows {
            // No 5xx series yet reads as 0 errors, not as no ratio.
            let availability = format!(
                "({errors_rate} or 0 * {all}) / {all}",
                errors_rate = requests(w, &format!(r#",code=~"{errors}""#)),
                all = requests(w, ""),
            );
            rules.push(record(
                format!("slo:sli_error:ratio_rate{w}"),
                availability,
                &[("journey", name), ("slo", "availability")],
            ));
            let latency = format!(
                r#"1 - ({by} (rate({m}_bucket{{{latency_sel},le="{le}"}}[{w}])) / {by} (rate({m}_count{{{latency_sel}}}[{w}])))"#,
                m = spec.latency_metric,
                le = num(j.latency_seconds),
            );
            rules.push(record(
                format!("slo:sli_error:ratio_rate{w}"),
                latency,
                &[("journey", name), ("slo", "latency")],
            ));
        }
        for (slo, objective) in [("availability", j.availability), ("latency", j.latency_target)] {
            let budget = num(1.0 - objective);
            let sel = format!(r#"{{journey="{name}",slo="{slo}"}}"#);
            rules.push(record(
                "slo:objective:ratio".into(),
                format!("vector({})", num(objective)),
                &[("journey", name), ("slo", slo)],
            ));
            for w in BURN_WINDOWS {
                rules.push(record(
                    format!("slo:burn_rate:ratio_rate{w}"),
                    format!("slo:sli_error:ratio_rate{w}{sel} / {budget}"),
                    &[("journey", name), ("slo", slo)],
                ));
            }
            rules.push(record(
                "slo:error_budget_remaining:ratio".into(),
                format!("1 - slo:sli_error:ratio_rate{}{sel} / {budget}", period(spec)),
                &[("journey", name), ("slo", slo)],
            ));
        }
        groups.push(Group { name: format!("slo-{name}-recordings"), rules });

        let mut alerts = Vec::new();
        for (slo, objective) in [("availability", j.availability), ("latency", j.latency_target)] {
            let budget = num(1.0 - objective);
            let sel = format!(r#"{{journey="{name}",slo="{slo}"}}"#);
            for severity in ["page", "ticket"] {
                let pairs: Vec<String> = ALERT_PAIRS
                    .iter()
                    .filter(|(s, ..)| *s == severity)
                    .map(|(_, long, short, factor, _)| {
                        format!(
                            "(slo:sli_error:ratio_rate{long}{sel} > ({f} * {budget}) and slo:sli_error:ratio_rate{short}{sel} > ({f} * {budget}))",
                            f = num(*factor)
                        )
                    })
                    .collect();
                let for_ = ALERT_PAIRS.iter().find(|(s, ..)| *s == severity).map(|p| p.4.to_string());
                let what = if slo == "availability" { "failing" } else { "slower than the objective" };
                let speed = if severity == "page" { "fast" } else { "steadily" };
                alerts.push(Rule {
                    record: None,
                    alert: Some(if severity == "page" { "SLOBudgetBurnFast" } else { "SLOBudgetBurnSlow" }.into()),
                    expr: pairs.join(" or "),
                    for_,
                    // `journey` and `slo` are in the series already; set here too, so that each
                    // rule's name and labels are unique in the file (promtool's duplicate lint).
                    labels: [("severity", severity), ("journey", name.as_str()), ("slo", slo)]
                        .iter()
                        .map(|(k, v)| ((*k).into(), (*v).into()))
                        .collect(),
                    annotations: [
                        (
                            "summary".to_string(),
                            format!(
                                "{{{{ $labels.journey }}}} {{{{ $labels.slo }}}} SLO in {{{{ $labels.region }}}}: error budget burning {speed}"
                            ),
                        ),
                        (
                            "description".to_string(),
                            format!(
                                "Too many {name} requests are {what} (objective {}); at this rate the {}-day budget runs out early.",
                                num(objective),
                                spec.period_days
                            ),
                        ),
                    ]
                    .into_iter()
                    .collect(),
                });
            }
        }
        groups.push(Group { name: format!("slo-{name}-alerts"), rules: alerts });
    }
    RuleFile { groups }
}

/// The rule file's text, with a header saying where it comes from.
pub fn render(spec: &Spec) -> String {
    let yaml = serde_yaml_ng::to_string(&rules(spec)).expect("rules serialize");
    format!(
        "# Generated from dashboards/slo.toml by `cargo xtask slo`; do not edit by hand.\n\
         # Checked by `promtool check rules` and unit-tested by rules/slo.test.yml in `cargo xtask test`.\n{yaml}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
period_days = 30
requests_metric = "edge_http_requests_total"
latency_metric = "edge_http_request_duration_seconds"
error_codes = ["5xx"]
latency_exclude_routes = ["/v1/orders/{id}/events"]
[[journey]]
name = "browse"
description = "product pages"
availability = 0.999
latency_seconds = 2.0
latency_target = 0.99
"#;

    #[test]
    fn rules_follow_the_workbook() {
        let spec = Spec::parse(SPEC).unwrap();
        let file = rules(&spec);
        let alerts: Vec<&Rule> = file.groups.iter().flat_map(|g| &g.rules).filter(|r| r.alert.is_some()).collect();
        assert_eq!(alerts.len(), 4, "page and ticket for each of two objectives");
        let page = alerts.iter().find(|r| r.alert.as_deref() == Some("SLOBudgetBurnFast")).unwrap();
        assert!(
            page.expr.contains(r#"slo:sli_error:ratio_rate1h{journey="browse",slo="availability"} > (14.4 * 0.001)"#),
            "{}",
            page.expr
        );
        assert!(
            page.expr.contains(r#"slo:sli_error:ratio_rate30m{journey="browse",slo="availability"} > (6 * 0.001)"#),
            "{}",
            page.expr
        );
        let latency =
            file.groups[0].rules.iter().find(|r| r.labels.get("slo").is_some_and(|s| s == "latency")).unwrap();
        assert!(
            latency.expr.contains(r#"le="2""#) && latency.expr.contains(r#"route!="/v1/orders/{id}/events""#),
            "{}",
            latency.expr
        );
        let names: std::collections::BTreeSet<_> =
            file.groups.iter().flat_map(|g| &g.rules).filter_map(|r| r.record.clone()).collect();
        let expected: std::collections::BTreeSet<_> = recorded_names(&spec).into_iter().collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(Spec::parse(&SPEC.replace("latency_seconds = 2.0", "latency_seconds = 1.5")).is_err());
        assert!(Spec::parse(&SPEC.replace("availability = 0.999", "availability = 99.9")).is_err());
        assert!(Spec::parse(&SPEC.replace("period_days", "period")).is_err());
    }

    #[test]
    fn numbers_print_plainly() {
        assert_eq!(num(1.0 - 0.999), "0.001");
        assert_eq!(num(14.4), "14.4");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(1.0 - 0.99), "0.01");
    }
}
