//! Merchandiser writes of products: their translations, markets, variants, prices and sales,
//! and publication. Each function runs inside the caller's SERIALIZABLE transaction (see
//! [`crate::Store::transaction`]), checks its input against the domain rules and the current
//! data, and leaves the product's facets and listing rows in step before it returns.

use crate::Prepared;
use std::collections::{BTreeMap, BTreeSet};

use core_domain::attributes::{self, AttrKind, AttrLevel, AttrValue, AttributeDef, RawValue};
use core_domain::catalog::{self, CatalogError, ProductStatus};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::value_to_json;
use crate::StoreError;
use crate::tx::AsSerializationFailure;

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Rejected(#[from] CatalogError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for WriteError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

impl AsSerializationFailure for WriteError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

pub(super) type Result<T, E = WriteError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub struct TranslationInput {
    pub language: String,
    pub name: String,
    pub description: String,
    pub slug: String,
}

#[derive(Clone, Debug)]
pub struct PriceInput {
    pub market: String,
    pub amount_minor: i64,
    pub compare_at_minor: Option<i64>,
    /// If the client names a currency it must be the market's; the server always stores the
    /// market's own currency.
    pub currency: Option<String>,
}

#[derive(Clone, Debug)]
pub struct VariantInput {
    pub sku: String,
    pub attributes: BTreeMap<String, RawValue>,
    pub prices: Vec<PriceInput>,
    /// Shipping weight of one unit; [`DEFAULT_WEIGHT_GRAMS`] when not given.
    pub weight_grams: Option<i64>,
    /// The units on hand in each warehouse, written with the variant.
    pub stock: Vec<StockInput>,
}

/// A variant's units on hand in a warehouse, given with the variant.
#[derive(Clone, Debug)]
pub struct StockInput {
    pub warehouse: String,
    pub on_hand: i64,
}

/// The most units one warehouse may count of a variant in one figure (a billion).
pub const MAX_ON_HAND: i64 = 1_000_000_000;

/// A variant's shipping weight when the merchandiser gives none (the column's default too).
pub const DEFAULT_WEIGHT_GRAMS: i64 = 500;
/// The heaviest unit a variant may weigh: a tonne, past any parcel carrier's limit.
pub const MAX_WEIGHT_GRAMS: i64 = 1_000_000;

/// A weight given by a merchandiser: whole grams, more than 0 and at most [`MAX_WEIGHT_GRAMS`].
fn check_weight(field: &str, grams: i64) -> Result<i64> {
    if !(1..=MAX_WEIGHT_GRAMS).contains(&grams) {
        return Err(CatalogError::Invalid {
            field: field.into(),
            reason: format!("must be whole grams from 1 to {MAX_WEIGHT_GRAMS}"),
        }
        .into());
    }
    Ok(grams)
}

/// Changes to a variant; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct VariantPatch {
    /// Replaces all variant-level attribute values.
    pub attributes: Option<BTreeMap<String, RawValue>>,
    pub weight_grams: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct ProductInput {
    pub code: String,
    /// Category code.
    pub category: String,
    pub tax_category: String,
    pub attributes: BTreeMap<String, RawValue>,
    pub markets: Vec<String>,
    pub translations: Vec<TranslationInput>,
    pub variants: Vec<VariantInput>,
}

/// Fields to change on a product; `None` leaves a field as it is. `attributes` and `markets`
/// replace the whole set.
#[derive(Clone, Debug, Default)]
pub struct ProductPatch {
    pub category: Option<String>,
    pub tax_category: Option<String>,
    pub attributes: Option<BTreeMap<String, RawValue>>,
    pub markets: Option<Vec<String>>,
}

fn json_map(values: &BTreeMap<String, AttrValue>) -> Value {
    Value::Object(values.iter().map(|(k, v)| (k.clone(), value_to_json(v))).collect())
}

/// Reads stored JSONB attribute values back into checked values (they were checked on write).
fn values_from_json(defs: &BTreeMap<String, AttributeDef>, json: &Value) -> BTreeMap<String, AttrValue> {
    let Some(map) = json.as_object() else { return BTreeMap::new() };
    map.iter()
        .filter_map(|(code, v)| {
            let def = defs.get(code)?;
            let value = match (def.kind, v) {
                (AttrKind::Text, Value::String(s)) => AttrValue::Text(s.clone()),
                (AttrKind::Enum, Value::String(s)) => AttrValue::Enum(s.clone()),
                (AttrKind::Number, Value::Number(n)) => AttrValue::Number(n.as_f64()?),
                (AttrKind::Boolean, Value::Bool(b)) => AttrValue::Boolean(*b),
                _ => return None,
            };
            Some((code.clone(), value))
        })
        .collect()
}

/// Attribute definitions as of this transaction.
pub async fn attribute_defs(tx: &impl GenericClient) -> Result<BTreeMap<String, AttributeDef>> {
    let rows = tx.query_cached("SELECT code, kind, level, filterable, unit FROM attributes", &[]).await?;
    let opts = tx
        .query_cached(
            "SELECT attribute_code, value FROM attribute_options ORDER BY attribute_code, position, value",
            &[],
        )
        .await?;
    let mut defs = BTreeMap::new();
    for r in rows {
        let code: String = r.get(0);
        let kind: String = r.get(1);
        let level: String = r.get(2);
        defs.insert(
            code.clone(),
            AttributeDef {
                code,
                kind: AttrKind::parse(&kind).unwrap_or(AttrKind::Text),
                level: AttrLevel::parse(&level).unwrap_or(AttrLevel::Product),
                filterable: r.get(3),
                unit: r.get(4),
                options: Vec::new(),
            },
        );
    }
    for r in opts {
        let code: String = r.get(0);
        if let Some(d) = defs.get_mut(&code) {
            d.options.push(r.get(1));
        }
    }
    Ok(defs)
}

/// Maps a unique violation to the business outcome it means.
pub(super) fn conflict(e: tokio_postgres::Error, what: impl FnOnce(&str) -> Option<CatalogError>) -> WriteError {
    match StoreError::from(e) {
        StoreError::Conflict { constraint } => match what(&constraint) {
            Some(c) => WriteError::Rejected(c),
            None => WriteError::Store(StoreError::Conflict { constraint }),
        },
        other => WriteError::Store(other),
    }
}

fn check_markets(regions: &regions::Catalog, markets: &[String]) -> Result<Vec<String>> {
    let mut out = BTreeSet::new();
    for m in markets {
        let market = regions.market(m).ok_or_else(|| CatalogError::UnknownMarket { market: m.clone() })?;
        out.insert(market.id.to_string());
    }
    Ok(out.into_iter().collect())
}

pub(super) fn check_language(regions: &regions::Catalog, field: &str, language: &str) -> Result<String> {
    let tag = regions::LanguageTag::parse(language)
        .map_err(|e| CatalogError::Invalid { field: field.into(), reason: e.to_string() })?;
    if !regions.languages().contains(&tag) {
        return Err(CatalogError::Invalid {
            field: field.into(),
            reason: format!("`{tag}` is not a language of any market"),
        }
        .into());
    }
    Ok(tag.to_string())
}

pub(super) async fn category_id(tx: &impl GenericClient, code: &str) -> Result<Uuid> {
    tx.query_opt_cached("SELECT id FROM categories WHERE code = $1", &[&code])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| CatalogError::UnknownCategory { code: code.into() }.into())
}

