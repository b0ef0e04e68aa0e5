//! Backups of a private server as production keeps them, and point-in-time restores from them.
//!
//! A project folder stands for the bucket: `wal/` holds every segment of the write-ahead log,
//! copied there by the server's `archive_command` when it fills (or after `archive_timeout`
//! seconds, or on `pg_switch_wal()`), and `base/` the base backups `pg_basebackup` takes, each
//! with a `.info` file saying when it started and finished. A restore copies the newest base
//! backup that finished before the target time into a new cluster, on another port, and replays
//! the archived log up to that time (`restore_command`, `recovery_target_time`, then promote):
//! the running server is never touched. The files live in the folder the server's user can
//! write ([`server_folder`]), so archiving works when that user cannot enter the project.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Wait;
use crate::pg::{PgOptions, PgServer, pg_bin_dir, server_command, server_folder};

/// One base backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseBackup {
    /// Its folder (a plain copy of the cluster's files).
    pub path: PathBuf,
    pub started: OffsetDateTime,
    /// From here on the backup is consistent: it can be restored to any later time the archived
    /// log reaches.
    pub finished: OffsetDateTime,
    /// The first log segment it needs (the archive before it can go).
    pub first_wal: String,
}

/// The backups of one server in project folder `dir`.
#[derive(Clone, Debug)]
pub struct Backups {
    dir: PathBuf,
    /// Where the files are: a folder the server's user writes in.
    root: PathBuf,
}

/// A restored cluster, and how it was chosen.
#[derive(Debug)]
pub struct Restored {
    pub server: PgServer,
    /// The base backup it started from.
    pub base: BaseBackup,
    /// The project folder of the new cluster.
    pub dir: PathBuf,
}

