//! The merchandiser's view of a product: every translation, market, variant, price and
//! scheduled sale, drafts included.

use core_domain::catalog::ProductStatus;
use deadpool_postgres::GenericClient;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::read::{PriceRow, TranslationRow};
use super::write::Result;
use crate::Prepared;

/// A product as the merchandiser sees it: every translation, market and price.
#[derive(Clone, Debug)]
pub struct AdminProduct {
    pub id: Uuid,
    pub code: String,
    pub category_code: String,
    pub tax_category: String,
    pub attributes: Value,
    pub status: ProductStatus,
    pub published_at: Option<OffsetDateTime>,
    pub markets: Vec<String>,
    pub translations: Vec<TranslationRow>,
    pub variants: Vec<AdminVariant>,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct AdminVariant {
    pub id: Uuid,
    pub sku: String,
    pub attributes: Value,
    pub position: i32,
    pub weight_grams: i64,
    /// (market, price)
    pub prices: Vec<(String, PriceRow)>,
    /// Scheduled and running sale prices (ended ones are history).
    pub sales: Vec<SaleRow>,
}

#[derive(Clone, Debug)]
pub struct SaleRow {
    pub id: Uuid,
    pub market: String,
    pub amount_minor: i64,
    pub starts_at: OffsetDateTime,
    pub ends_at: Option<OffsetDateTime>,
}

/// The merchandiser's view of a product (drafts included).
pub async fn admin_product(client: &impl GenericClient, id: Uuid) -> Result<Option<AdminProduct>> {
    let Some(p) = client
        .query_opt_cached(
            "SELECT p.id, p.code, c.code, p.tax_category, p.attributes, p.status, p.published_at, p.updated_at \
             FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let markets = client
        .query_cached("SELECT market FROM product_markets WHERE product_id = $1 ORDER BY market", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let translations = client
        .query_cached(
            "SELECT language, name, description, slug FROM product_translations WHERE product_id = $1 ORDER BY language",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| TranslationRow { language: r.get(0), name: r.get(1), description: r.get(2), slug: r.get(3) })
        .collect();
    let mut variants: Vec<AdminVariant> = client
        .query_cached(
            "SELECT id, sku, attributes, position, weight_grams FROM variants WHERE product_id = $1 \
             ORDER BY position, sku",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| AdminVariant {
            id: r.get(0),
            sku: r.get(1),
            attributes: r.get(2),
            position: r.get(3),
            weight_grams: r.get(4),
            prices: Vec::new(),
            sales: Vec::new(),
        })
        .collect();
    let prices = client
        .query_cached(
            "SELECT pr.variant_id, pr.market, pr.currency, pr.amount_minor, pr.compare_at_minor \
             FROM prices pr JOIN variants v ON v.id = pr.variant_id WHERE v.product_id = $1 ORDER BY pr.market",
            &[&id],
        )
        .await?;
    for r in prices {
        let variant: Uuid = r.get(0);
        if let Some(v) = variants.iter_mut().find(|v| v.id == variant) {
            v.prices
                .push((r.get(1), PriceRow { currency: r.get(2), amount_minor: r.get(3), compare_at_minor: r.get(4) }));
        }
    }
    let sales = client
        .query_cached(
            "SELECT s.variant_id, s.id, s.market, s.amount_minor, s.starts_at, s.ends_at FROM sale_prices s \
             JOIN variants v ON v.id = s.variant_id \
             WHERE v.product_id = $1 AND (s.ends_at IS NULL OR s.ends_at > now()) ORDER BY s.starts_at, s.id",
            &[&id],
        )
        .await?;
    for r in sales {
        let variant: Uuid = r.get(0);
        if let Some(v) = variants.iter_mut().find(|v| v.id == variant) {
            v.sales.push(SaleRow {
                id: r.get(1),
                market: r.get(2),
                amount_minor: r.get(3),
                starts_at: r.get(4),
                ends_at: r.get(5),
            });
        }
    }
    let status: String = p.get(5);
    Ok(Some(AdminProduct {
        id: p.get(0),
        code: p.get(1),
        category_code: p.get(2),
        tax_category: p.get(3),
        attributes: p.get(4),
        status: ProductStatus::parse(&status).unwrap_or(ProductStatus::Draft),
        published_at: p.get(6),
        markets,
        translations,
        variants,
        updated_at: p.get(7),
    }))
}