/// Creates a draft product with its translations, markets, variants and prices.
pub async fn create_product(tx: &impl GenericClient, regions: &regions::Catalog, input: &ProductInput) -> Result<Uuid> {
    catalog::check_code("code", &input.code)?;
    catalog::check_tax_category(&input.tax_category)?;
    let defs = attribute_defs(tx).await?;
    let values = attributes::check_values(&defs, AttrLevel::Product, &input.attributes)?;
    let markets = check_markets(regions, &input.markets)?;
    let category = category_id(tx, &input.category).await?;
    let id = Uuid::new_v4();
    tx.execute_cached(
        "INSERT INTO products (id, code, category_id, tax_category, attributes, status) VALUES ($1, $2, $3, $4, $5, 'draft')",
        &[&id, &input.code, &category, &input.tax_category, &json_map(&values)],
    )
    .await
    .map_err(|e| conflict(e, |_| Some(CatalogError::CodeTaken { code: input.code.clone() })))?;
    set_markets(tx, id, &markets).await?;
    for t in &input.translations {
        put_translation_row(tx, regions, id, t).await?;
    }
    for v in &input.variants {
        insert_variant(tx, regions, &defs, id, v).await?;
    }
    refresh(tx, regions, &defs, id).await?;
    Ok(id)
}