impl Backups {
    /// The backups in project folder `dir` (created if missing).
    pub fn open(dir: &Path) -> Result<Self> {
        let root = server_folder(dir)?;
        for sub in ["wal", "base"] {
            run_as_server("mkdir", |c| {
                c.arg("-p").arg(root.join(sub));
            })?;
        }
        Ok(Self { dir: dir.to_path_buf(), root })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The archived write-ahead log.
    pub fn wal_dir(&self) -> PathBuf {
        self.root.join("wal")
    }

    /// The server settings that archive every log segment here: `archive_timeout` bounds how
    /// old the newest archived write can be when the server's disk is lost.
    pub fn archive_settings(&self, archive_timeout: Duration) -> Result<Vec<String>> {
        Ok(vec![
            "wal_level=replica".into(),
            "archive_mode=on".into(),
            format!("archive_command={}", self.archive_command()?),
            format!("archive_timeout={}s", archive_timeout.as_secs().max(1)),
        ])
    }

    /// The command that archives a segment: never over one already kept; a copy, then a
    /// rename, so that a restore never reads a half-written segment.
    fn archive_command(&self) -> Result<String> {
        let wal = quoted(&self.wal_dir())?;
        Ok(format!("test ! -f {wal}/%f && cp %p {wal}/%f.part && mv {wal}/%f.part {wal}/%f"))
    }

    /// Sets `server`'s archive command (`ALTER SYSTEM`, reloaded): this folder's when `on`,
    /// else one that drops each segment (a bulk load not worth keeping, before the first base
    /// backup). For a server started without `archive_command` among its settings.
    pub fn archive_into(&self, server: &PgServer, on: bool) -> Result<()> {
        let command = if on { self.archive_command()? } else { "true".into() };
        let sql = format!("ALTER SYSTEM SET archive_command = '{}'", command.replace('\'', "''"));
        server.psql("postgres", &sql)?;
        server.psql("postgres", "SELECT pg_reload_conf()")?;
        Ok(())
    }

    /// Takes a base backup of the server on `host`:`port` (while it serves; a checkpoint
    /// first).
    pub fn base_backup(&self, host: IpAddr, port: u16) -> Result<BaseBackup> {
        let started = OffsetDateTime::now_utc();
        let name = stamp(started);
        let base = self.root.join("base");
        let partial = base.join(format!("{name}.partial"));
        let bin = pg_bin_dir()?;
        run_as_server(bin.join("pg_basebackup"), |c| {
            c.args(["-h", &host.to_string(), "-p", &port.to_string(), "-U", "postgres"])
                .arg("-D")
                .arg(&partial)
                .args(["-F", "p", "-X", "stream", "-c", "fast", "--no-password"]);
        })
        .context("taking a base backup")?;
        let finished = OffsetDateTime::now_utc();
        let label = std::fs::read_to_string(partial.join("backup_label")).context("reading the backup's label")?;
        let first_wal = label
            .lines()
            .find_map(|l| l.strip_prefix("START WAL LOCATION:"))
            .and_then(|l| l.split("(file ").nth(1))
            .map(|f| f.trim_end_matches(')').trim().to_string())
            .context("the backup's label names no start segment")?;
        let path = base.join(&name);
        run_as_server("mv", |c| {
            c.arg(&partial).arg(&path);
        })?;
        let info = format!(
            "started={}\nfinished={}\nfirst_wal={first_wal}\n",
            started.format(&Rfc3339)?,
            finished.format(&Rfc3339)?
        );
        std::fs::write(info_file(&path), info)?;
        Ok(BaseBackup { path, started, finished, first_wal })
    }

    /// The complete base backups, oldest first.
    pub fn list(&self) -> Result<Vec<BaseBackup>> {
        let mut all = Vec::new();
        let Ok(entries) = std::fs::read_dir(self.root.join("base")) else { return Ok(all) };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("info") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            let field = |name: &str| {
                text.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix('='))).map(str::to_string)
            };
            let (Some(started), Some(finished), Some(first_wal)) =
                (field("started"), field("finished"), field("first_wal"))
            else {
                continue;
            };
            let folder = path.with_extension("");
            if folder.is_dir() {
                all.push(BaseBackup {
                    path: folder,
                    started: OffsetDateTime::parse(&started, &Rfc3339)?,
                    finished: OffsetDateTime::parse(&finished, &Rfc3339)?,
                    first_wal,
                });
            }
        }
        all.sort_by_key(|b| b.started);
        Ok(all)
    }

    /// Keeps the newest `keep` base backups (at least one) and the log from the oldest of them
    /// on; removes the rest. Returns how many base backups went.
    pub fn prune(&self, keep: usize) -> Result<usize> {
        let all = self.list()?;
        let gone = all.len().saturating_sub(keep.max(1));
        for old in &all[..gone] {
            std::fs::remove_dir_all(&old.path).with_context(|| format!("removing {}", old.path.display()))?;
            std::fs::remove_file(info_file(&old.path))?;
        }
        if let Some(oldest) = all.get(gone) {
            let status = std::process::Command::new(pg_bin_dir()?.join("pg_archivecleanup"))
                .arg(self.wal_dir())
                .arg(&oldest.first_wal)
                .status()
                .context("running pg_archivecleanup")?;
            if !status.success() {
                bail!("pg_archivecleanup failed: {status}");
            }
        }
        Ok(gone)
    }

    /// The newest base backup that was consistent at `target` (the newest of all for `None`).
    pub fn base_for(&self, target: Option<OffsetDateTime>) -> Result<BaseBackup> {
        let all = self.list()?;
        let fit = all.into_iter().rev().find(|b| target.is_none_or(|t| b.finished <= t));
        fit.with_context(|| match target {
            Some(t) => format!("no base backup in {} finished before {t}", self.dir.display()),
            None => format!("no base backup in {}", self.dir.display()),
        })
    }

    /// Builds a new cluster in project folder `opts.dir`, listening on `opts.port`, as the
    /// database was at `target` (commits from `target` on left out), or as far as the archived
    /// log goes for `None`; waits until it is promoted and takes writes. `opts` are the new
    /// server's (`max_connections` at least the backed-up server's; `settings` the archive's
    /// to keep backing up the restored cluster). The server this was a backup of is not
    /// touched.
    pub fn restore(&self, target: Option<OffsetDateTime>, mut opts: PgOptions) -> Result<Restored> {
        let dir = opts.dir.clone();
        let dir = dir.as_path();
        let base = self.base_for(target)?;
        if dir.exists() {
            bail!("{} exists: a restore builds a new cluster", dir.display());
        }
        let data = server_folder(dir)?;
        run_as_server("mkdir", |c| {
            c.args(["-p", "-m", "0700"]).arg(&data);
        })?;
        let mut source = base.path.clone().into_os_string();
        source.push("/.");
        run_as_server("cp", |c| {
            c.arg("-a").arg(&source).arg(&data);
        })
        .context("copying the base backup")?;
        run_as_server("touch", |c| {
            c.arg(data.join("recovery.signal"));
        })?;
        let wal = quoted(&self.wal_dir())?;
        opts.settings.extend([
            format!("restore_command=cp {wal}/%f %p"),
            "recovery_target_action=promote".into(),
            "recovery_target_timeline=latest".into(),
        ]);
        if let Some(t) = target {
            opts.settings.push(format!("recovery_target_time={}", pg_timestamp(t)));
            opts.settings.push("recovery_target_inclusive=false".into());
        }
        let server = PgServer::start(opts).context("starting the restored cluster")?;
        // A failing query ends the wait at once; a cluster still recovering is waited for.
        Wait::new("the restored cluster to finish its recovery", Duration::from_secs(600), Duration::from_millis(100))
            .until_blocking(|| match server.psql("postgres", "SELECT pg_is_in_recovery()") {
                Ok(recovering) if recovering == "f" => Ok(Ok(())),
                Ok(recovering) => Err(format!("pg_is_in_recovery() = {recovering}")),
                Err(e) => Ok(Err(e)),
            })
            .map_err(|timed_out| anyhow::anyhow!("{timed_out}"))??;
        Ok(Restored { server, base, dir: dir.to_path_buf() })
    }

    /// When the newest log segment was archived, if any was.
    pub fn last_archived(&self) -> Option<std::time::SystemTime> {
        let entries = std::fs::read_dir(self.wal_dir()).ok()?;
        entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().ends_with(".part"))
            .filter_map(|e| e.metadata().ok()?.modified().ok())
            .max()
    }

    /// Ends the current log segment of `server` and waits (at most `timeout`) until it is
    /// archived: everything committed before this call is then in the archive.
    pub fn archive_now(&self, server: &PgServer, timeout: Duration) -> Result<()> {
        let segment = server.psql("postgres", "SELECT pg_walfile_name(pg_switch_wal())")?;
        let path = self.wal_dir().join(&segment);
        let what = format!("segment {segment} archived");
        Wait::new(&what, timeout, Duration::from_millis(50))
            .until_blocking(|| if path.exists() { Ok(()) } else { Err("not in the archive yet") })
            .map_err(|timed_out| anyhow::anyhow!("{timed_out}"))
    }
}

