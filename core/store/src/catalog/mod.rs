//! Catalog persistence: the metadata snapshot (categories, attributes), shopper reads
//! (product detail, listings) and merchandiser writes, which keep the listing read model and
//! the facet values in step in the same transaction: products, variants and prices in `write`,
//! categories and attributes in `taxonomy`, the merchandiser's view of a product in
//! `admin_view`.

mod admin_view;
mod listing;
mod meta;
mod read;
mod taxonomy;
mod write;

pub use admin_view::{AdminProduct, AdminVariant, SaleRow, admin_product};
pub use listing::derived_markets;
pub use meta::{Attribute, Category, Meta, Translation as MetaTranslation};
pub use read::{
    ListingPage, ListingQuery, ListingRow, MarketView, PriceRow, ProductRecord, QuoteVariant, TranslationRow,
    VariantLabelRow, VariantRow, listing, product_for_market, product_id_by_slug, quote_variants, variant_labels,
};
pub use taxonomy::{AttributeInput, CategoryInput, create_attribute, create_category, put_category_translation};
pub use write::*;

use core_domain::attributes::AttrValue;

/// An attribute value as stored in JSONB.
pub fn value_to_json(value: &AttrValue) -> serde_json::Value {
    match value {
        AttrValue::Text(s) | AttrValue::Enum(s) => serde_json::Value::String(s.clone()),
        // Whole numbers are stored as JSON integers (180, not 180.0).
        AttrValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => serde_json::Value::from(*n as i64),
        AttrValue::Number(n) => {
            serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, serde_json::Value::Number)
        }
        AttrValue::Boolean(b) => serde_json::Value::Bool(*b),
    }
}
