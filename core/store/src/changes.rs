//! The catalog change feed the edges follow to purge what they cached (the `catalog_changes`
//! table). Every catalog write records, in its own transaction, what it changed and the cache
//! tags it affects ([`core_domain::cache_tags`]).

use crate::Prepared;
use core_domain::cache_tags::{Purge, Tag};
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// What a write changed, as the feed records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChange {
    /// What changed: `product`, `category`, `attribute`, `promotion`…
    pub subject: &'static str,
    /// The product, when the change is about one.
    pub product: Option<Uuid>,
    /// The answers it makes obsolete.
    pub purge: Purge,
    /// Whether it changed the catalog metadata (categories, attributes) cores keep in memory.
    pub metadata: bool,
}

impl NewChange {
    /// A change of `product` that makes `purge` obsolete.
    pub fn product(product: Uuid, purge: Purge) -> Self {
        Self { subject: "product", product: Some(product), purge, metadata: false }
    }

    /// A change of the catalog metadata (categories, attributes).
    pub fn metadata(subject: &'static str, purge: Purge) -> Self {
        Self { subject, product: None, purge, metadata: true }
    }
}

/// One change of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: Uuid,
    pub subject: String,
    pub product_id: Option<Uuid>,
    /// `None`: everything.
    pub tags: Option<Vec<String>>,
    pub changed_at: OffsetDateTime,
}

/// Records `change` inside the writing transaction; a change that makes nothing obsolete and
/// is not the metadata's is not recorded.
pub async fn record(client: &impl GenericClient, change: &NewChange) -> Result<(), StoreError> {
    if change.purge.is_nothing() && !change.metadata {
        return Ok(());
    }
    client
        .execute_cached(
            "INSERT INTO catalog_changes (subject, product_id, tags, metadata) VALUES ($1, $2, $3, $4)",
            &[&change.subject, &change.product, &change.purge.to_strings(), &change.metadata],
        )
        .await?;
    Ok(())
}

/// What a change of `product` makes obsolete: its pages and the listings showing it and, when
/// `listings` (it may enter or leave listings, or move within them: published, moved, its
/// markets, prices or filterable values changed), the listings of its category and of every
/// ancestor (not the pages of the other products there).
pub async fn product_purge(client: &impl GenericClient, product: Uuid, listings: bool) -> Result<Purge, StoreError> {
    let mut tags = vec![Tag::Product(product)];
    if listings {
        let rows = client
            .query_cached(
                "SELECT a.ancestor_id FROM products p JOIN category_ancestors a ON a.category_id = p.category_id \
                 WHERE p.id = $1",
                &[&product],
            )
            .await?;
        tags.extend(rows.iter().map(|r| Tag::Listing(r.get(0))));
    }
    Ok(Purge::tags(tags))
}

/// Where the changes of the catalog metadata (categories, attributes and their translations)
/// stand: how many, and the latest's time. Cores reload their metadata when it moves; a change
/// committed late with an earlier time still moves the count.
pub async fn metadata_mark(client: &impl GenericClient) -> Result<(i64, Option<OffsetDateTime>), StoreError> {
    let row =
        client.query_one_cached("SELECT count(*), max(changed_at) FROM catalog_changes WHERE metadata", &[]).await?;
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
            "SELECT id, coalesce(subject, path), product_id, tags, changed_at FROM catalog_changes \
             WHERE changed_at >= $1 ORDER BY changed_at DESC LIMIT $2",
            &[&since, &limit],
        )
        .await?;
    let now: OffsetDateTime = client.query_one_cached("SELECT now()", &[]).await?.get(0);
    let changes = rows
        .iter()
        .map(|r| {
            let product_id: Option<Uuid> = r.get(2);
            let tags: Option<Vec<String>> = r.get(3);
            // A row written before tags: its product's pages and the listings, or everything.
            let tags = tags.or_else(|| product_id.map(|p| vec![Tag::Product(p).to_string()]));
            Change {
                id: r.get(0),
                subject: r.get::<_, Option<String>>(1).unwrap_or_default(),
                product_id,
                tags,
                changed_at: r.get(4),
            }
        })
        .collect();
    Ok((changes, now))
}

/// Records in the writing transaction that `product` changed (see [`product_purge`]).
pub async fn product_changed(client: &impl GenericClient, product: Uuid, listings: bool) -> Result<(), StoreError> {
    let purge = product_purge(client, product, listings).await?;
    record(client, &NewChange::product(product, purge)).await
}