async fn set_markets(tx: &impl GenericClient, id: Uuid, markets: &[String]) -> Result<()> {
    tx.execute_cached("DELETE FROM product_markets WHERE product_id = $1 AND NOT (market = ANY($2))", &[&id, &markets])
        .await?;
    for m in markets {
        tx.execute_cached(
            "INSERT INTO product_markets (product_id, market) VALUES ($1, $2) ON CONFLICT (product_id, market) DO NOTHING",
            &[&id, m],
        )
        .await?;
    }
    Ok(())
}

async fn lock_product(tx: &impl GenericClient, id: Uuid) -> Result<ProductStatus> {
    let row = tx
        .query_opt_cached("SELECT status FROM products WHERE id = $1 FOR UPDATE", &[&id])
        .await?
        .ok_or(WriteError::NotFound("product"))?;
    let status: String = row.get(0);
    Ok(ProductStatus::parse(&status).unwrap_or(ProductStatus::Draft))
}

/// Changes a product's category, tax category, attributes or markets.
pub async fn update_product(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    patch: &ProductPatch,
) -> Result<()> {
    let status = lock_product(tx, id).await?;
    let defs = attribute_defs(tx).await?;
    if let Some(code) = &patch.category {
        let category = category_id(tx, code).await?;
        tx.execute_cached("UPDATE products SET category_id = $2 WHERE id = $1", &[&id, &category]).await?;
    }
    if let Some(tax) = &patch.tax_category {
        catalog::check_tax_category(tax)?;
        tx.execute_cached("UPDATE products SET tax_category = $2 WHERE id = $1", &[&id, tax]).await?;
    }
    if let Some(values) = &patch.attributes {
        let values = attributes::check_values(&defs, AttrLevel::Product, values)?;
        tx.execute_cached("UPDATE products SET attributes = $2 WHERE id = $1", &[&id, &json_map(&values)]).await?;
    }
    if let Some(markets) = &patch.markets {
        let markets = check_markets(regions, markets)?;
        set_markets(tx, id, &markets).await?;
    }
    if status == ProductStatus::Published {
        // A published product must stay publishable.
        check_publishable(tx, regions, id).await?;
    }
    refresh(tx, regions, &defs, id).await
}

async fn put_translation_row(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    t: &TranslationInput,
) -> Result<()> {
    let language = check_language(regions, "language", &t.language)?;
    catalog::check_translation(&language, &t.name, &t.description)?;
    catalog::check_slug(&format!("translations.{language}.slug"), &t.slug)?;
    tx.execute_cached(
        "INSERT INTO product_translations (product_id, language, name, description, slug) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (product_id, language) DO UPDATE SET name = excluded.name, description = excluded.description, slug = excluded.slug",
        &[&id, &language, &t.name, &t.description, &t.slug],
    )
    .await
    .map_err(|e| conflict(e, |_| Some(CatalogError::SlugTaken { language: language.clone(), slug: t.slug.clone() })))?;
    Ok(())
}

/// Sets a product's content in one language.
pub async fn put_product_translation(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    t: &TranslationInput,
) -> Result<()> {
    lock_product(tx, id).await?;
    put_translation_row(tx, regions, id, t).await?;
    touch(tx, id).await
}

