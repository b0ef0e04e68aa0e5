//! The listing read model (`catalog_listing`): the rows of a product for every market that sells
//! it, computed from the product, its assortment, its variants' prices and the market rules
//! (a market may take another's assortment and derive its prices from another's), and the
//! backfill that builds a market's rows when the market is added by configuration.

use crate::Prepared;
use std::collections::{BTreeMap, BTreeSet};

use core_domain::pricing;
use deadpool_postgres::GenericClient;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreError};

/// What a product's listing rows are computed from.
struct Source {
    id: Uuid,
    published_at: OffsetDateTime,
    category_id: Uuid,
    tax_category: String,
    facet_keys: Vec<String>,
    /// Markets with an assortment row.
    sold: BTreeSet<String>,
    /// Explicit prices: (variant, market) → amount.
    prices: BTreeMap<(Uuid, String), i64>,
    variants: BTreeSet<Uuid>,
}

/// One listing row.
struct Row {
    market: String,
    category_id: Uuid,
    product_id: Uuid,
    published_at: OffsetDateTime,
    from_price_minor: i64,
    facet_keys: Vec<String>,
}

/// The facet keys (`code=value`) of a product's `facets` column.
fn facet_keys_of(facets: &Value) -> Vec<String> {
    let Some(map) = facets.as_object() else { return Vec::new() };
    let mut keys = Vec::new();
    for (code, values) in map {
        for v in values.as_array().into_iter().flatten() {
            match v {
                Value::String(s) => keys.push(format!("{code}={s}")),
                Value::Bool(b) => keys.push(format!("{code}={b}")),
                Value::Number(n) => keys.push(format!("{code}={n}")),
                _ => {}
            }
        }
    }
    keys
}

/// Loads the published products among `ids` with everything their rows need.
async fn load(client: &impl GenericClient, ids: &[Uuid]) -> Result<Vec<Source>, StoreError> {
    let products = client
        .query_cached(
            "SELECT id, published_at, category_id, facets, tax_category FROM products \
             WHERE id = ANY($1) AND status = 'published' AND published_at IS NOT NULL",
            &[&ids],
        )
        .await?;
    let mut sources: BTreeMap<Uuid, Source> = products
        .iter()
        .map(|r| {
            let id: Uuid = r.get(0);
            let facets: Value = r.get(3);
            (
                id,
                Source {
                    id,
                    published_at: r.get(1),
                    category_id: r.get(2),
                    tax_category: r.get(4),
                    facet_keys: facet_keys_of(&facets),
                    sold: BTreeSet::new(),
                    prices: BTreeMap::new(),
                    variants: BTreeSet::new(),
                },
            )
        })
        .collect();
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = sources.keys().copied().collect();
    for r in client
        .query_cached("SELECT product_id, market FROM product_markets WHERE product_id = ANY($1)", &[&ids])
        .await?
    {
        if let Some(s) = sources.get_mut(&r.get::<_, Uuid>(0)) {
            s.sold.insert(r.get(1));
        }
    }
    let variants = client
        .query_cached(
            "SELECT v.product_id, v.id, pr.market, pr.amount_minor FROM variants v \
             LEFT JOIN prices pr ON pr.variant_id = v.id WHERE v.product_id = ANY($1)",
            &[&ids],
        )
        .await?;
    for r in variants {
        if let Some(s) = sources.get_mut(&r.get::<_, Uuid>(0)) {
            let variant: Uuid = r.get(1);
            s.variants.insert(variant);
            if let (Some(market), Some(amount)) = (r.get::<_, Option<String>>(2), r.get::<_, Option<i64>>(3)) {
                s.prices.insert((variant, market), amount);
            }
        }
    }
    Ok(sources.into_values().collect())
}

