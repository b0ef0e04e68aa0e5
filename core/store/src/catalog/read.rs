//! Shopper reads: product detail and category listings, scoped to a market.
//!
//! Each read is a few indexed statements, prepared once per connection and pipelined on it.

use core_domain::listing::{After, Filters, Sort};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::value_to_json;
use crate::StoreError;

#[derive(Clone, Debug)]
pub struct TranslationRow {
    pub language: String,
    pub name: String,
    pub description: String,
    pub slug: String,
}

#[derive(Clone, Debug)]
pub struct PriceRow {
    pub currency: String,
    pub amount_minor: i64,
    pub compare_at_minor: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct VariantRow {
    pub id: Uuid,
    pub sku: String,
    pub attributes: Value,
    /// The variant's price in the market, if it has one there.
    pub price: Option<PriceRow>,
}

/// A published product as one market sees it.
#[derive(Clone, Debug)]
pub struct ProductRecord {
    pub id: Uuid,
    pub code: String,
    pub category_id: Uuid,
    pub tax_category: String,
    pub attributes: Value,
    pub published_at: OffsetDateTime,
    /// Translations in the languages asked for (those that exist).
    pub translations: Vec<TranslationRow>,
    pub variants: Vec<VariantRow>,
}

const PRODUCT: &str = "SELECT p.id, p.code, p.category_id, p.tax_category, p.attributes, p.published_at \
     FROM products p JOIN product_markets pm ON pm.product_id = p.id AND pm.market = $2 \
     WHERE p.id = $1 AND p.status = 'published'";
const TRANSLATIONS: &str = "SELECT language, name, description, slug FROM product_translations \
     WHERE product_id = $1 AND language = ANY($2)";
const VARIANTS: &str = "SELECT v.id, v.sku, v.attributes, pr.currency, pr.amount_minor, pr.compare_at_minor \
     FROM variants v LEFT JOIN prices pr ON pr.variant_id = v.id AND pr.market = $2 \
     WHERE v.product_id = $1 ORDER BY v.position, v.sku";

/// A published product sold in `market`, with its translations in `languages` and its
/// variants with their prices in the market. `None` when it does not exist, is a draft, or is
/// not sold in the market.
pub async fn product_for_market(
    client: &deadpool_postgres::Client,
    market: &str,
    id: Uuid,
    languages: &[String],
) -> Result<Option<ProductRecord>, StoreError> {
    let (s1, s2, s3) = futures::try_join!(
        client.prepare_cached(PRODUCT),
        client.prepare_cached(TRANSLATIONS),
        client.prepare_cached(VARIANTS)
    )?;
    // Pipelined: the three statements share one round trip's worth of waiting.
    let (p1, p2): ([&(dyn tokio_postgres::types::ToSql + Sync); 2], [&(dyn tokio_postgres::types::ToSql + Sync); 2]) =
        ([&id, &market], [&id, &languages]);
    let (product, translations, variants) =
        futures::try_join!(client.query_opt(&s1, &p1), client.query(&s2, &p2), client.query(&s3, &p1))?;
    let Some(p) = product else { return Ok(None) };
    Ok(Some(ProductRecord {
        id: p.get(0),
        code: p.get(1),
        category_id: p.get(2),
        tax_category: p.get(3),
        attributes: p.get(4),
        published_at: p.get(5),
        translations: translations.iter().map(translation_row).collect(),
        variants: variants
            .iter()
            .map(|r| VariantRow {
                id: r.get(0),
                sku: r.get(1),
                attributes: r.get(2),
                price: r.get::<_, Option<String>>(3).map(|currency| PriceRow {
                    currency,
                    amount_minor: r.get(4),
                    compare_at_minor: r.get(5),
                }),
            })
            .collect(),
    }))
}

fn translation_row(r: &tokio_postgres::Row) -> TranslationRow {
    TranslationRow { language: r.get(0), name: r.get(1), description: r.get(2), slug: r.get(3) }
}

/// The product whose slug is `slug` in one of `languages`, preferring earlier languages.
pub async fn product_id_by_slug(
    client: &deadpool_postgres::Client,
    slug: &str,
    languages: &[String],
) -> Result<Option<Uuid>, StoreError> {
    let stmt = client
        .prepare_cached("SELECT product_id, language FROM product_translations WHERE slug = $1 AND language = ANY($2)")
        .await?;
    let rows = client.query(&stmt, &[&slug, &languages]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let language: String = r.get(1);
            Some((languages.iter().position(|l| *l == language)?, r.get::<_, Uuid>(0)))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, id)| id))
}

