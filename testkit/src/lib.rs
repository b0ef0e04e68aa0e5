//! Private PostgreSQL and process helpers shared by `cargo xtask`, integration tests and
//! end-to-end tests.
//!
//! PostgreSQL runs from the machine's installed binaries in a data folder of the project; it is
//! never a system service. When we run as root the server runs as the unprivileged `postgres`
//! user, because PostgreSQL refuses to run as root.

mod pg;
mod process;
mod testdb;
mod tls;

pub use pg::{PgOptions, PgServer, pg_bin_dir};
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

/// The workspace root (the folder holding the top `Cargo.toml`).
pub fn workspace_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().expect("testkit lives one level below the workspace root").to_path_buf()
}

/// The folder holding the built binaries: `$SHOP_BIN_DIR`, else `target/debug`.
pub fn bin_dir() -> std::path::PathBuf {
    std::env::var_os(BIN_DIR_ENV).map(Into::into).unwrap_or_else(|| workspace_root().join("target").join("debug"))
}
