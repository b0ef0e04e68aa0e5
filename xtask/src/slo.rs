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

/// `promtool check rules` on the generated rules, then `promtool test rules` on their tests.
pub fn promtool_checks() -> Result<()> {
    crate::deps::ensure_prometheus()?;
    for (what, args) in [
        (
            "promtool check rules",
            vec!["check".into(), "rules".into(), "--lint-fatal".into(), rules_file().into_os_string()],
        ),
        ("promtool test rules", vec!["test".into(), "rules".into(), tests_file().into_os_string()]),
    ] {
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
