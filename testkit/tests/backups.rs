//! Backups of a server whose project folders the server's user cannot enter (run as root in a
//! private temporary folder): the log archived, a base backup, restores to a moment and to the
//! end of the archive into new clusters beside the running server, and pruning.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use testkit::{Backups, PgOptions, PgServer, free_port, remove_cluster};
use time::OffsetDateTime;

fn options(dir: std::path::PathBuf, settings: Vec<String>) -> PgOptions {
    let mut opts = PgOptions::new(dir, free_port());
    opts.shared_buffers = "16MB".into();
    opts.max_connections = 20;
    opts.settings = settings;
    opts
}

fn rows(pg: &PgServer) -> Vec<String> {
    let text = pg.psql("postgres", "SELECT string_agg(name, ',' ORDER BY name) FROM kept").unwrap();
    text.split(',').filter(|s| !s.is_empty()).map(String::from).collect()
}

#[test]
fn a_restore_brings_back_what_committed_before_its_target_and_leaves_the_server_alone() {
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let backups = Backups::open(&private.path().join("backups")).unwrap();
    let archive = backups.archive_settings(Duration::from_secs(60)).unwrap();
    let pg = PgServer::start(options(private.path().join("pg"), archive)).unwrap();

    pg.psql("postgres", "CREATE TABLE kept (name text PRIMARY KEY); INSERT INTO kept VALUES ('before-backup')")
        .unwrap();
    let first = backups.base_backup(pg.host(), pg.port()).unwrap();
    pg.psql("postgres", "INSERT INTO kept VALUES ('before-target')").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let target = OffsetDateTime::now_utc();
    std::thread::sleep(Duration::from_millis(50));
    pg.psql("postgres", "INSERT INTO kept VALUES ('after-target')").unwrap();
    pg.psql("postgres", "DROP TABLE kept").unwrap();
    backups.archive_now(&pg, Duration::from_secs(30)).unwrap();

    let at = backups.restore(Some(target), options(private.path().join("at"), Vec::new())).unwrap();
    assert_eq!(at.base, first);
    assert_eq!(rows(&at.server), ["before-backup", "before-target"]);
    // Promoted: it takes writes.
    at.server.psql("postgres", "INSERT INTO kept VALUES ('written-after-restore')").unwrap();
    assert!(pg.psql("postgres", "SELECT to_regclass('kept') IS NULL").unwrap() == "t", "the server is untouched");

    // To the end of the archive: the drop is replayed too.
    let end = backups.restore(None, options(private.path().join("end"), Vec::new())).unwrap();
    assert_eq!(end.server.psql("postgres", "SELECT to_regclass('kept') IS NULL").unwrap(), "t");

    // Before the first base backup finished there is nothing to restore from.
    let too_early = backups.restore(Some(first.started), options(private.path().join("early"), Vec::new()));
    assert!(too_early.is_err());

    // A second base backup; keeping one removes the first and the log it alone needed.
    let second = backups.base_backup(pg.host(), pg.port()).unwrap();
    assert_eq!(backups.prune(1).unwrap(), 1);
    assert_eq!(backups.list().unwrap(), vec![second.clone()]);
    let wal: Vec<String> = std::fs::read_dir(backups.wal_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 24)
        .collect();
    assert!(wal.iter().all(|segment| *segment >= second.first_wal), "{wal:?} kept before {}", second.first_wal);

    for (server, dir) in [(at.server, at.dir), (end.server, end.dir)] {
        drop(server);
        remove_cluster(&dir).unwrap();
    }
    drop(pg);
    for folder in ["pg", "early", "backups"] {
        remove_cluster(&private.path().join(folder)).unwrap();
    }
}
