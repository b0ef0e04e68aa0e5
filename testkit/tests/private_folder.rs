//! A cluster whose project folder the server's user cannot enter: a checkout in root's home or
//! in a private `mktemp -d` folder, run as root.

use std::os::unix::fs::PermissionsExt;

use testkit::{PgOptions, PgServer, free_port, remove_cluster};

#[test]
fn a_cluster_starts_from_a_private_folder_and_is_removed_with_it() {
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let dir = private.path().join("checkout").join(".local").join("pg");
    let mut opts = PgOptions::new(&dir, free_port());
    opts.unsafe_fast = true;
    opts.shared_buffers = "16MB".into();
    opts.max_connections = 10;

    let mut pg = PgServer::start(opts.clone()).expect("the server starts");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer: i32 = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&pg.url("postgres"), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client.query_one("SELECT 41 + 1", &[]).await.unwrap().get(0)
    });
    assert_eq!(answer, 42);
    assert!(dir.join("postgres.log").exists(), "the server's log stays in the project folder");
    pg.stop();

    // The same folder again: the same cluster, not a new one.
    let elsewhere = std::fs::read_to_string(dir.join("data-elsewhere")).ok();
    if nix::unistd::Uid::effective().is_root() {
        assert!(elsewhere.is_some(), "run as root, the cluster lives where the `postgres` user can reach it");
    }
    let mut again = PgServer::start(opts).expect("the server starts again");
    assert_eq!(std::fs::read_to_string(dir.join("data-elsewhere")).ok(), elsewhere);
    again.stop();

    remove_cluster(&dir).unwrap();
    assert!(!dir.exists());
    if let Some(data) = elsewhere {
        assert!(!std::path::Path::new(data.trim()).exists(), "the cluster's files are removed with the folder");
    }
}
