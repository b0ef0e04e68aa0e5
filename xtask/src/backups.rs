//! The local database's backups, kept as production keeps them: the write-ahead log archived
//! continuously and a base backup now and then, in `.local/backups` (standing for the region's
//! bucket), the oldest pruned past the retention; their age served as a Prometheus metric for
//! the SLO dashboard and the `BackupTooOld` alert. `cargo xtask restore` restores from them.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Result;
use testkit::Backups;

/// Port of the backups' metrics (`/metrics`) while `cargo xtask up` runs.
pub const DEV_BACKUP_METRICS_PORT: u16 = 7299;
/// The local database's `archive_timeout`: a quiet database still archives its last writes
/// within a minute.
const ARCHIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// How often base backups are taken, and how many are kept.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Schedule {
    /// Minutes between base backups of the local database (the log is archived continuously).
    #[arg(long, default_value_t = 60)]
    pub backup_every_min: u64,
    /// Base backups kept (the archived log from the oldest of them on is kept too).
    #[arg(long, default_value_t = 3)]
    pub backup_keep: usize,
}

/// The local database's backups.
pub fn dev() -> Result<Backups> {
    Backups::open(&testkit::workspace_root().join(".local").join("backups"))
}

/// The settings that archive the local database's log into [`dev`].
pub fn archive_settings() -> Result<Vec<String>> {
    dev()?.archive_settings(ARCHIVE_TIMEOUT)
}

/// Takes a base backup of the local database whenever the newest is older than the schedule
/// says (at once when there is none), prunes past the retention, and serves the metrics; in
/// threads of their own, for as long as this process runs.
pub fn keep(schedule: Schedule, port: u16) -> Result<()> {
    let backups = dev()?;
    let every = Duration::from_secs(schedule.backup_every_min.max(1) * 60);
    let worker = backups.clone();
    std::thread::spawn(move || {
        loop {
            let newest = worker.list().ok().and_then(|all| all.last().map(|b| b.finished));
            let due = newest.is_none_or(|t| (time::OffsetDateTime::now_utc() - t).unsigned_abs() >= every);
            if due {
                match worker.base_backup(std::net::Ipv4Addr::LOCALHOST.into(), port) {
                    Ok(b) => eprintln!("base backup taken: {}", b.path.display()),
                    Err(e) => eprintln!("base backup failed: {e:#}"),
                }
                if let Err(e) = worker.prune(schedule.backup_keep) {
                    eprintln!("pruning backups failed: {e:#}");
                }
            }
            std::thread::sleep(Duration::from_secs(30));
        }
    });
    let listener = TcpListener::bind(("127.0.0.1", DEV_BACKUP_METRICS_PORT))?;
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let body = metrics(&backups);
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    Ok(())
}

/// The backups' metrics in Prometheus text (the names `dashboards::backups` declares).
fn metrics(backups: &Backups) -> String {
    use dashboards::backups::{BASE_BACKUPS, LAST_SUCCESS, WAL_LAST_ARCHIVED};
    let all = backups.list().unwrap_or_default();
    let mut text = format!("# HELP {BASE_BACKUPS} Complete base backups kept.\n# TYPE {BASE_BACKUPS} gauge\n");
    text.push_str(&format!("{BASE_BACKUPS} {}\n", all.len()));
    if let Some(newest) = all.last() {
        text.push_str(&format!(
            "# HELP {LAST_SUCCESS} When the newest complete base backup finished.\n# TYPE {LAST_SUCCESS} gauge\n"
        ));
        text.push_str(&format!("{LAST_SUCCESS} {}\n", newest.finished.unix_timestamp()));
    }
    if let Some(at) = backups.last_archived().and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
        text.push_str(&format!(
            "# HELP {WAL_LAST_ARCHIVED} When the newest log segment was archived.\n# TYPE {WAL_LAST_ARCHIVED} gauge\n"
        ));
        text.push_str(&format!("{WAL_LAST_ARCHIVED} {}\n", at.as_secs()));
    }
    text
}
