//! `cargo xtask test`: every test, against a private PostgreSQL started for the run.
//!
//! Formatting and lints first (cheap), then the SLO rules' promtool checks and unit tests, the
//! Terraform checks (`cargo xtask terraform`), then unit, integration and end-to-end tests, then
//! the API contract (schemathesis against both doors of a running core, see [`crate::contract`]),
//! and last the search of every log and database for the card numbers the tests sent (see
//! [`crate::card_audit`]). Tests find the server in `SHOP_TEST_PG`, a migrated template database
//! in `SHOP_TEST_TEMPLATE`, the service binaries in `SHOP_BIN_DIR`, and the folder for their
//! processes' logs in `SHOP_TEST_LOG_DIR` (`.local/test-logs/<pid>`, kept when the run fails).

use std::process::Command;

use anyhow::{Context, Result, bail};
use testkit::{PgOptions, PgServer};
use tokio_postgres::NoTls;

#[derive(clap::Args)]
pub struct Args {
    /// Skip the static checks: `cargo fmt --check`, clippy, promtool and Terraform.
    #[arg(long)]
    pub no_lint: bool,
    /// Skip the API contract step (schemathesis).
    #[arg(long)]
    pub no_contract: bool,
    /// Run only the API contract step (no lints, no test suite).
    #[arg(long, conflicts_with = "no_contract")]
    pub contract_only: bool,
    /// Extra arguments for the test runner (a filter, for example).
    #[arg(last = true)]
    pub extra: Vec<String>,
}

const TEMPLATE: &str = "shop_template";

pub fn run(args: Args) -> Result<()> {
    crate::deps::ensure_system_packages()?;
    let root = testkit::workspace_root();
    let cargo = env!("CARGO");
    if !args.no_lint && !args.contract_only {
        step("cargo fmt --check", Command::new(cargo).current_dir(&root).args(["fmt", "--all", "--check"]))?;
        step(
            "cargo clippy",
            Command::new(cargo).current_dir(&root).args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
    }
    if !args.contract_only && !args.no_lint {
        crate::slo::promtool_checks()?;
        crate::terraform::checks()?;
    }
    let bin = crate::deps::build_binaries(false)?;

    // A fresh cluster for every run, thrown away at the end; one folder per run, so that runs
    // side by side do not share a cluster. Folders of runs that died are swept here.
    let clusters = root.join(".local").join("test-pg");
    sweep_dead(&clusters, |dir| {
        let _ = testkit::remove_cluster(dir);
    });
    let dir = clusters.join(std::process::id().to_string());
    let mut opts = PgOptions::new(&dir, testkit::free_port());
    opts.unsafe_fast = true;
    opts.max_connections = 500;
    opts.shared_buffers = "256MB".into();
    let mut pg = PgServer::start(opts)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let (admin, conn) = tokio_postgres::connect(&pg.url("postgres"), NoTls).await?;
        let task = tokio::spawn(conn);
        admin.batch_execute(&format!("CREATE DATABASE {TEMPLATE}")).await?;
        drop(admin);
        let _ = task.await;
        crate::devdb::migrate(&pg.url(TEMPLATE), &regions::Catalog::load_workspace()?).await
    })?;

    let all_logs = root.join(".local").join("test-logs");
    sweep_dead(&all_logs, |dir| {
        let _ = std::fs::remove_dir_all(dir);
    });
    let logs = all_logs.join(std::process::id().to_string());
    std::fs::create_dir_all(&logs)?;
    let nextest = Command::new(cargo).args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root);
    if nextest {
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
    }
    cmd.args(&args.extra)
        .env(testkit::TEST_PG_ENV, pg.base_url())
        .env(testkit::TEST_TEMPLATE_ENV, TEMPLATE)
        .env(testkit::BIN_DIR_ENV, &bin)
        .env(testkit::TEST_LOG_DIR_ENV, &logs);
    let suite = if args.contract_only {
        Ok(())
    } else {
        step(if nextest { "cargo nextest run" } else { "cargo test" }, &mut cmd)
    };
    let contract = if args.no_contract {
        Ok(())
    } else {
        eprintln!("==> the API contract (schemathesis)");
        crate::contract::check(&pg, TEMPLATE, &bin, &logs)
    };
    // A filtered run sends only some of the suite's card numbers, and still none may be kept.
    eprintln!("==> card numbers in logs and databases");
    let audit = crate::card_audit::check(&pg, &logs);
    pg.stop();
    let _ = testkit::remove_cluster(&dir);
    let result = suite.and(contract).and(audit);
    match &result {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&logs);
        }
        Err(_) => eprintln!("the processes' logs of this run are kept in {}", logs.display()),
    }
    result
}

/// Removes, with `remove`, the cluster (or log) folders in `parent`, named by the pid of their
/// run, whose run is gone.
fn sweep_dead(parent: &std::path::Path, remove: impl Fn(&std::path::Path)) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            remove(&entry.path());
        }
    }
}

fn step(name: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("==> {name}");
    if !cmd.status().with_context(|| format!("running {name}"))?.success() {
        bail!("{name} failed");
    }
    Ok(())
}
