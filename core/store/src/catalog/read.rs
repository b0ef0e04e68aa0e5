//! Shopper reads: product detail and category listings, scoped to a market.
//!
//! Each read is a few indexed statements, prepared once per connection and pipelined on it.

use core_domain::attributes;
use core_domain::listing::{After, Filters, Sort};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

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
    /// The variant's explicit price in the market, if it has one there.
    pub price: Option<PriceRow>,
    /// Its price in the market the market derives its prices from, if any.
    pub base_amount: Option<i64>,
    /// Sale prices in the market that are live or still to come.
    pub sales: Vec<core_domain::pricing::Sale>,
    /// When its explicit price in the market was last set (microseconds since the Unix epoch).
    pub price_set_at: Option<i64>,
    /// The explicit prices it took in the market, oldest first, for the prior price of a
    /// reduction (asked for only when wanted; the latest 100).
    pub price_history: Vec<core_domain::pricing::PriceChange>,
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

/// Which rows make up a market's view of the catalog.
#[derive(Clone, Copy, Debug)]
pub struct MarketView<'a> {
    pub market: &'a str,
    /// Markets whose assortment rows make a product sold here (this one, and the one it takes
    /// its assortment from).
    pub assortment: &'a [String],
    /// The market whose prices this one derives its own from.
    pub price_source: Option<&'a str>,
    /// Whether to read the price history (EU Omnibus display).
    pub price_history: bool,
}

const PRODUCT: &str = "SELECT p.id, p.code, p.category_id, p.tax_category, p.attributes, p.published_at \
     FROM products p WHERE p.id = $1 AND p.status = 'published' \
     AND EXISTS (SELECT 1 FROM product_markets pm WHERE pm.product_id = p.id AND pm.market = ANY($2))";
const TRANSLATIONS: &str = "SELECT language, name, description, slug FROM product_translations \
     WHERE product_id = $1 AND language = ANY($2)";
const VARIANTS: &str = "SELECT v.id, v.sku, v.attributes, pr.currency, pr.amount_minor, pr.compare_at_minor, pb.amount_minor, \
     pr.updated_at \
     FROM variants v \
     LEFT JOIN prices pr ON pr.variant_id = v.id AND pr.market = $2 \
     LEFT JOIN prices pb ON pb.variant_id = v.id AND pb.market = $3 \
     WHERE v.product_id = $1 ORDER BY v.position, v.sku";
const SALES: &str = "SELECT s.variant_id, s.amount_minor, s.starts_at, s.ends_at, s.created_at FROM sale_prices s \
     JOIN variants v ON v.id = s.variant_id \
     WHERE v.product_id = $1 AND s.market = $2 AND (s.ends_at IS NULL OR s.ends_at > now())";
const HISTORY: &str = "SELECT c.variant_id, c.changed_at, c.amount_minor FROM price_changes c \
     JOIN variants v ON v.id = c.variant_id \
     WHERE v.product_id = $1 AND c.market = $2 ORDER BY c.changed_at DESC, c.id LIMIT 100";

fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

