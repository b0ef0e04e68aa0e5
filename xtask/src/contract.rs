//! The API contract as a test (`cargo xtask test`, after the test suite): schemathesis (PyPI,
//! pinned in [`SCHEMATHESIS`], installed into `.local/venv-schemathesis`) against a running core's
//! two doors, each through its own `/openapi.json`: every operation, a bounded number of examples
//! per operation (`--max-examples`), in every phase (the document's examples, boundary coverage,
//! fuzzing, stateful sequences). The step fails on an invalid document, a 5xx, an undocumented
//! status, a content type or body that violates the document, or a missing documented header.
//!
//! The core runs over a database cloned from the migrated template and seeded with a small
//! catalog, with the payment provider and warehouse system stand-ins, in development (the staff door takes the service
//! token). Shopper credentials come from `contract/shopper_auth.py`, which logs in again (or
//! signs up a new shopper) when fuzzing ends the session.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use testkit::{ChildProcess, PgServer, free_port, wait_for_http};

/// The schemathesis release the contract is checked with.
pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Test cases per operation and phase.
const MAX_EXAMPLES: &str = "30";

/// The checks that must hold on every answer.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,response_headers_conformance";

const STAFF_TOKEN: &str = "contract-staff-token";
const PAYMENTS_KEY: &str = "sk_contract";
const WAREHOUSE_KEY: &str = "wms_contract";
const WAREHOUSE_INBOUND_SECRET: &str = "whsec_contract_outbox";
const SESSION_SECRET: &str = "contract-session-secret-0123456789abcdef0123";

/// Runs the contract against both doors of a core over a new database of `pg` cloned from
/// `template`; logs go to `logs`.
pub fn check(pg: &PgServer, template: &str, bin: &Path, logs: &Path) -> Result<()> {
    let st = schemathesis()?;
    let database = format!("contract_{}", std::process::id());
    let url = pg.url(&database);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let (admin, conn) = tokio_postgres::connect(&pg.url("postgres"), tokio_postgres::NoTls).await?;
        let task = tokio::spawn(conn);
        admin.batch_execute(&format!("CREATE DATABASE \"{database}\" TEMPLATE \"{template}\"")).await?;
        drop(admin);
        let _ = task.await;
        let regions = regions::Catalog::load_workspace()?;
        let opts = core_seed::SeedOptions { skus: 300, seed: 7 };
        core_seed::seed_catalog(&url, &regions, &opts, &|_| {}).await?;
        anyhow::Ok(())
    })?;

    let (payments_port, warehouse_port, core_port, staff_port) = (free_port(), free_port(), free_port(), free_port());
    let mut payments = Command::new(bin.join("payments-standin"));
    payments.args(["--listen", &format!("127.0.0.1:{payments_port}"), "--api-key", PAYMENTS_KEY]);
    let _payments = ChildProcess::spawn("payments stand-in", payments, Some(&logs.join("contract-payments.log")))?;
    let mut warehouse = Command::new(bin.join("warehouse-standin"));
    warehouse
        .args(["--listen", &format!("127.0.0.1:{warehouse_port}"), "--api-key", WAREHOUSE_KEY])
        .args(["--inbound-secret", WAREHOUSE_INBOUND_SECRET]);
    let _warehouse = ChildProcess::spawn("warehouse stand-in", warehouse, Some(&logs.join("contract-warehouse.log")))?;
    let mut core = Command::new(bin.join("core-server"));
    core.args(["--region", "eu-west", "--database-url", &url, "--environment", "development"])
        .args(["--listen", &format!("127.0.0.1:{core_port}"), "--staff-listen", &format!("127.0.0.1:{staff_port}")])
        .args(["--payments-url", &format!("http://127.0.0.1:{payments_port}"), "--payments-timeout-ms", "2000"])
        .args(["--warehouse-url", &format!("http://127.0.0.1:{warehouse_port}")])
        .env("SHOP_WAREHOUSE_API_KEY", WAREHOUSE_KEY)
        .env("SHOP_OUTBOX_WEBHOOK_SECRET", WAREHOUSE_INBOUND_SECRET)
        .env("SHOP_PAYMENTS_API_KEY", PAYMENTS_KEY)
        .env("SHOP_ADMIN_TOKEN", STAFF_TOKEN)
        .env("SHOP_SESSION_SECRET", SESSION_SECRET)
        .env("SHOP_LOG", "warn");
    let _core = ChildProcess::spawn("core", core, Some(&logs.join("contract-core.log")))?;
    wait_for_http(payments_port, "/healthz", Duration::from_secs(60)).context("the payments stand-in")?;
    wait_for_http(warehouse_port, "/healthz", Duration::from_secs(60)).context("the warehouse stand-in")?;
    wait_for_http(core_port, "/readyz", Duration::from_secs(60)).context("the core")?;
    wait_for_http(staff_port, "/readyz", Duration::from_secs(60)).context("the core's staff listener")?;

    let work = testkit::workspace_root().join(".local").join("contract");
    std::fs::create_dir_all(&work)?;
    let hooks = work.join("shopper_auth.py");
    std::fs::write(&hooks, include_str!("contract/shopper_auth.py"))?;
    let mut failed = Vec::new();
    for (door, port, staff_token) in [("shoppers'", core_port, None), ("staff", staff_port, Some(STAFF_TOKEN))] {
        eprintln!("==> schemathesis on the {door} door");
        let mut cmd = Command::new(&st);
        cmd.current_dir(&work)
            .arg("run")
            .arg(format!("http://127.0.0.1:{port}/openapi.json"))
            .args(["--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--workers", "2", "--seed", "42"])
            .args(["--phases", "examples,coverage,fuzzing,stateful", "--generation-database", "none"])
            .args(["--request-timeout", "30", "--no-color", "--report", "junit"])
            .arg("--report-junit-path")
            .arg(work.join(format!("{}.junit.xml", door.trim_end_matches('\''))))
            .env("SCHEMATHESIS_HOOKS", "shopper_auth")
            .env("PYTHONPATH", &work)
            .env("SHOP_CONTRACT_BASE_URL", format!("http://127.0.0.1:{core_port}"));
        if let Some(token) = staff_token {
            cmd.env("SHOP_CONTRACT_STAFF_TOKEN", token);
        }
        let status = cmd.status().with_context(|| format!("running {}", st.display()))?;
        if !status.success() {
            failed.push(door);
        }
    }
    if !failed.is_empty() {
        bail!("the API contract does not hold on the {} door(s); see the failures above", failed.join(" and "));
    }
    Ok(())
}

/// The pinned schemathesis, installed into `.local/venv-schemathesis` when missing.
fn schemathesis() -> Result<PathBuf> {
    let venv = testkit::workspace_root().join(".local").join("venv-schemathesis");
    let st = venv.join("bin").join("st");
    let pinned = venv.join(".pinned");
    if st.exists() && std::fs::read_to_string(&pinned).is_ok_and(|p| p == SCHEMATHESIS) {
        return Ok(st);
    }
    eprintln!("installing {SCHEMATHESIS} into {}", venv.display());
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
        .context("python3 is needed for the API contract step (schemathesis), and is not on PATH")?;
    if !Command::new(python).args(["-m", "venv"]).arg(&venv).status()?.success() {
        bail!("creating the virtual environment {} failed", venv.display());
    }
    let pip = venv.join("bin").join("pip");
    if !Command::new(&pip).args(["install", "--quiet", "--disable-pip-version-check", SCHEMATHESIS]).status()?.success()
    {
        bail!("pip install {SCHEMATHESIS} failed");
    }
    std::fs::write(&pinned, SCHEMATHESIS)?;
    Ok(st)
}
