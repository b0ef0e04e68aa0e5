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
    /// The database refused a value the client sent (class 22, data exception: a NUL in text,
    /// 22021, or in JSON, 22P05; a string or number out of range; an invalid text form).
    /// Input is checked before SQL runs; this is the net under that check.
    /// Only the SQLSTATE is kept: the server's message may quote the value.
    #[error("invalid value (SQLSTATE {sqlstate})")]
    InvalidInput { sqlstate: String },
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

/// The data exceptions a client's value causes (rather than our SQL).
const CLIENT_DATA_ERRORS: [SqlState; 8] = [
    SqlState::CHARACTER_NOT_IN_REPERTOIRE,
    SqlState::UNTRANSLATABLE_CHARACTER,
    SqlState::STRING_DATA_RIGHT_TRUNCATION,
    SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
    SqlState::INVALID_TEXT_REPRESENTATION,
    SqlState::INVALID_DATETIME_FORMAT,
    SqlState::DATETIME_FIELD_OVERFLOW,
    SqlState::INVALID_PARAMETER_VALUE,
];

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
            ref code if CLIENT_DATA_ERRORS.contains(code) => Self::InvalidInput { sqlstate: code.code().to_string() },
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
