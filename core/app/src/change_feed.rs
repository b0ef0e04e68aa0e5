//! The catalog change feed: a row for each of the merchandiser's writes, naming the product it
//! touched when there is one, which every edge follows to purge what it cached.

use core_store::changes::{self as store, Change, Named};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::error::AppResult;

/// Records a committed write of `path` (about `product`, or the whole catalog when `None`).
pub async fn record(app: &App, path: &str, product: Option<Uuid>) -> AppResult<()> {
    let client = app.store.client().await?;
    Ok(store::record(&client, path, product).await?)
}

/// The product a variant or a sale belongs to; `None` when there is no such thing.
pub async fn product_of(app: &App, named: Named, id: Uuid) -> AppResult<Option<Uuid>> {
    let client = app.store.client().await?;
    Ok(store::product_of(&client, named, id).await?)
}

/// Changes at or after `since`, newest first (at most `limit`), and the database's clock now.
pub async fn since(app: &App, since: OffsetDateTime, limit: i64) -> AppResult<(Vec<Change>, OffsetDateTime)> {
    let client = app.store.client().await?;
    Ok(store::since(&client, since, limit).await?)
}
