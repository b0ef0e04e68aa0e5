//! Bulk loading of the catalog, for development and benchmark databases (the seeder of the
//! `core-seed` crate is its user): the SQL of a load, kept here with the rest of the platform's
//! SQL. A load empties the catalog ([`BulkLoader::truncate_catalog`]), may drop the secondary
//! indexes of the tables it fills and rebuild them afterwards ([`secondary_indexes`],
//! [`BulkLoader::drop_indexes`], [`BulkLoader::create_index`]), streams rows in PostgreSQL's
//! binary COPY format ([`CopyBuf`], [`BulkLoader::copy_in`]) and analyzes the tables at the end
//! ([`BulkLoader::analyze`]).
//!
//! Nothing here is transactional: readers see the catalog empty, then filling up. Never point
//! it at a live catalog.

mod binary;
mod indexes;

use std::pin::Pin;

use bytes::Bytes;
use futures::SinkExt;
use tokio_postgres::{Client, CopyInSink, NoTls};

pub use binary::{CHUNK, CopyBuf, Json};
pub use indexes::{SecondaryIndex, secondary_indexes};

use crate::StoreError;
use crate::migrate::{self, Flavor};

/// The catalog and what hangs off it: sale prices and price history of the old variants, the
/// record of built market listings (the listing is rebuilt for derived markets at start), and
/// stock with its reservations.
const TRUNCATE: &str = "TRUNCATE reservations, stock, catalog_listing, market_backfills, sale_prices, price_changes, prices, variants, \
     product_markets, product_translations, products, attribute_option_translations, attribute_options, \
     attribute_translations, attributes, category_translations, category_ancestors, categories";

/// The tables a catalog load fills. Each variant names the columns a COPY into it takes, in
/// the order the rows' fields must come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CatalogTable {
    /// `id, code, parent_id, position, created_at`
    Categories,
    /// `category_id, ancestor_id, depth`
    CategoryAncestors,
    /// `category_id, language, name, slug`
    CategoryTranslations,
    /// `code, kind, level, filterable, unit, position`
    Attributes,
    /// `attribute_code, language, label`
    AttributeTranslations,
    /// `attribute_code, value, position`
    AttributeOptions,
    /// `attribute_code, value, language, label`
    AttributeOptionTranslations,
    /// `id, code, category_id, tax_category, attributes, facets, status, published_at,
    /// created_at, updated_at`
    Products,
    /// `product_id, language, name, description, slug`
    ProductTranslations,
    /// `product_id, market`
    ProductMarkets,
    /// `id, product_id, sku, attributes, position, created_at, weight_grams`
    Variants,
    /// `variant_id, market, currency, amount_minor, compare_at_minor, updated_at`
    Prices,
    /// The `catalog_listing` read model: `market, category_id, product_id, published_at,
    /// from_price_minor, facet_keys`
    Listing,
    /// `warehouse, variant_id, region, on_hand, safety_stock`
    Stock,
}

impl CatalogTable {
    pub const ALL: [CatalogTable; 14] = [
        Self::Categories,
        Self::CategoryAncestors,
        Self::CategoryTranslations,
        Self::Attributes,
        Self::AttributeTranslations,
        Self::AttributeOptions,
        Self::AttributeOptionTranslations,
        Self::Products,
        Self::ProductTranslations,
        Self::ProductMarkets,
        Self::Variants,
        Self::Prices,
        Self::Listing,
        Self::Stock,
    ];

    /// The table's name in SQL.
    pub fn name(self) -> &'static str {
        match self {
            Self::Categories => "categories",
            Self::CategoryAncestors => "category_ancestors",
            Self::CategoryTranslations => "category_translations",
            Self::Attributes => "attributes",
            Self::AttributeTranslations => "attribute_translations",
            Self::AttributeOptions => "attribute_options",
            Self::AttributeOptionTranslations => "attribute_option_translations",
            Self::Products => "products",
            Self::ProductTranslations => "product_translations",
            Self::ProductMarkets => "product_markets",
            Self::Variants => "variants",
            Self::Prices => "prices",
            Self::Listing => "catalog_listing",
            Self::Stock => "stock",
        }
    }

    /// The table of this name.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    fn copy_sql(self) -> &'static str {
        match self {
            Self::Categories => {
                "COPY categories (id, code, parent_id, position, created_at) FROM STDIN (FORMAT binary)"
            }
            Self::CategoryAncestors => {
                "COPY category_ancestors (category_id, ancestor_id, depth) FROM STDIN (FORMAT binary)"
            }
            Self::CategoryTranslations => {
                "COPY category_translations (category_id, language, name, slug) FROM STDIN (FORMAT binary)"
            }
            Self::Attributes => {
                "COPY attributes (code, kind, level, filterable, unit, position) FROM STDIN (FORMAT binary)"
            }
            Self::AttributeTranslations => {
                "COPY attribute_translations (attribute_code, language, label) FROM STDIN (FORMAT binary)"
            }
            Self::AttributeOptions => {
                "COPY attribute_options (attribute_code, value, position) FROM STDIN (FORMAT binary)"
            }
            Self::AttributeOptionTranslations => {
                "COPY attribute_option_translations (attribute_code, value, language, label) FROM STDIN (FORMAT binary)"
            }
            Self::Products => {
                "COPY products (id, code, category_id, tax_category, attributes, facets, status, published_at, \
                 created_at, updated_at) FROM STDIN (FORMAT binary)"
            }
            Self::ProductTranslations => {
                "COPY product_translations (product_id, language, name, description, slug) FROM STDIN (FORMAT binary)"
            }
            Self::ProductMarkets => "COPY product_markets (product_id, market) FROM STDIN (FORMAT binary)",
            Self::Variants => {
                "COPY variants (id, product_id, sku, attributes, position, created_at, weight_grams) FROM STDIN (FORMAT binary)"
            }
            Self::Prices => {
                "COPY prices (variant_id, market, currency, amount_minor, compare_at_minor, updated_at) \
                 FROM STDIN (FORMAT binary)"
            }
            Self::Listing => {
                "COPY catalog_listing (market, category_id, product_id, published_at, from_price_minor, facet_keys) \
                 FROM STDIN (FORMAT binary)"
            }
            Self::Stock => {
                "COPY stock (warehouse, variant_id, region, on_hand, safety_stock) FROM STDIN (FORMAT binary)"
            }
        }
    }
}

