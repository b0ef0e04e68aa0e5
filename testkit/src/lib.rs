//! Private PostgreSQL and process helpers shared by `cargo xtask`, integration tests and
//! end-to-end tests.
//!
//! PostgreSQL runs from the machine's installed binaries in a data folder of the project; it is
//! never a system service. When we run as root the server runs as the unprivileged `postgres`
//! user, because PostgreSQL refuses to run as root.
//!
//! Tests wait for what they cannot be told about with [`eventually`] (or
//! [`eventually_blocking`], or a [`Wait`] that fails with an error): bounded polling that says,
//! on timeout, what it waited for and what it saw last.

mod backup;
mod eventually;
mod pg;
mod process;
mod testdb;
mod tls;

pub use backup::{Backups, BaseBackup, Restored};
pub use eventually::{TimedOut, Wait, eventually, eventually_blocking};
pub use pg::{PgOptions, PgServer, pg_bin_dir, remove_cluster, server_folder};
pub use process::{ChildProcess, free_port, wait_for_http, wait_for_http_at};
pub use testdb::TestDb;
pub use tls::DevCertificates;

/// Environment variable naming the PostgreSQL server tests run against
/// (`postgres://postgres@127.0.0.1:PORT`), set by `cargo xtask test`.
pub const TEST_PG_ENV: &str = "SHOP_TEST_PG";
/// Environment variable naming a migrated template database tests clone, set by `cargo xtask test`.
pub const TEST_TEMPLATE_ENV: &str = "SHOP_TEST_TEMPLATE";
/// Environment variable naming the folder holding the built binaries (`core-server`, `edge`).
pub const BIN_DIR_ENV: &str = "SHOP_BIN_DIR";
/// Environment variable naming the folder where the processes tests start write their logs
/// (when the test names no file of its own), set by `cargo xtask test`: after the suite, every
/// file there is searched for the card numbers the tests sent.
pub const TEST_LOG_DIR_ENV: &str = "SHOP_TEST_LOG_DIR";
/// The file of that folder where tests record the card numbers they sent (one per line), for
/// that search.
pub const CARDS_SENT_FILE: &str = "cards-sent.txt";

/// A folder for the log files of the processes one test starts: inside `$SHOP_TEST_LOG_DIR` when
/// set (kept, and searched after the suite like every log there), else a temporary folder
/// removed with this value.
#[derive(Debug)]
pub struct TestLogs {
    path: std::path::PathBuf,
    _temporary: Option<tempfile::TempDir>,
}

impl TestLogs {
    /// The folder for `test`'s processes (a name unique among the suite's tests).
    pub fn new(test: &str) -> anyhow::Result<Self> {
        match std::env::var_os(TEST_LOG_DIR_ENV) {
            Some(dir) => {
                let path = std::path::Path::new(&dir).join(test);
                std::fs::create_dir_all(&path)?;
                Ok(Self { path, _temporary: None })
            }
            None => {
                let temporary = tempfile::tempdir()?;
                Ok(Self { path: temporary.path().to_path_buf(), _temporary: Some(temporary) })
            }
        }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// Records card numbers a test sent (to be refused, or to the payment provider) for the search
/// of every log and database after the suite; nothing when not run by `cargo xtask test`.
pub fn record_cards_sent<'a>(numbers: impl IntoIterator<Item = &'a str>) {
    use std::io::Write;
    let Some(dir) = std::env::var_os(TEST_LOG_DIR_ENV) else { return };
    let path = std::path::Path::new(&dir).join(CARDS_SENT_FILE);
    let lines: String = numbers.into_iter().map(|n| format!("{n}\n")).collect();
    // One write per call: appends of lines from parallel tests do not interleave.
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(lines.as_bytes());
    }
}

/// The workspace root (the folder holding the top `Cargo.toml`).
pub fn workspace_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().expect("testkit lives one level below the workspace root").to_path_buf()
}

/// Cargo's target folder, as cargo picks it: `$CARGO_TARGET_DIR` when set (a relative one from
/// the workspace root, where `cargo xtask` runs cargo), else `target` in the workspace.
pub fn target_dir() -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// The folder holding the built binaries: `$SHOP_BIN_DIR`, else `debug` in the target folder.
pub fn bin_dir() -> std::path::PathBuf {
    std::env::var_os(BIN_DIR_ENV).map(Into::into).unwrap_or_else(|| target_dir().join("debug"))
}