/// Removes a product's content in one language; refused if a published product would be left
/// without a name for some market's shoppers.
pub async fn delete_product_translation(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    language: &str,
) -> Result<()> {
    let status = lock_product(tx, id).await?;
    let language = check_language(regions, "language", language)?;
    let n = tx
        .execute_cached("DELETE FROM product_translations WHERE product_id = $1 AND language = $2", &[&id, &language])
        .await?;
    if n == 0 {
        return Err(WriteError::NotFound("translation"));
    }
    if status == ProductStatus::Published {
        check_publishable(tx, regions, id).await?;
    }
    touch(tx, id).await
}

async fn touch(tx: &impl GenericClient, id: Uuid) -> Result<()> {
    tx.execute_cached("UPDATE products SET updated_at = now() WHERE id = $1", &[&id]).await?;
    Ok(())
}

async fn insert_variant(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    defs: &BTreeMap<String, AttributeDef>,
    product: Uuid,
    v: &VariantInput,
) -> Result<Uuid> {
    catalog::check_code("sku", &v.sku)?;
    let values = attributes::check_values(defs, AttrLevel::Variant, &v.attributes)?;
    let json = json_map(&values);
    let clash = tx
        .query_opt_cached("SELECT id FROM variants WHERE product_id = $1 AND attributes = $2", &[&product, &json])
        .await?;
    if clash.is_some() {
        return Err(CatalogError::DuplicateVariant { combination: json.to_string() }.into());
    }
    let weight = check_weight("weight_grams", v.weight_grams.unwrap_or(DEFAULT_WEIGHT_GRAMS))?;
    let id = Uuid::new_v4();
    tx.execute_cached(
        "INSERT INTO variants (id, product_id, sku, attributes, position, weight_grams) \
         SELECT $1, $2, $3, $4, COALESCE(max(position) + 1, 0), $5 FROM variants WHERE product_id = $2",
        &[&id, &product, &v.sku, &json, &weight],
    )
    .await
    .map_err(|e| conflict(e, |_| Some(CatalogError::SkuTaken { sku: v.sku.clone() })))?;
    for p in &v.prices {
        upsert_price(tx, regions, id, p).await?;
    }
    for (i, s) in v.stock.iter().enumerate() {
        let (region, warehouse) = regions
            .warehouse(&s.warehouse)
            .ok_or_else(|| CatalogError::UnknownWarehouse { warehouse: s.warehouse.clone() })?;
        if !(0..=MAX_ON_HAND).contains(&s.on_hand) {
            return Err(CatalogError::Invalid {
                field: format!("stock[{i}].on_hand"),
                reason: format!("0 to {MAX_ON_HAND} units"),
            }
            .into());
        }
        if v.stock[..i].iter().any(|o| o.warehouse == s.warehouse) {
            return Err(CatalogError::Invalid {
                field: format!("stock[{i}].warehouse"),
                reason: format!("`{}` is listed twice", s.warehouse),
            }
            .into());
        }
        crate::commerce::inventory::set_stock(tx, &warehouse.id, &region.id, id, s.on_hand, 0, 1).await.map_err(
            |e| match e {
                crate::commerce::CommerceError::Store(e) => WriteError::Store(e),
                other => CatalogError::Invalid { field: format!("stock[{i}]"), reason: other.to_string() }.into(),
            },
        )?;
    }
    Ok(id)
}

/// Adds a variant (with prices) to a product.
pub async fn add_variant(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    product: Uuid,
    v: &VariantInput,
) -> Result<Uuid> {
    lock_product(tx, product).await?;
    let defs = attribute_defs(tx).await?;
    let id = insert_variant(tx, regions, &defs, product, v).await?;
    refresh(tx, regions, &defs, product).await?;
    Ok(id)
}

async fn variant_product(tx: &impl GenericClient, variant: Uuid) -> Result<Uuid> {
    let row = tx
        .query_opt_cached("SELECT product_id FROM variants WHERE id = $1", &[&variant])
        .await?
        .ok_or(WriteError::NotFound("variant"))?;
    let product: Uuid = row.get(0);
    lock_product(tx, product).await?;
    Ok(product)
}