/// The `.info` file beside base backup folder `path` (whose name has a dot of its own).
fn info_file(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".info");
    PathBuf::from(name)
}

/// Runs `program`, set up by `args`, as the server's user; fails when it fails.
fn run_as_server(program: impl Into<PathBuf>, args: impl FnOnce(&mut std::process::Command)) -> Result<()> {
    let program = program.into();
    let mut cmd = server_command(program.clone())?;
    args(&mut cmd);
    let out = cmd.output().with_context(|| format!("running {}", program.display()))?;
    if !out.status.success() {
        bail!("{} failed: {}", program.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// `path` in single quotes for a shell command line.
fn quoted(path: &Path) -> Result<String> {
    let text = path.to_str().context("a backup folder's path is not UTF-8")?;
    if text.contains('\'') {
        bail!("a backup folder's path may not contain a quote: {text}");
    }
    Ok(format!("'{text}'"))
}

/// `t` as PostgreSQL reads a `recovery_target_time`: `2026-12-08 01:09:22.275828+00`.
fn pg_timestamp(t: OffsetDateTime) -> String {
    utc(t, "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]+00")
}

/// A sortable UTC time stamp for a file name.
fn stamp(t: OffsetDateTime) -> String {
    utc(t, "[year][month][day]T[hour][minute][second].[subsecond digits:3]Z")
}

/// `t` in UTC as `description` (a `time` format description) says.
fn utc(t: OffsetDateTime, description: &str) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    time::format_description::parse_borrowed::<1>(description)
        .ok()
        .and_then(|d| t.format(&d).ok())
        .unwrap_or_else(|| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_backup_s_info_file_keeps_its_whole_name() {
        let info = info_file(Path::new("/b/base/20261208T022958.123Z"));
        assert_eq!(info, Path::new("/b/base/20261208T022958.123Z.info"));
        assert_eq!(info.with_extension(""), Path::new("/b/base/20261208T022958.123Z"), "as list() reads it back");
    }

    #[test]
    fn stamps_sort_as_times_do() {
        let a = OffsetDateTime::from_unix_timestamp_nanos(1_765_000_000_123_000_000).unwrap();
        let b = OffsetDateTime::from_unix_timestamp_nanos(1_765_000_010_000_000_000).unwrap();
        assert!(stamp(a) < stamp(b));
        assert_eq!(stamp(a).len(), "20251206T054640.123Z".len());
    }

    #[test]
    fn recovery_targets_are_written_in_utc_to_the_microsecond() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_765_156_162_275_828_000).unwrap();
        let paris = t.to_offset(time::UtcOffset::from_hms(1, 0, 0).unwrap());
        assert_eq!(pg_timestamp(paris), "2025-12-08 01:09:22.275828+00");
    }

    #[test]
    fn paths_with_quotes_are_refused_for_the_archive_command() {
        assert!(quoted(Path::new("/tmp/it's")).is_err());
        assert_eq!(quoted(Path::new("/tmp/wal")).unwrap(), "'/tmp/wal'");
    }
}
