//! The catalog change feed: a row for each of the merchandiser's writes, recorded in the
//! write's own transaction with the cache tags it affects ([`core_store::changes`]), which every
//! edge follows to purge what it cached.

use core_store::changes::{self as store, Change};
use time::OffsetDateTime;

use crate::App;
use crate::error::AppResult;

/// Changes at or after `since`, newest first (at most `limit`), and the database's clock now.
pub async fn since(app: &App, since: OffsetDateTime, limit: i64) -> AppResult<(Vec<Change>, OffsetDateTime)> {
    let client = app.store.client().await?;
    Ok(store::since(&client, since, limit).await?)
}
