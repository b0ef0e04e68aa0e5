//! System packages the platform needs, installed with apt-get when missing, and cargo builds
//! of our binaries.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs cmake (for Pingora's zlib-ng) and PostgreSQL when missing.
pub fn ensure_system_packages() -> Result<()> {
    let mut missing = Vec::new();
    if !have("cmake") {
        missing.push("cmake");
    }
    if testkit::pg_bin_dir().is_err() {
        missing.extend(["postgresql", "postgresql-contrib"]);
    }
    apt_install(&missing)
}

/// Installs the Debian `prometheus` package (the server and `promtool`) when `promtool` is
/// missing: the SLO rules are checked and unit-tested with it, and `up --with-prometheus` runs
/// the server (our own, on our own port and data folder, never the package's service).
pub fn ensure_prometheus() -> Result<()> {
    if have("promtool") && have("prometheus") {
        return Ok(());
    }
    apt_install(&["prometheus"])
}

/// Installs the programs of `tools` (program, Debian package) that are not on the PATH.
pub fn ensure_tools(tools: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = tools.iter().filter(|(program, _)| !have(program)).map(|(_, package)| *package).collect();
    apt_install(&missing)
}

/// `apt-get install` of `packages` (after `apt-get update` if the first try fails).
pub fn apt_install(packages: &[&str]) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    eprintln!("installing {} with apt-get", packages.join(", "));
    let sudo = if nix::unistd::Uid::effective().is_root() { vec![] } else { vec!["sudo"] };
    let apt = |args: &[&str]| -> Result<bool> {
        let mut cmd = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        Ok(cmd.status().context("running apt-get")?.success())
    };
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(packages);
    if !apt(&install)? {
        if !apt(&["update"])? {
            bail!("apt-get update failed");
        }
        if !apt(&install)? {
            bail!("apt-get install {} failed", packages.join(" "));
        }
    }
    Ok(())
}

/// Builds the service binaries and returns the folder holding them.
pub fn build_binaries(release: bool) -> Result<PathBuf> {
    // Every binary of the workspace, as a plain `cargo build` does: the same selection resolves
    // the same features, so the two reuse each other's artifacts instead of rebuilding them.
    build_packages(&[], release)
}

/// Builds the binaries of `packages` (none: the whole workspace) and returns the folder
/// holding them.
pub fn build_packages(packages: &[&str], release: bool) -> Result<PathBuf> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(testkit::workspace_root()).arg("build");
    if packages.is_empty() {
        cmd.arg("--workspace");
    }
    for package in packages {
        cmd.args(["-p", package]);
    }
    cmd.arg("--bins");
    if release {
        cmd.arg("--release");
    }
    if !cmd.status().context("running cargo build")?.success() {
        bail!("building {} failed", if packages.is_empty() { "the workspace".into() } else { packages.join(", ") });
    }
    Ok(testkit::target_dir().join(if release { "release" } else { "debug" }))
}