/// Changes a variant's attribute values and weight. Returns the product id.
pub async fn update_variant(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    variant: Uuid,
    patch: &VariantPatch,
) -> Result<Uuid> {
    let weight = patch.weight_grams.map(|g| check_weight("weight_grams", g)).transpose()?;
    let product = variant_product(tx, variant).await?;
    if let Some(grams) = weight {
        tx.execute_cached("UPDATE variants SET weight_grams = $2 WHERE id = $1", &[&variant, &grams]).await?;
    }
    let Some(values) = &patch.attributes else {
        return Ok(product);
    };
    let defs = attribute_defs(tx).await?;
    let values = attributes::check_values(&defs, AttrLevel::Variant, values)?;
    let json = json_map(&values);
    let clash = tx
        .query_opt_cached(
            "SELECT id FROM variants WHERE product_id = $1 AND attributes = $2 AND id <> $3",
            &[&product, &json, &variant],
        )
        .await?;
    if clash.is_some() {
        return Err(CatalogError::DuplicateVariant { combination: json.to_string() }.into());
    }
    tx.execute_cached("UPDATE variants SET attributes = $2 WHERE id = $1", &[&variant, &json]).await?;
    refresh(tx, regions, &defs, product).await?;
    Ok(product)
}

async fn upsert_price(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    variant: Uuid,
    p: &PriceInput,
) -> Result<()> {
    let market = regions.market(&p.market).ok_or_else(|| CatalogError::UnknownMarket { market: p.market.clone() })?;
    let currency = market.currency.code();
    if let Some(given) = &p.currency
        && given != currency
    {
        return Err(CatalogError::CurrencyMismatch {
            market: market.id.to_string(),
            expected: currency.into(),
            given: given.clone(),
        }
        .into());
    }
    catalog::check_price(p.amount_minor, p.compare_at_minor)?;
    let before: Option<i64> = tx
        .query_opt_cached(
            "SELECT amount_minor FROM prices WHERE variant_id = $1 AND market = $2",
            &[&variant, &market.id.as_str()],
        )
        .await?
        .map(|r| r.get(0));
    if before != Some(p.amount_minor) {
        // The price history behind the "lowest price of the previous 30 days".
        tx.execute_cached(
            "INSERT INTO price_changes (variant_id, market, amount_minor) VALUES ($1, $2, $3)",
            &[&variant, &market.id.as_str(), &p.amount_minor],
        )
        .await?;
    }
    tx.execute_cached(
        "INSERT INTO prices (variant_id, market, currency, amount_minor, compare_at_minor) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (variant_id, market) DO UPDATE SET currency = excluded.currency, amount_minor = excluded.amount_minor, \
         compare_at_minor = excluded.compare_at_minor, updated_at = now()",
        &[&variant, &market.id.as_str(), &currency, &p.amount_minor, &p.compare_at_minor],
    )
    .await?;
    Ok(())
}

/// Sets a variant's price in a market (in the market's currency). Returns the product id.
pub async fn put_price(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    variant: Uuid,
    p: &PriceInput,
) -> Result<Uuid> {
    let product = variant_product(tx, variant).await?;
    upsert_price(tx, regions, variant, p).await?;
    let defs = attribute_defs(tx).await?;
    refresh(tx, regions, &defs, product).await?;
    Ok(product)
}

/// Removes a variant's price in a market: the variant is no longer sold there. Returns the
/// product id.
pub async fn delete_price(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    variant: Uuid,
    market: &str,
) -> Result<Uuid> {
    let product = variant_product(tx, variant).await?;
    let n = tx.execute_cached("DELETE FROM prices WHERE variant_id = $1 AND market = $2", &[&variant, &market]).await?;
    if n == 0 {
        return Err(WriteError::NotFound("price"));
    }
    let defs = attribute_defs(tx).await?;
    refresh(tx, regions, &defs, product).await?;
    Ok(product)
}