/// The rows of `source` for each market (or only `only`), one per ancestor-or-self category.
fn rows_of(
    source: &Source,
    ancestors: &BTreeMap<Uuid, Vec<Uuid>>,
    regions: &regions::Catalog,
    only: Option<&str>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for market in regions.markets().filter(|m| only.is_none_or(|o| m.id.as_str() == o)) {
        let sold = pricing::assortment_sources(market).iter().any(|m| source.sold.contains(m));
        if !sold {
            continue;
        }
        let base = pricing::price_source(regions, market);
        let from = source
            .variants
            .iter()
            .filter_map(|v| {
                let explicit = source.prices.get(&(*v, market.id.to_string())).copied();
                let base_price = base.and_then(|b| source.prices.get(&(*v, b.id.to_string())).copied());
                pricing::regular_price(market, base, explicit, base_price, &source.tax_category)
            })
            .min();
        let Some(from) = from else { continue };
        for category in ancestors.get(&source.category_id).into_iter().flatten() {
            rows.push(Row {
                market: market.id.to_string(),
                category_id: *category,
                product_id: source.id,
                published_at: source.published_at,
                from_price_minor: from,
                facet_keys: source.facet_keys.clone(),
            });
        }
    }
    rows
}

async fn ancestors_of(
    client: &impl GenericClient,
    sources: &[Source],
) -> Result<BTreeMap<Uuid, Vec<Uuid>>, StoreError> {
    let categories: Vec<Uuid> = sources.iter().map(|s| s.category_id).collect::<BTreeSet<_>>().into_iter().collect();
    let mut out: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for r in client
        .query_cached(
            "SELECT category_id, ancestor_id FROM category_ancestors WHERE category_id = ANY($1)",
            &[&categories],
        )
        .await?
    {
        out.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(out)
}

/// Rows per INSERT statement.
const INSERT_CHUNK: usize = 200;

async fn insert(client: &impl GenericClient, rows: &[Row], replace: bool) -> Result<u64, StoreError> {
    use std::fmt::Write as _;
    let mut written = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO catalog_listing (market, category_id, product_id, published_at, from_price_minor, facet_keys) VALUES ",
        );
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::with_capacity(chunk.len() * 6);
        for (i, row) in chunk.iter().enumerate() {
            let n = i * 6;
            let _ = write!(
                sql,
                "{}(${}, ${}, ${}, ${}, ${}, ${}::TEXT[])",
                if i == 0 { "" } else { ", " },
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6
            );
            params.extend([
                &row.market as &(dyn tokio_postgres::types::ToSql + Sync),
                &row.category_id,
                &row.product_id,
                &row.published_at,
                &row.from_price_minor,
                &row.facet_keys,
            ]);
        }
        if replace {
            sql.push_str(
                " ON CONFLICT (market, category_id, product_id) DO UPDATE SET published_at = excluded.published_at, \
                 from_price_minor = excluded.from_price_minor, facet_keys = excluded.facet_keys",
            );
        }
        written += client.execute(&sql, &params).await?;
    }
    Ok(written)
}

/// Rebuilds the listing rows of one product (in the caller's transaction).
pub(crate) async fn rebuild_product(
    client: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
) -> Result<(), StoreError> {
    client.execute_cached("DELETE FROM catalog_listing WHERE product_id = $1", &[&id]).await?;
    let sources = load(client, &[id]).await?;
    let ancestors = ancestors_of(client, &sources).await?;
    let rows: Vec<Row> = sources.iter().flat_map(|s| rows_of(s, &ancestors, regions, None)).collect();
    insert(client, &rows, false).await?;
    Ok(())
}

/// Products per backfill batch.
const BACKFILL_BATCH: i64 = 500;

/// Markets whose listing rows are built from others' data: they take another market's
/// assortment or derive their prices.
pub fn derived_markets(regions: &regions::Catalog) -> Vec<String> {
    regions
        .markets()
        .filter(|m| m.rules.assortment_from.is_some() || m.pricing.derived.is_some())
        .map(|m| m.id.to_string())
        .collect()
}