/// One page of a category listing.
#[derive(Clone, Debug)]
pub struct ListingQuery<'a> {
    pub market: &'a str,
    pub category: Uuid,
    pub sort: Sort,
    pub filters: &'a Filters,
    pub after: Option<After>,
    /// Rows to return; callers ask for one more than the page size to learn whether a next
    /// page exists.
    pub limit: u32,
}

#[derive(Clone, Debug)]
pub struct ListingRow {
    pub product_id: Uuid,
    pub published_at: OffsetDateTime,
    pub from_price_minor: i64,
}

/// The rows of a listing page, in order. Walks the listing index from the cursor, so the cost
/// is the page size (times the filter's selectivity), whatever the depth of the page.
pub async fn listing(client: &deadpool_postgres::Client, q: &ListingQuery<'_>) -> Result<Vec<ListingRow>, StoreError> {
    use std::fmt::Write as _;
    let mut params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> =
        vec![Box::new(q.market.to_string()), Box::new(q.category)];
    let mut sql = String::from("SELECT l.product_id, l.published_at, l.from_price_minor FROM catalog_listing l");
    if !q.filters.is_empty() {
        sql.push_str(" JOIN products p ON p.id = l.product_id");
    }
    sql.push_str(" WHERE l.market = $1 AND l.category_id = $2");
    match q.after {
        Some(After::Published(micros, id)) => {
            let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
                .map_err(|_| StoreError::Unavailable("cursor timestamp out of range".into()))?;
            params.push(Box::new(at));
            params.push(Box::new(id));
            sql.push_str(" AND (l.published_at, l.product_id) < ($3, $4)");
        }
        Some(After::Price(price, id)) => {
            params.push(Box::new(price));
            params.push(Box::new(id));
            let op = if q.sort == Sort::PriceDesc { "<" } else { ">" };
            let _ = write!(sql, " AND (l.from_price_minor, l.product_id) {op} ($3, $4)");
        }
        None => {}
    }
    // Values are ORed within an attribute and attributes ANDed. The filter is one JSONB
    // parameter, an array of groups of containment documents, so that the statement has one
    // shape whatever the filter (12 shapes in all, each prepared once per connection).
    if !q.filters.is_empty() {
        let groups: Vec<Value> = q
            .filters
            .0
            .iter()
            .map(|(code, values)| {
                Value::Array(values.iter().map(|v| serde_json::json!({ code: [value_to_json(v)] })).collect())
            })
            .collect();
        params.push(Box::new(Value::Array(groups)));
        let _ = write!(
            sql,
            " AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(${n}) AS g (grp) \
              WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(g.grp) AS v (doc) WHERE p.facets @> v.doc))",
            n = params.len()
        );
    }
    sql.push_str(match q.sort {
        Sort::Newest => " ORDER BY l.published_at DESC, l.product_id DESC",
        Sort::PriceAsc => " ORDER BY l.from_price_minor ASC, l.product_id ASC",
        Sort::PriceDesc => " ORDER BY l.from_price_minor DESC, l.product_id DESC",
    });
    params.push(Box::new(i64::from(q.limit)));
    let _ = write!(sql, " LIMIT ${}", params.len());

    let stmt = client.prepare_cached(&sql).await?;
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        params.iter().map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
    let rows = client.query(&stmt, &refs).await?;
    Ok(rows
        .iter()
        .map(|r| ListingRow { product_id: r.get(0), published_at: r.get(1), from_price_minor: r.get(2) })
        .collect())
}

/// Translations of several products in `languages`, for listing cards.
pub async fn card_translations(
    client: &deadpool_postgres::Client,
    ids: &[Uuid],
    languages: &[String],
) -> Result<Vec<(Uuid, TranslationRow)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = client
        .prepare_cached(
            "SELECT product_id, language, name, slug FROM product_translations \
             WHERE product_id = ANY($1) AND language = ANY($2)",
        )
        .await?;
    let rows = client.query(&stmt, &[&ids, &languages]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                TranslationRow { language: r.get(1), name: r.get(2), description: String::new(), slug: r.get(3) },
            )
        })
        .collect())
}
