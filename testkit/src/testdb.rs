//! A fresh database per test on the server `cargo xtask test` started.

use anyhow::{Context, Result};
use tokio_postgres::NoTls;

use crate::{TEST_PG_ENV, TEST_TEMPLATE_ENV};

/// A database created for one test. Databases are not dropped: the whole test cluster is thrown
/// away at the end of the run.
#[derive(Debug, Clone)]
pub struct TestDb {
    pub name: String,
    /// Connection URL for this database.
    pub url: String,
}

fn server_url() -> String {
    std::env::var(TEST_PG_ENV).unwrap_or_else(|_| {
        panic!("{TEST_PG_ENV} is not set: run the tests with `cargo xtask test`, which starts a private PostgreSQL")
    })
}

impl TestDb {
    /// A new database cloned from the migrated template (`$SHOP_TEST_TEMPLATE`).
    pub async fn migrated() -> Result<Self> {
        let template = std::env::var(TEST_TEMPLATE_ENV)
            .with_context(|| format!("{TEST_TEMPLATE_ENV} is not set: run the tests with `cargo xtask test`"))?;
        Self::create(Some(&template)).await
    }

    /// A new empty database (no migrations applied).
    pub async fn empty() -> Result<Self> {
        Self::create(None).await
    }

    async fn create(template: Option<&str>) -> Result<Self> {
        let server = server_url();
        let name = format!("t_{:016x}", rand::random::<u64>());
        let (client, conn) = tokio_postgres::connect(&format!("{server}/postgres"), NoTls).await?;
        let task = tokio::spawn(conn);
        let template = template.map(|t| format!(" TEMPLATE \"{t}\"")).unwrap_or_default();
        // Cloning a template fails while another session is connected to it; retry briefly.
        let mut attempt = 0;
        loop {
            match client.batch_execute(&format!("CREATE DATABASE \"{name}\"{template}")).await {
                Ok(()) => break,
                Err(e) if attempt < 50 && e.to_string().contains("is being accessed by other users") => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e).context("creating the test database"),
            }
        }
        drop(client);
        let _ = task.await;
        Ok(Self { url: format!("{server}/{name}"), name })
    }
}
