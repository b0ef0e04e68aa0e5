//! Statements prepared once per connection.
//!
//! The driver's `query("…")` prepares the text on every call: a round trip for Parse and
//! Describe, then parsing, analysis and planning on the server, then a Close. On the purchase
//! path, where a checkout runs a few dozen statements, that was most of the database's work.
//! These methods take the statement from the connection's cache instead (prepared on its first
//! use), so the server plans it once per connection (generic plans, see [`crate::Store`]).
//!
//! Only fixed statement texts belong here: the cache keeps every text it is given for the life
//! of the connection, so SQL assembled at run time (listing filters) keeps the plain methods.
//!
//! In a pipeline ([`crate::pipeline`]), a statement already prepared on the connection goes out
//! at once while one met for the first time waits for its Parse: statements sent together may
//! run in another order than they were written. A statement that needs another's effect (a
//! row its foreign key refers to) awaits it first.

use std::future::Future;

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, Row};

/// Parameters of a statement, as the driver takes them.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// `query`, `query_one`, `query_opt` and `execute` through the connection's statement cache.
pub trait Prepared: GenericClient {
    fn query_cached<'a>(
        &'a self,
        sql: &'a str,
        params: Params<'a>,
    ) -> impl Future<Output = Result<Vec<Row>, Error>> + Send + 'a {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query(&statement, params).await
        }
    }

    fn query_one_cached<'a>(
        &'a self,
        sql: &'a str,
        params: Params<'a>,
    ) -> impl Future<Output = Result<Row, Error>> + Send + 'a {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query_one(&statement, params).await
        }
    }

    fn query_opt_cached<'a>(
        &'a self,
        sql: &'a str,
        params: Params<'a>,
    ) -> impl Future<Output = Result<Option<Row>, Error>> + Send + 'a {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query_opt(&statement, params).await
        }
    }

    fn execute_cached<'a>(
        &'a self,
        sql: &'a str,
        params: Params<'a>,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.execute(&statement, params).await
        }
    }
}

impl<C: GenericClient + ?Sized> Prepared for C {}
