//! The catalog change feed the edges follow to purge what they cached (see the
//! `catalog_changes` table).

use crate::Prepared;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// One change: the admin path that made it, and the product when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: Uuid,
    pub path: String,
    pub product_id: Option<Uuid>,
    pub changed_at: OffsetDateTime,
}

/// Records a committed change.
pub async fn record(client: &impl GenericClient, path: &str, product: Option<Uuid>) -> Result<(), StoreError> {
    client.execute_cached("INSERT INTO catalog_changes (path, product_id) VALUES ($1, $2)", &[&path, &product]).await?;
    Ok(())
}

/// Where the changes about no single product (categories, attributes and their translations:
/// the catalog metadata) stand: how many, and the latest's time. Cores reload their metadata
/// when it moves; a change committed late with an earlier time still moves the count.
pub async fn metadata_mark(client: &impl GenericClient) -> Result<(i64, Option<OffsetDateTime>), StoreError> {
    let row = client
        .query_one_cached("SELECT count(*), max(changed_at) FROM catalog_changes WHERE product_id IS NULL", &[])
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// Changes at or after `since`, newest first (at most `limit`), and the database's clock now.
pub async fn since(
    client: &impl GenericClient,
    since: OffsetDateTime,
    limit: i64,
) -> Result<(Vec<Change>, OffsetDateTime), StoreError> {
    let rows = client
        .query_cached(
            "SELECT id, path, product_id, changed_at FROM catalog_changes WHERE changed_at >= $1 \
             ORDER BY changed_at DESC LIMIT $2",
            &[&since, &limit],
        )
        .await?;
    let now: OffsetDateTime = client.query_one_cached("SELECT now()", &[]).await?.get(0);
    let changes = rows
        .iter()
        .map(|r| Change { id: r.get(0), path: r.get(1), product_id: r.get(2), changed_at: r.get(3) })
        .collect();
    Ok((changes, now))
}

/// What an admin write path names, besides a product.
#[derive(Clone, Copy, Debug)]
pub enum Named {
    Variant,
    Sale,
}

/// The product a variant or a sale belongs to; `None` when there is no such thing.
pub async fn product_of(client: &impl GenericClient, named: Named, id: Uuid) -> Result<Option<Uuid>, StoreError> {
    let sql = match named {
        Named::Variant => "SELECT product_id FROM variants WHERE id = $1",
        Named::Sale => "SELECT v.product_id FROM sale_prices s JOIN variants v ON v.id = s.variant_id WHERE s.id = $1",
    };
    Ok(client.query_opt_cached(sql, &[&id]).await?.map(|row| row.get(0)))
}
