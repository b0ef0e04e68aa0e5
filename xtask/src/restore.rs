//! `cargo xtask restore [--to TIME] [--swap]`: a new cluster built from the local backups as
//! the database was at that moment, on its own port, without touching the running database;
//! with `--swap`, the local stack moved onto it (the running database stopped and kept aside,
//! the restored cluster put in its place on its port; the cores reconnect on their own).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(clap::Args)]
pub struct Args {
    /// The moment to restore to, in RFC 3339 (`2026-12-08T09:30:00Z`, `2026-12-08T10:30:00+01:00`):
    /// what committed from then on is left out. Default: as far as the archived log goes.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Then move the local stack onto the restored cluster: the running database is stopped
    /// and kept in `.local/pg.replaced-<time>`, the restored one takes its folder and port.
    #[arg(long)]
    pub swap: bool,
    /// Port of the restored cluster (while it runs beside the local database).
    #[arg(long, default_value_t = 7433)]
    pub port: u16,
}

pub fn run(args: Args) -> Result<()> {
    crate::deps::ensure_system_packages()?;
    let target = match &args.to {
        Some(t) => Some(
            OffsetDateTime::parse(t, &Rfc3339)
                .with_context(|| format!("--to {t}: give the time in RFC 3339, like 2026-12-08T09:30:00Z"))?,
        ),
        None => None,
    };
    let backups = crate::backups::dev()?;
    let local = testkit::workspace_root().join(".local");
    let stamp = OffsetDateTime::now_utc().unix_timestamp();
    let dir = local.join("restored").join(stamp.to_string());
    // A restore the stack will run on keeps backing up into the same archive (on a new
    // timeline); one only looked at archives nothing, so that later restores of the running
    // database never follow its timeline.
    let mut opts = crate::devdb::options(dir.clone())?;
    opts.port = args.port;
    if !args.swap {
        opts.settings.clear();
    }
    let started = Instant::now();
    let mut restored = backups.restore(target, opts)?;
    let orders = restored.server.psql(crate::devdb::DEV_DB, "SELECT count(*) FROM orders").unwrap_or_default();
    let at = match target {
        Some(t) => t.format(&Rfc3339)?,
        None => "the end of the archived log".into(),
    };
    println!("restored to {at} from the base backup of {}", restored.base.finished.format(&Rfc3339)?);
    println!("restore_seconds: {:.1}", started.elapsed().as_secs_f64());
    println!("orders: {orders}");
    if !args.swap {
        let pid = restored.server.detach().unwrap_or_default();
        println!("the restored cluster runs beside the local database (pid {pid}), files in {}", dir.display());
        println!("  psql {}", restored.server.url(crate::devdb::DEV_DB));
        println!(
            "  stop it with: kill -INT {pid}; remove it with its folder (cargo xtask restore --swap moves the stack onto a restore)"
        );
        return Ok(());
    }
    restored.server.stop();
    let pg = crate::devdb::dir();
    stop_running(&pg)?;
    let aside = local.join(format!("pg.replaced-{stamp}"));
    std::fs::rename(&pg, &aside).with_context(|| format!("moving {} aside", pg.display()))?;
    std::fs::rename(&dir, &pg).with_context(|| format!("moving the restored cluster to {}", pg.display()))?;
    let mut server = crate::devdb::start()?;
    let pid = server.detach().unwrap_or_default();
    println!("rto_seconds: {:.1}", started.elapsed().as_secs_f64());
    println!(
        "the local database is now the restored cluster (pid {pid}, {}); the one it replaced is in {}",
        server.url(crate::devdb::DEV_DB),
        aside.display()
    );
    println!("the cores of `cargo xtask up` reconnect on their own");
    Ok(())
}

/// Stops the server running on the cluster in project folder `dir` (fast shutdown, by the PID
/// its `postmaster.pid` names), waiting for it to exit.
fn stop_running(dir: &std::path::Path) -> Result<()> {
    let data = testkit::server_folder(dir)?;
    let Ok(text) = std::fs::read_to_string(data.join("postmaster.pid")) else { return Ok(()) };
    let pid: i32 = text.lines().next().unwrap_or_default().trim().parse().context("postmaster.pid")?;
    let pid = Pid::from_raw(pid);
    if kill(pid, Signal::SIGINT).is_err() {
        return Ok(());
    }
    let what = format!("the local database (pid {pid}) to stop");
    testkit::Wait::new(&what, Duration::from_secs(60), Duration::from_millis(100))
        .until_blocking(|| {
            let running = kill(pid, None).is_ok() && data.join("postmaster.pid").exists();
            if running { Err("still running") } else { Ok(()) }
        })
        .map_err(|timed_out| anyhow::anyhow!("{timed_out}"))
}