/// A published product sold in the market, with its translations in `languages`, and its
/// variants with their explicit, base and sale prices there. `None` when it does not exist, is
/// a draft, or is not sold in the market.
pub async fn product_for_market(
    client: &deadpool_postgres::Client,
    view: MarketView<'_>,
    id: Uuid,
    languages: &[String],
) -> Result<Option<ProductRecord>, StoreError> {
    type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
    let (s1, s2, s3, s4, s5) = futures::try_join!(
        client.prepare_cached(PRODUCT),
        client.prepare_cached(TRANSLATIONS),
        client.prepare_cached(VARIANTS),
        client.prepare_cached(SALES),
        client.prepare_cached(HISTORY),
    )?;
    let base = view.price_source.unwrap_or("");
    let p_product: [Param; 2] = [&id, &view.assortment];
    let p_translations: [Param; 2] = [&id, &languages];
    let p_variants: [Param; 3] = [&id, &view.market, &base];
    let p_market: [Param; 2] = [&id, &view.market];
    // Pipelined on one connection: the statements share one round trip's worth of waiting.
    let history = async { if view.price_history { client.query(&s5, &p_market).await.map(Some) } else { Ok(None) } };
    let (product, translations, variants, sales, history) = futures::try_join!(
        client.query_opt(&s1, &p_product),
        client.query(&s2, &p_translations),
        client.query(&s3, &p_variants),
        client.query(&s4, &p_market),
        history,
    )?;
    let Some(p) = product else { return Ok(None) };
    let mut variants: Vec<VariantRow> = variants
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
            base_amount: r.get(6),
            sales: Vec::new(),
            price_set_at: r.get::<_, Option<OffsetDateTime>>(7).map(micros),
            price_history: Vec::new(),
        })
        .collect();
    for r in sales {
        let variant: Uuid = r.get(0);
        if let Some(v) = variants.iter_mut().find(|v| v.id == variant) {
            v.sales.push(core_domain::pricing::Sale {
                amount_minor: r.get(1),
                starts_at: micros(r.get(2)),
                ends_at: r.get::<_, Option<OffsetDateTime>>(3).map(micros),
                created_at: Some(micros(r.get(4))),
            });
        }
    }
    // Newest first from the database: each variant's list is turned oldest first.
    for r in history.into_iter().flatten().rev() {
        let variant: Uuid = r.get(0);
        if let Some(v) = variants.iter_mut().find(|v| v.id == variant) {
            v.price_history.push(core_domain::pricing::PriceChange { at: micros(r.get(1)), amount_minor: r.get(2) });
        }
    }
    Ok(Some(ProductRecord {
        id: p.get(0),
        code: p.get(1),
        category_id: p.get(2),
        tax_category: p.get(3),
        attributes: p.get(4),
        published_at: p.get(5),
        translations: translations.iter().map(translation_row).collect(),
        variants,
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
    /// Page size.
    pub limit: u32,
    /// With filters, at most this many listing rows are examined for one page, however few
    /// of them match: the cost of a page is bounded whatever the filter's selectivity. A page
    /// may then hold fewer items than `limit` (even none) and still have a next page.
    pub budget: u32,
    /// Languages whose names and slugs to fetch for the page's products.
    pub languages: &'a [String],
}

#[derive(Clone, Debug)]
pub struct ListingRow {
    pub product_id: Uuid,
    pub published_at: OffsetDateTime,
    pub from_price_minor: i64,
    /// Names and slugs in the languages asked for (that exist); `description` is empty.
    pub translations: Vec<TranslationRow>,
}

/// A page: the matching rows, and the sort key of the last row examined when there may be
/// more (the next page starts strictly after it).
#[derive(Clone, Debug)]
pub struct ListingPage {
    pub rows: Vec<ListingRow>,
    pub next_after: Option<ListingRow>,
}

/// The rows of a listing page, in order. Walks the listing index from the cursor, so the cost
/// is bounded by the page size (or by `budget` with filters), whatever the depth of the page.
pub async fn listing(client: &deadpool_postgres::Client, q: &ListingQuery<'_>) -> Result<ListingPage, StoreError> {
    let limit = q.limit as usize;
    if q.filters.is_empty() {
        let mut rows = listing_batch(client, q, q.after, q.limit + 1).await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let rows: Vec<ListingRow> = rows.into_iter().map(|(r, _)| r).collect();
        let next_after = if more { rows.last().cloned() } else { None };
        return Ok(ListingPage { rows, next_after });
    }
    // With filters: examine the listing in growing batches (twice the page, then four times
    // the rest…) until the page is full or the budget is spent.
    let budget = q.budget.max(q.limit);
    let (mut examined, mut batch, mut after) = (0u32, q.limit.saturating_mul(2), q.after);
    let mut rows = Vec::with_capacity(limit);
    loop {
        let size = batch.min(budget - examined);
        let candidates = listing_batch(client, q, after, size).await?;
        examined += candidates.len() as u32;
        let exhausted = (candidates.len() as u32) < size;
        for (i, (row, hit)) in candidates.iter().enumerate() {
            if !hit {
                continue;
            }
            rows.push(row.clone());
            if rows.len() == limit {
                let more = i + 1 < candidates.len() || !exhausted;
                let next_after = if more { rows.last().cloned() } else { None };
                return Ok(ListingPage { rows, next_after });
            }
        }
        let Some((last, _)) = candidates.last() else {
            return Ok(ListingPage { rows, next_after: None });
        };
        if exhausted {
            return Ok(ListingPage { rows, next_after: None });
        }
        if examined >= budget {
            return Ok(ListingPage { rows, next_after: Some(last.clone()) });
        }
        after = Some(match q.sort {
            Sort::Newest => After::Published((last.published_at.unix_timestamp_nanos() / 1000) as i64, last.product_id),
            Sort::PriceAsc | Sort::PriceDesc => After::Price(last.from_price_minor, last.product_id),
        });
        batch = batch.saturating_mul(4);
    }
}

/// The next `size` rows of the listing after `after`, each with whether it matches the
/// filters (always true without filters) and, when it does, its names and slugs: one
/// statement per batch.
async fn listing_batch(
    client: &deadpool_postgres::Client,
    q: &ListingQuery<'_>,
    after: Option<After>,
    size: u32,
) -> Result<Vec<(ListingRow, bool)>, StoreError> {
    use std::fmt::Write as _;
    let mut params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> =
        vec![Box::new(q.market.to_string()), Box::new(q.category), Box::new(q.languages.to_vec())];
    // Values are ORed within an attribute (array overlap) and attributes ANDed, each decided on
    // the listing row's facet keys, which the covering indexes carry: the scan reads the index
    // only. One statement shape per number of filtered attributes.
    let mut tests = Vec::with_capacity(q.filters.0.len());
    for (code, values) in &q.filters.0 {
        let keys: Vec<String> = values.iter().map(|v| attributes::facet_key(code, v)).collect();
        params.push(Box::new(keys));
        tests.push(format!("l.facet_keys && ${}::TEXT[]", params.len()));
    }
    let hit = if tests.is_empty() { "true".to_string() } else { tests.join(" AND ") };
    let mut scan = format!(
        "SELECT l.product_id, l.published_at, l.from_price_minor, {hit} AS hit FROM catalog_listing l \
         WHERE l.market = $1 AND l.category_id = $2",
    );
    match after {
        Some(After::Published(micros, id)) => {
            let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
                .map_err(|_| StoreError::Unavailable("cursor timestamp out of range".into()))?;
            params.push(Box::new(at));
            params.push(Box::new(id));
            let _ = write!(scan, " AND (l.published_at, l.product_id) < (${}, ${})", params.len() - 1, params.len());
        }
        Some(After::Price(price, id)) => {
            params.push(Box::new(price));
            params.push(Box::new(id));
            let op = if q.sort == Sort::PriceDesc { "<" } else { ">" };
            let _ =
                write!(scan, " AND (l.from_price_minor, l.product_id) {op} (${}, ${})", params.len() - 1, params.len());
        }
        None => {}
    }
    let order = |alias: &str| match q.sort {
        Sort::Newest => format!(" ORDER BY {alias}.published_at DESC, {alias}.product_id DESC"),
        Sort::PriceAsc => format!(" ORDER BY {alias}.from_price_minor ASC, {alias}.product_id ASC"),
        Sort::PriceDesc => format!(" ORDER BY {alias}.from_price_minor DESC, {alias}.product_id DESC"),
    };
    scan.push_str(&order("l"));
    params.push(Box::new(i64::from(size)));
    let _ = write!(scan, " LIMIT ${}", params.len());
    // Names only for matching rows: `OFFSET 0` keeps the lateral subquery from being pulled up,
    // so `c.hit` stays a one-time filter and rows that do not match cost no index probe. One
    // result row per (product, language), products adjacent in listing order.
    let sql = format!(
        "SELECT c.product_id, c.published_at, c.from_price_minor, c.hit, t.language, t.name, t.slug \
         FROM ({scan}) AS c \
         LEFT JOIN LATERAL (SELECT tr.language, tr.name, tr.slug FROM product_translations tr \
           WHERE c.hit AND tr.product_id = c.product_id AND tr.language = ANY($3) OFFSET 0) AS t ON true{}",
        order("c"),
    );
    let mut out: Vec<(ListingRow, bool)> = Vec::with_capacity(size as usize);
    for r in query(client, &sql, &params).await? {
        let id: Uuid = r.get(0);
        let translation = r.get::<_, Option<String>>(4).map(|language| TranslationRow {
            language,
            name: r.get(5),
            description: String::new(),
            slug: r.get(6),
        });
        match out.last_mut() {
            Some((last, _)) if last.product_id == id => last.translations.extend(translation),
            _ => out.push((
                ListingRow {
                    product_id: id,
                    published_at: r.get(1),
                    from_price_minor: r.get(2),
                    translations: translation.into_iter().collect(),
                },
                r.get(3),
            )),
        }
    }
    Ok(out)
}

async fn query(
    client: &deadpool_postgres::Client,
    sql: &str,
    params: &[Box<dyn tokio_postgres::types::ToSql + Sync + Send>],
) -> Result<Vec<tokio_postgres::Row>, StoreError> {
    let stmt = client.prepare_cached(sql).await?;
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        params.iter().map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
    Ok(client.query(&stmt, &refs).await?)
}

/// A variant as a quote prices it.
#[derive(Clone, Debug)]
pub struct QuoteVariant {
    pub id: Uuid,
    pub sku: String,
    pub product_id: Uuid,
    pub category_id: Uuid,
    pub tax_category: String,
    /// Published and in the market's assortment.
    pub sold: bool,
    pub explicit_amount: Option<i64>,
    pub base_amount: Option<i64>,
    pub sales: Vec<core_domain::pricing::Sale>,
    /// Shipping weight of one unit, in grams.
    pub weight_grams: i64,
}

/// The variants of a cart with what pricing them in the market needs: the quote reprices from
/// the database, never from what a client or a cache says.
pub async fn quote_variants(
    client: &impl deadpool_postgres::GenericClient,
    view: MarketView<'_>,
    ids: &[Uuid],
) -> Result<Vec<QuoteVariant>, StoreError> {
    // Four statement shapes, so that the common case (one assortment, explicit prices) is a
    // key lookup per table and variant.
    let assortment = if view.assortment.len() == 1 { "pm.market = ($2::TEXT[])[1]" } else { "pm.market = ANY($2)" };
    let (base_column, base_join) = match view.price_source {
        Some(_) => ("pb.amount_minor", "LEFT JOIN prices pb ON pb.variant_id = v.id AND pb.market = $4"),
        None => ("NULL::INT8", "CROSS JOIN (SELECT $4::TEXT AS unused) AS nb"),
    };
    // Live sale prices come in the same statement (a lateral lookup, usually empty): one
    // round trip per quote.
    let sql = format!(
        "SELECT v.id, v.sku, v.product_id, p.category_id, p.tax_category, \
         (p.status = 'published' AND EXISTS (SELECT 1 FROM product_markets pm \
           WHERE pm.product_id = p.id AND {assortment})), \
         pr.amount_minor, {base_column}, s.amount_minor, s.starts_at, s.ends_at, v.weight_grams \
         FROM variants v JOIN products p ON p.id = v.product_id \
         LEFT JOIN prices pr ON pr.variant_id = v.id AND pr.market = $3 \
         {base_join} \
         LEFT JOIN LATERAL (SELECT sp.amount_minor, sp.starts_at, sp.ends_at FROM sale_prices sp \
           WHERE sp.variant_id = v.id AND sp.market = $3 AND sp.starts_at <= now() \
             AND (sp.ends_at IS NULL OR sp.ends_at > now())) AS s ON true \
         WHERE v.id = ANY($1)"
    );
    let base = view.price_source.unwrap_or("");
    let stmt = client.prepare_cached(&sql).await?;
    type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
    let params: [Param; 4] = [&ids, &view.assortment, &view.market, &base];
    let mut out: Vec<QuoteVariant> = Vec::with_capacity(ids.len());
    for r in client.query(&stmt, &params).await? {
        let id: Uuid = r.get(0);
        let sale = r.get::<_, Option<i64>>(8).map(|amount_minor| core_domain::pricing::Sale {
            amount_minor,
            starts_at: micros(r.get(9)),
            ends_at: r.get::<_, Option<OffsetDateTime>>(10).map(micros),
            created_at: None,
        });
        if let Some(v) = out.iter_mut().find(|v| v.id == id) {
            v.sales.extend(sale);
            continue;
        }
        out.push(QuoteVariant {
            id,
            sku: r.get(1),
            product_id: r.get(2),
            category_id: r.get(3),
            tax_category: r.get(4),
            sold: r.get(5),
            explicit_amount: r.get(6),
            base_amount: r.get(7),
            sales: sale.into_iter().collect(),
            weight_grams: r.get(11),
        });
    }
    Ok(out)
}

/// What a cart or order line shows of its variant: the product's names in the languages asked
/// for, the variant's SKU and its attribute values (as stored: enum option keys, numbers…).
#[derive(Clone, Debug)]
pub struct VariantLabelRow {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_id: Uuid,
    /// The product's code, when it has no name in any language asked for.
    pub product_code: String,
    pub attributes: serde_json::Value,
    /// `(language, name)`.
    pub names: Vec<(String, String)>,
}

/// The labels of variants, with the product's names in `languages` (drafts and products no
/// longer sold included: a line shows what it holds).
pub async fn variant_labels(
    client: &impl deadpool_postgres::GenericClient,
    ids: &[Uuid],
    languages: &[String],
) -> Result<Vec<VariantLabelRow>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT v.id, v.sku, v.product_id, p.code, v.attributes, t.language, t.name \
             FROM variants v JOIN products p ON p.id = v.product_id \
             LEFT JOIN product_translations t ON t.product_id = v.product_id AND t.language = ANY($2) \
             WHERE v.id = ANY($1)",
        )
        .await?;
    let mut out: Vec<VariantLabelRow> = Vec::with_capacity(ids.len());
    for r in client.query(&stmt, &[&ids, &languages]).await? {
        let id: Uuid = r.get(0);
        let name = r.get::<_, Option<String>>(5).zip(r.get::<_, Option<String>>(6));
        match out.iter_mut().find(|v| v.variant_id == id) {
            Some(v) => v.names.extend(name),
            None => out.push(VariantLabelRow {
                variant_id: id,
                sku: r.get(1),
                product_id: r.get(2),
                product_code: r.get(3),
                attributes: r.get(4),
                names: name.into_iter().collect(),
            }),
        }
    }
    Ok(out)
}
