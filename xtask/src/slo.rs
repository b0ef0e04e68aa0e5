//! `cargo xtask slo`: writes the SLO rules (`dashboards/rules/slo.rules.yml`) from the spec
//! (`dashboards/slo.toml`); and the promtool checks `cargo xtask test` runs on them.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The generated rule file.
pub fn rules_file() -> PathBuf {
    dashboards::dir().join("rules").join("slo.rules.yml")
}

/// The promtool unit tests of the rules.
fn tests_file() -> PathBuf {
    dashboards::dir().join("rules").join("slo.test.yml")
}

pub fn run() -> Result<()> {
    let spec = dashboards::slo::Spec::load()?;
    let path = rules_file();
    std::fs::write(&path, dashboards::slo::render(&spec)).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Every rule file Prometheus loads: the generated SLO rules and the backups' rules.
pub fn rule_files() -> [PathBuf; 2] {
    [rules_file(), dashboards::backups::rules_file()]
}

/// `promtool check rules` on the rule files, then `promtool test rules` on their tests.
pub fn promtool_checks() -> Result<()> {
    crate::deps::ensure_prometheus()?;
    let mut check = vec!["check".into(), "rules".into(), "--lint-fatal".into()];
    check.extend(rule_files().map(PathBuf::into_os_string));
    let backups_tests = dashboards::dir().join("rules").join("backups.test.yml");
    let test = vec!["test".into(), "rules".into(), tests_file().into_os_string(), backups_tests.into_os_string()];
    for (what, args) in [("promtool check rules", check), ("promtool test rules", test)] {
        eprintln!("==> {what}");
        let status = Command::new("promtool")
            .args(&args)
            .current_dir(dashboards::dir().join("rules"))
            .status()
            .context("running promtool")?;
        if !status.success() {
            bail!("{what} failed");
        }
    }
    Ok(())
}