impl Store {
    /// Builds the listing rows of `market` if no core has: for a market added by configuration
    /// (a market file naming another market's assortment or prices). One core claims the work;
    /// the others skip it. Returns the rows written, or `None` when there was nothing to do.
    pub async fn backfill_market_listing(
        &self,
        regions: &regions::Catalog,
        market: &str,
        worker: &str,
    ) -> Result<Option<u64>, StoreError> {
        let Some(m) = regions.market(market) else { return Ok(None) };
        let config = format!("{}|{:?}|{:?}", m.currency.code(), m.pricing.derived, m.rules.assortment_from);
        let client = self.client().await?;
        // Claim the work unless it is done for this configuration, or running elsewhere.
        let claimed = client
            .query_opt_cached(
                "INSERT INTO market_backfills (market, config, claimed_by) VALUES ($1, $2, $3) \
                 ON CONFLICT (market) DO UPDATE SET config = excluded.config, claimed_by = excluded.claimed_by, \
                   claimed_at = now(), finished_at = NULL, listing_rows = 0 \
                 WHERE (market_backfills.config <> excluded.config OR market_backfills.finished_at IS NULL) \
                   AND (market_backfills.finished_at IS NOT NULL \
                        OR market_backfills.claimed_at < now() - INTERVAL '10 minutes') \
                 RETURNING market",
                &[&market, &config, &worker],
            )
            .await?;
        drop(client);
        if claimed.is_none() {
            return Ok(None);
        }
        let sources = pricing::assortment_sources(m);
        let shared = std::sync::Arc::new((regions.clone(), market.to_string()));
        let mut after = Uuid::nil();
        let mut written = 0u64;
        loop {
            // Each batch reads and writes in one SERIALIZABLE transaction, so that it cannot
            // overwrite a product changed meanwhile with what it read before.
            let (last, rows) = self
                .transaction(|tx| {
                    let sources = sources.clone();
                    let shared = shared.clone();
                    Box::pin(async move {
                        let (regions, market) = (&shared.0, shared.1.as_str());
                        let ids: Vec<Uuid> = tx
                            .query_cached(
                                "SELECT DISTINCT pm.product_id FROM product_markets pm \
                                 WHERE pm.market = ANY($1) AND pm.product_id > $2 ORDER BY pm.product_id LIMIT $3",
                                &[&sources, &after, &BACKFILL_BATCH],
                            )
                            .await?
                            .iter()
                            .map(|r| r.get(0))
                            .collect();
                        let Some(last) = ids.last().copied() else { return Ok::<_, StoreError>((None, 0)) };
                        let batch = load(tx, &ids).await?;
                        let ancestors = ancestors_of(tx, &batch).await?;
                        let rows: Vec<Row> =
                            batch.iter().flat_map(|s| rows_of(s, &ancestors, regions, Some(market))).collect();
                        let n = insert(tx, &rows, true).await?;
                        tx.execute_cached(
                            "UPDATE market_backfills SET listing_rows = listing_rows + $2, claimed_at = now() WHERE market = $1",
                            &[&market, &(n as i64)],
                        )
                        .await?;
                        Ok((Some(last), n))
                    })
                })
                .await?;
            written += rows;
            match last {
                Some(last) => after = last,
                None => break,
            }
        }
        let client = self.client().await?;
        client.execute_cached("UPDATE market_backfills SET finished_at = now() WHERE market = $1", &[&market]).await?;
        Ok(Some(written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facet_keys_match_the_domain_format() {
        let facets = serde_json::json!({"brand": ["acme"], "eco_certified": [true], "color": ["red", "navy"]});
        let mut keys = facet_keys_of(&facets);
        keys.sort();
        assert_eq!(keys, ["brand=acme", "color=navy", "color=red", "eco_certified=true"]);
        use core_domain::attributes::{AttrValue, facet_key};
        assert_eq!(facet_key("eco_certified", &AttrValue::Boolean(true)), "eco_certified=true");
        assert_eq!(facet_key("color", &AttrValue::Enum("red".into())), "color=red");
    }
}
