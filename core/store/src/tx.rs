//! The one transaction helper: SERIALIZABLE on both PostgreSQL and CockroachDB, retried with
//! backoff on SQLSTATE 40001.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::Instrument;

use deadpool_postgres::Transaction;
use tokio_postgres::IsolationLevel;

use crate::{Store, StoreError};

/// A boxed future borrowing the transaction, as the closure of [`Store::transaction`] returns.
pub type TxFuture<'t, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 't>>;

/// Backoff between attempts: exponential from `base`, capped at `max`, with full jitter.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 12, base: Duration::from_millis(2), max: Duration::from_millis(500) }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1 << attempt.min(16)).min(self.max);
        exp.mul_f64(rand::random::<f64>())
    }
}

/// Counters of the transaction helper.
#[derive(Debug, Default)]
pub struct TxStats {
    /// Transactions started (first attempts).
    pub transactions: AtomicU64,
    /// Attempts that failed with 40001 (or 40P01) and were retried.
    pub serialization_retries: AtomicU64,
    /// Of those, the attempts a deadlock ended (PostgreSQL's 40P01).
    pub deadlocks: AtomicU64,
    /// Transactions given up after `max_attempts`.
    pub exhausted: AtomicU64,
}

impl TxStats {
    pub fn serialization_retries(&self) -> u64 {
        self.serialization_retries.load(Ordering::Relaxed)
    }

    pub fn deadlocks(&self) -> u64 {
        self.deadlocks.load(Ordering::Relaxed)
    }
}

impl Store {
    /// Runs `f` in a SERIALIZABLE transaction and commits it. When the transaction (or its
    /// commit) fails with 40001, rolls back, waits, and runs `f` again: `f` must therefore do
    /// nothing outside the transaction that cannot be repeated.
    ///
    /// ```text
    /// store.transaction(|tx| Box::pin(async move {
    ///     tx.execute("UPDATE …", &[]).await?;
    ///     Ok(())
    /// })).await
    /// ```
    pub async fn transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: for<'t> FnMut(&'t Transaction<'t>) -> TxFuture<'t, T, E>,
        E: From<StoreError>,
        E: AsSerializationFailure,
    {
        // A span of the request's trace when traces are on (disabled at the call site when off).
        let span = tracing::debug_span!("db.transaction", otel.kind = "client", db.system = "postgresql");
        self.run_transaction(f).instrument(span).await
    }

    async fn run_transaction<T, E, F>(&self, mut f: F) -> Result<T, E>
    where
        F: for<'t> FnMut(&'t Transaction<'t>) -> TxFuture<'t, T, E>,
        E: From<StoreError>,
        E: AsSerializationFailure,
    {
        self.stats.transactions.fetch_add(1, Ordering::Relaxed);
        let mut client = self.client().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::Serializable)
                .start()
                .await
                .map_err(StoreError::from)?;
            let result = match f(&tx).await {
                Ok(value) => tx.commit().await.map(|()| value).map_err(|e| E::from(StoreError::from(e))),
                Err(e) => {
                    let _ = tx.rollback().await;
                    Err(e)
                }
            };
            match result {
                Err(e) if e.is_serialization_failure() => {
                    if e.is_deadlock() {
                        self.stats.deadlocks.fetch_add(1, Ordering::Relaxed);
                    }
                    if attempt >= self.retry.max_attempts {
                        self.stats.exhausted.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(attempts = attempt, "transaction retries exhausted");
                        return Err(StoreError::RetriesExhausted { attempts: attempt }.into());
                    }
                    self.stats.serialization_retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(attempt, "serialization failure, retrying transaction");
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                }
                other => return other,
            }
        }
    }
}

/// Errors that can say whether they are a 40001 serialization failure. Most wrap a
/// [`StoreError`] and only say where it is; the answers are read from it.
pub trait AsSerializationFailure {
    /// The store error this one wraps, if any.
    fn store_error(&self) -> Option<&StoreError> {
        None
    }

    fn is_serialization_failure(&self) -> bool {
        self.store_error().is_some_and(StoreError::is_serialization_failure)
    }

    /// Whether it is a deadlock (40P01), one kind of [`Self::is_serialization_failure`].
    fn is_deadlock(&self) -> bool {
        self.store_error().is_some_and(StoreError::is_deadlock)
    }
}

impl AsSerializationFailure for StoreError {
    fn store_error(&self) -> Option<&StoreError> {
        Some(self)
    }
}

/// Runs statements sent together on one connection (a pipeline) to completion and returns
/// their results in order, or the error that matters: once one statement fails, the server
/// refuses every later one in the transaction (25P02), and whichever of those errors is seen
/// first, a serialization failure among them must come out so that the transaction is retried.
pub async fn pipeline<T, E, F>(statements: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
    E: AsSerializationFailure,
{
    let results = futures::future::join_all(statements).await;
    if results.iter().any(Result::is_err) {
        let mut errors: Vec<E> = results.into_iter().filter_map(Result::err).collect();
        let root = errors.iter().position(AsSerializationFailure::is_serialization_failure).unwrap_or(0);
        return Err(errors.swap_remove(root));
    }
    Ok(results.into_iter().filter_map(Result::ok).collect())
}