impl std::fmt::Display for CatalogTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One connection of a bulk load, of its own (not from the pool): loads run in parallel over
/// a few of them.
pub struct BulkLoader {
    client: Client,
}

impl std::fmt::Debug for BulkLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkLoader").finish_non_exhaustive()
    }
}

impl BulkLoader {
    /// Connects to `database_url`, naming the connection `application_name` on the server.
    pub async fn connect(database_url: &str, application_name: &str) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = database_url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Unavailable(format!("bad database url: {e}")))?;
        config.application_name(application_name);
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "bulk load connection failed");
            }
        });
        Ok(Self { client })
    }

    /// Which database the connection is on.
    pub async fn flavor(&self) -> Result<Flavor, StoreError> {
        migrate::flavor(&self.client).await
    }

    /// PostgreSQL settings for a load on this connection: nothing to wait for at each COPY's
    /// commit (a crash mid-load means loading again), and memory to sort index builds in.
    pub async fn tune_for_load(&self) -> Result<(), StoreError> {
        self.client.batch_execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'").await?;
        Ok(())
    }

    /// Empties the catalog and everything that hangs off it (sale prices, price history,
    /// market listings built, stock and reservations).
    pub async fn truncate_catalog(&self) -> Result<(), StoreError> {
        self.client.batch_execute(TRUNCATE).await?;
        Ok(())
    }

    /// The price history behind the loaded reductions: a price loaded with a compare-at price
    /// was at the compare-at price for the `days` before it was set. The prior price the EU
    /// requires next to a reduction is read from this history.
    pub async fn record_reductions(&self, days: i64) -> Result<u64, StoreError> {
        let rows = self
            .client
            .execute(
                "INSERT INTO price_changes (variant_id, market, amount_minor, changed_at) \
                 SELECT variant_id, market, compare_at_minor, updated_at - ($1::INT8 * INTERVAL '1 day') FROM prices \
                 WHERE compare_at_minor IS NOT NULL",
                &[&days],
            )
            .await?;
        Ok(rows)
    }

    /// Drops indexes (those of [`secondary_indexes`]) for the load.
    pub async fn drop_indexes(&self, indexes: &[SecondaryIndex]) -> Result<(), StoreError> {
        if indexes.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
        self.client.batch_execute(&format!("DROP INDEX IF EXISTS {}", names.join(", "))).await?;
        Ok(())
    }

    /// Builds a dropped index again, with the statement of its migration.
    pub async fn create_index(&self, index: &SecondaryIndex) -> Result<(), StoreError> {
        self.client.batch_execute(&index.create).await?;
        Ok(())
    }

    /// `ANALYZE` of a table; with `vacuum`, `VACUUM (ANALYZE)` (PostgreSQL: also sets the
    /// visibility map, so that reads are index-only scans from the start).
    pub async fn analyze(&self, table: CatalogTable, vacuum: bool) -> Result<(), StoreError> {
        let verb = if vacuum { "VACUUM (ANALYZE)" } else { "ANALYZE" };
        self.client.batch_execute(&format!("{verb} {}", table.name())).await?;
        Ok(())
    }

    /// Starts a binary COPY into `table`: send it [`CopyBuf`] chunks, then finish it.
    pub async fn copy_in(&self, table: CatalogTable) -> Result<CopyIn, StoreError> {
        let sink = self.client.copy_in::<_, Bytes>(table.copy_sql()).await?;
        Ok(CopyIn { sink: Box::pin(sink) })
    }

    /// A whole binary COPY stream into `table`, in one go; returns the rows written.
    pub async fn copy(&self, table: CatalogTable, data: Bytes) -> Result<u64, StoreError> {
        let mut copy = self.copy_in(table).await?;
        copy.send(data).await?;
        copy.finish().await
    }
}

/// A binary COPY under way. Dropped unfinished, it is aborted.
pub struct CopyIn {
    sink: Pin<Box<CopyInSink<Bytes>>>,
}

impl std::fmt::Debug for CopyIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyIn").finish_non_exhaustive()
    }
}

impl CopyIn {
    /// Sends a chunk of the stream.
    pub async fn send(&mut self, data: Bytes) -> Result<(), StoreError> {
        self.sink.send(data).await?;
        Ok(())
    }

    /// Ends the stream; returns the rows written.
    pub async fn finish(mut self) -> Result<u64, StoreError> {
        Ok(self.sink.as_mut().finish().await?)
    }
}
