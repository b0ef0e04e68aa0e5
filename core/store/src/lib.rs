//! The SQL store: connection pool, migrations, the one transaction helper, and the queries of
//! each domain module (catalog today). Every SQL statement of the platform lives here.
//!
//! SQL is portable between PostgreSQL and CockroachDB (see docs/design/sql.md): UUID keys,
//! `INSERT … ON CONFLICT`, `RETURNING`, no sequences, triggers, advisory locks or `SELECT *`.

pub mod accounts;
pub mod audit;
pub mod bulk;
pub mod catalog;
pub mod changes;
pub mod commerce;
mod error;
pub mod gdpr;
pub mod idempotency;
pub mod migrate;
pub mod partner_events;
mod pool;
mod prepared;
pub mod promotions;
mod tx;

pub use error::StoreError;
pub use pool::{Store, StoreConfig};
pub use prepared::{Params, Prepared};
pub use tx::{AsSerializationFailure, RetryPolicy, TxFuture, TxStats, pipeline};

use deadpool_postgres::GenericClient;
/// The transaction [`Store::transaction`] hands its closure: what callers pass on to the
/// store's functions, never a way to send SQL of their own (the layers above link no driver).
pub use deadpool_postgres::Transaction;

/// A connection or a transaction, as the store's queries take them: what the layers above
/// name when they hand one of them on, without naming the driver.
pub trait Db: GenericClient + Sync {}

impl<T: GenericClient + Sync> Db for T {}
