//! The connection pool.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use tokio_postgres::NoTls;

use crate::StoreError;
use crate::tx::{RetryPolicy, TxStats};

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// `postgres://user@host:port/database` (PostgreSQL or CockroachDB).
    pub url: String,
    /// Most connections this process holds.
    pub max_connections: usize,
    /// How long a request waits for a free connection before failing as unavailable.
    pub acquire_timeout: Duration,
    /// Application name shown in `pg_stat_activity`.
    pub application_name: String,
}

impl StoreConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            application_name: "shop".into(),
        }
    }
}

/// A handle to the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) retry: RetryPolicy,
    /// Counters of the transaction helper (attempts, 40001 retries), for metrics and tests.
    pub(crate) stats: Arc<TxStats>,
}

impl Store {
    /// Builds the pool. Connections are opened on first use.
    pub fn connect(config: &StoreConfig) -> Result<Self, StoreError> {
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Unavailable(format!("bad database url: {e}")))?;
        pg.application_name(&config.application_name);
        pg.connect_timeout(Duration::from_secs(5));
        // Fast recycling: no reset query. Never `Clean`: its pg_advisory_unlock_all() does not
        // exist on CockroachDB.
        let manager = Manager::from_config(pg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .post_create(deadpool_postgres::Hook::async_fn(|client, _| {
                Box::pin(async move {
                    // Our statements are prepared once per connection and their best plans do
                    // not depend on the parameter values (keyset scans, key lookups), so plan
                    // them once rather than on every execution. A database without the
                    // setting simply keeps its default.
                    if let Err(e) = client.batch_execute("SET plan_cache_mode = force_generic_plan").await {
                        tracing::debug!(error = %e, "plan_cache_mode not set");
                    }
                    Ok(())
                })
            }))
            .max_size(config.max_connections)
            .runtime(Runtime::Tokio1)
            .timeouts(Timeouts {
                wait: Some(config.acquire_timeout),
                create: Some(Duration::from_secs(5)),
                recycle: Some(Duration::from_secs(5)),
            })
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { pool, retry: RetryPolicy::default(), stats: Arc::new(TxStats::default()) })
    }

    /// Replaces the retry policy of the transaction helper.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// A pooled connection, for reads outside a transaction.
    pub async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        let span = tracing::debug_span!("db.connection", otel.kind = "client", db.system = "postgresql");
        Ok(tracing::Instrument::instrument(self.pool.get(), span).await?)
    }

    pub fn stats(&self) -> &TxStats {
        &self.stats
    }

    /// Pool size and free connections, for saturation metrics.
    pub fn pool_status(&self) -> (usize, usize) {
        let s = self.pool.status();
        (s.size, s.available)
    }

    /// Most connections the pool opens.
    pub fn pool_max(&self) -> usize {
        self.pool.status().max_size
    }

    /// Checks that the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.simple_query("SELECT 1").await?;
        Ok(())
    }
}