async fn check_publishable(tx: &impl GenericClient, regions: &regions::Catalog, id: Uuid) -> Result<()> {
    let markets: Vec<String> = tx
        .query_cached("SELECT market FROM product_markets WHERE product_id = $1 ORDER BY market", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let languages: BTreeSet<String> = tx
        .query_cached("SELECT language FROM product_translations WHERE product_id = $1", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let variants: i64 =
        tx.query_one_cached("SELECT count(*) FROM variants WHERE product_id = $1", &[&id]).await?.get(0);
    catalog::check_publishable(regions, &markets, &languages, variants as usize)?;
    Ok(())
}

/// Publishes (shows to shoppers) or unpublishes (back to draft) a product. Publishing an
/// already published product keeps its original publication time.
pub async fn set_status(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    id: Uuid,
    status: ProductStatus,
) -> Result<()> {
    let current = lock_product(tx, id).await?;
    if current == status {
        return Ok(());
    }
    match status {
        ProductStatus::Published => {
            check_publishable(tx, regions, id).await?;
            tx.execute_cached(
                "UPDATE products SET status = 'published', published_at = now(), updated_at = now() WHERE id = $1",
                &[&id],
            )
            .await?;
        }
        ProductStatus::Draft => {
            tx.execute_cached(
                "UPDATE products SET status = 'draft', published_at = NULL, updated_at = now() WHERE id = $1",
                &[&id],
            )
            .await?;
        }
    }
    let defs = attribute_defs(tx).await?;
    refresh(tx, regions, &defs, id).await
}

/// Recomputes the product's facets and rebuilds its listing rows.
async fn refresh(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    defs: &BTreeMap<String, AttributeDef>,
    id: Uuid,
) -> Result<()> {
    let product: Value = tx.query_one_cached("SELECT attributes FROM products WHERE id = $1", &[&id]).await?.get(0);
    let variants: Vec<Value> = tx
        .query_cached("SELECT attributes FROM variants WHERE product_id = $1", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let product = values_from_json(defs, &product);
    let variants: Vec<_> = variants.iter().map(|v| values_from_json(defs, v)).collect();
    let facets = attributes::facets(defs, &product, &variants);
    let facets = Value::Object(
        facets.into_iter().map(|(k, vs)| (k, Value::Array(vs.iter().map(value_to_json).collect()))).collect(),
    );
    tx.execute_cached("UPDATE products SET facets = $2, updated_at = now() WHERE id = $1", &[&id, &facets]).await?;
    super::listing::rebuild_product(tx, regions, id).await?;
    Ok(())
}

/// A dated sale price as a merchandiser sets it.
#[derive(Clone, Debug)]
pub struct SaleInput {
    pub market: String,
    pub amount_minor: i64,
    pub starts_at: OffsetDateTime,
    pub ends_at: Option<OffsetDateTime>,
}

/// Schedules a sale price for a variant in a market. Returns the sale's id and the product id.
pub async fn add_sale(
    tx: &impl GenericClient,
    regions: &regions::Catalog,
    variant: Uuid,
    sale: &SaleInput,
) -> Result<(Uuid, Uuid)> {
    let product = variant_product(tx, variant).await?;
    let market =
        regions.market(&sale.market).ok_or_else(|| CatalogError::UnknownMarket { market: sale.market.clone() })?;
    catalog::check_price(sale.amount_minor, None)?;
    if sale.ends_at.is_some_and(|e| e <= sale.starts_at) {
        return Err(CatalogError::Invalid { field: "ends_at".into(), reason: "must be after starts_at".into() }.into());
    }
    let id = Uuid::new_v4();
    tx.execute_cached(
        "INSERT INTO sale_prices (id, variant_id, market, amount_minor, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&id, &variant, &market.id.as_str(), &sale.amount_minor, &sale.starts_at, &sale.ends_at],
    )
    .await?;
    touch(tx, product).await?;
    Ok((id, product))
}

/// Cancels a sale price. Returns the product id.
pub async fn delete_sale(tx: &impl GenericClient, sale: Uuid) -> Result<Uuid> {
    let row = tx
        .query_opt_cached(
            "DELETE FROM sale_prices s USING variants v WHERE s.id = $1 AND v.id = s.variant_id RETURNING v.product_id",
            &[&sale],
        )
        .await?
        .ok_or(WriteError::NotFound("sale"))?;
    let product: Uuid = row.get(0);
    touch(tx, product).await?;
    Ok(product)
}
