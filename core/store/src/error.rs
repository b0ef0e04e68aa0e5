//! Driver errors mapped to store outcomes in one place, by SQLSTATE.

use tokio_postgres::error::SqlState;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated (23505); `constraint` names it.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// A foreign key was violated (23503).
    #[error("reference violated: {constraint}")]
    MissingReference { constraint: String },
    /// A check constraint was violated (23514).
    #[error("check violated: {constraint}")]
    CheckViolation { constraint: String },
    /// The transaction kept failing with 40001 after every retry.
    #[error("transaction still conflicting after {attempts} attempts")]
    RetriesExhausted { attempts: u32 },
    /// No connection could be had (pool timeout, server down).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The schema is not at the version this binary expects.
    #[error("schema not migrated: {0}")]
    Schema(String),
    #[error("database error: {}", describe(.0))]
    Db(tokio_postgres::Error),
}

/// The server's message and SQLSTATE when there is one (the driver's own text is just "db error").
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl StoreError {
    /// Whether a retry of the whole transaction may fix this: a serialization failure (40001),
    /// or on PostgreSQL a deadlock (40P01).
    pub fn is_serialization_failure(&self) -> bool {
        matches!(self, Self::Db(e) if matches!(
            e.code(),
            Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
        ))
    }

    /// Whether this is PostgreSQL's deadlock (40P01): retried like a serialization failure,
    /// but counted apart, because statements that lock rows in one order never meet one.
    pub fn is_deadlock(&self) -> bool {
        matches!(self, Self::Db(e) if e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let Some(db) = e.as_db_error() else {
            if e.is_closed() {
                return Self::Unavailable(e.to_string());
            }
            return Self::Db(e);
        };
        let constraint = db.constraint().unwrap_or_default().to_string();
        match *db.code() {
            SqlState::UNIQUE_VIOLATION => Self::Conflict { constraint },
            SqlState::FOREIGN_KEY_VIOLATION => Self::MissingReference { constraint },
            SqlState::CHECK_VIOLATION => Self::CheckViolation { constraint },
            _ => Self::Db(e),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Self::Unavailable(other.to_string()),
        }
    }
}
