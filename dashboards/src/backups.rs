//! The backups' metrics: what `cargo xtask up` serves of the local database's backups, what
//! CockroachDB reports of its scheduled backups, and what `rules/backups.rules.yml` records
//! from either: the age of the last good backup, shown on the SLO overview and alerted on
//! when it is too old.

/// When the newest complete base backup of the local database finished (Unix seconds).
pub const LAST_SUCCESS: &str = "shop_backup_last_success_timestamp_seconds";
/// When the newest segment of the local database's log was archived (Unix seconds).
pub const WAL_LAST_ARCHIVED: &str = "shop_backup_wal_last_archived_timestamp_seconds";
/// Complete base backups kept.
pub const BASE_BACKUPS: &str = "shop_backup_base_backups";
/// CockroachDB's: when the backup schedule with `updates_cluster_last_backup_time_metric`
/// last completed (Unix seconds).
pub const COCKROACH_LAST_COMPLETED: &str = "schedules_BACKUP_last_completed_time";

/// Every series the backups' sources declare.
pub const DECLARED: [&str; 4] = [LAST_SUCCESS, WAL_LAST_ARCHIVED, BASE_BACKUPS, COCKROACH_LAST_COMPLETED];

/// The rules file.
pub fn rules_file() -> std::path::PathBuf {
    crate::dir().join("rules").join("backups.rules.yml")
}

/// The rules of `rules/backups.rules.yml`.
pub fn rules() -> Result<crate::slo::RuleFile, String> {
    let path = rules_file();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The names `rules/backups.rules.yml` records.
pub fn recorded_names() -> Result<Vec<String>, String> {
    Ok(rules()?.groups.into_iter().flat_map(|g| g.rules).filter_map(|r| r.record).collect())
}
