//! The catalog: the merchandiser's writes (categories, attributes, products, variants,
//! translations, prices, sale prices, publishing), each one SERIALIZABLE transaction that also
//! keeps the listing read model up to date and records in the change feed what it changed and
//! the cache tags it affects ([`core_store::changes`]), and the shoppers' reads of products and
//! listings. Writes of the metadata (categories, attributes) reload this core's snapshot of it;
//! the other cores follow the change feed ([`crate::change_feed`]).

use core_domain::cache_tags::{Purge, Tag};
use core_domain::catalog::ProductStatus;
use core_store::catalog::{
    self as store, AdminProduct, AttributeInput, CategoryInput, ListingPage, ListingQuery, MarketView, PriceInput,
    ProductInput, ProductPatch, ProductRecord, SaleInput, TranslationInput, VariantInput, VariantPatch,
};
use core_store::changes::{self, NewChange};
use core_store::commerce::orders::{LineLabel, OptionLabel};
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};

// ----- the merchandiser's writes -----

/// A product with every translation, market and price, drafts included (404
/// `product_not_found`).
pub async fn product(app: &App, id: Uuid) -> AppResult<AdminProduct> {
    let client = app.store.client().await?;
    store::admin_product(&client, id).await?.ok_or_else(|| AppError::not_found("product_not_found", "no such product"))
}

/// Creates a category; answers its id.
pub async fn create_category(app: &App, input: &CategoryInput) -> AppResult<Uuid> {
    let id = app
        .write(input, |tx, regions, input| {
            Box::pin(async move {
                let id = store::create_category(tx, &regions, &input).await?;
                changes::record(tx, &NewChange::metadata("category", Purge::tags([Tag::Categories]))).await?;
                Ok::<_, store::WriteError>(id)
            })
        })
        .await?;
    app.reload_meta().await?;
    Ok(id)
}

/// Sets a category's name and slug in a language.
pub async fn put_category_translation(app: &App, code: &str, language: &str, name: &str, slug: &str) -> AppResult<()> {
    let input = [code, language, name, slug].map(str::to_string);
    app.write(&input, |tx, regions, [code, language, name, slug]| {
        Box::pin(async move {
            let id = store::put_category_translation(tx, &regions, &code, &language, &name, &slug).await?;
            // The category trees, its listings and the pages whose breadcrumbs name it.
            let purge = Purge::tags([Tag::Categories, Tag::Category(id)]);
            Ok::<_, store::WriteError>(changes::record(tx, &NewChange::metadata("category", purge)).await?)
        })
    })
    .await?;
    app.reload_meta().await
}

/// Defines a typed attribute.
pub async fn create_attribute(app: &App, input: &AttributeInput) -> AppResult<()> {
    // Labels and filters of every page may change.
    app.write(input, |tx, regions, input| {
        Box::pin(async move {
            store::create_attribute(tx, &regions, &input).await?;
            Ok::<_, store::WriteError>(changes::record(tx, &NewChange::metadata("attribute", Purge::Everything)).await?)
        })
    })
    .await?;
    app.reload_meta().await
}

/// Creates a draft product with its variants, prices and translations; answers its id.
pub async fn create_product(app: &App, input: &ProductInput) -> AppResult<Uuid> {
    app.write(input, |tx, regions, input| Box::pin(async move { store::create_product(tx, &regions, &input).await }))
        .await
}

/// Changes a product's category, tax category, attributes or markets.
pub async fn update_product(app: &App, id: Uuid, patch: &ProductPatch) -> AppResult<()> {
    app.write(patch, |tx, regions, patch| {
        Box::pin(async move {
            // It may leave its category's listings for another's: both are purged.
            let before = changes::product_purge(tx, id, true).await?;
            store::update_product(tx, &regions, id, &patch).await?;
            let purge = before.merge(changes::product_purge(tx, id, true).await?);
            Ok::<_, store::WriteError>(changes::record(tx, &NewChange::product(id, purge)).await?)
        })
    })
    .await
}

/// Sets a product's name, description and slug in a language.
pub async fn put_translation(app: &App, id: Uuid, input: &TranslationInput) -> AppResult<()> {
    app.write(input, |tx, regions, input| {
        Box::pin(async move {
            store::put_product_translation(tx, &regions, id, &input).await?;
            Ok::<_, store::WriteError>(changes::product_changed(tx, id, false).await?)
        })
    })
    .await
}

/// Removes a product's content in a language.
pub async fn delete_translation(app: &App, id: Uuid, language: &str) -> AppResult<()> {
    app.write(&language.to_string(), |tx, regions, language| {
        Box::pin(async move {
            store::delete_product_translation(tx, &regions, id, &language).await?;
            Ok::<_, store::WriteError>(changes::product_changed(tx, id, false).await?)
        })
    })
    .await
}

/// Adds a variant (a SKU) with its prices to the product `id`.
pub async fn add_variant(app: &App, id: Uuid, input: &VariantInput) -> AppResult<()> {
    // A new SKU changes the product's price range and filterable values.
    app.write(input, |tx, regions, input| {
        Box::pin(async move {
            store::add_variant(tx, &regions, id, &input).await?;
            Ok::<_, store::WriteError>(changes::product_changed(tx, id, true).await?)
        })
    })
    .await
}

/// Changes a variant's attribute values and shipping weight; answers its product.
pub async fn update_variant(app: &App, id: Uuid, patch: &VariantPatch) -> AppResult<Uuid> {
    app.write(patch, |tx, regions, patch| {
        Box::pin(async move {
            let product = store::update_variant(tx, &regions, id, &patch).await?;
            changes::product_changed(tx, product, true).await?;
            Ok::<_, store::WriteError>(product)
        })
    })
    .await
}

/// Sets a variant's price in a market, in the market's currency; answers its product.
pub async fn put_price(app: &App, variant: Uuid, input: &PriceInput) -> AppResult<Uuid> {
    app.write(input, |tx, regions, input| {
        Box::pin(async move {
            // A price may put the product on sale in a market, or move it in a price order.
            let product = store::put_price(tx, &regions, variant, &input).await?;
            changes::product_changed(tx, product, true).await?;
            Ok::<_, store::WriteError>(product)
        })
    })
    .await
}

/// Removes a variant's price in a market; answers its product.
pub async fn delete_price(app: &App, variant: Uuid, market: &str) -> AppResult<Uuid> {
    app.write(&market.to_string(), |tx, regions, market| {
        Box::pin(async move {
            let product = store::delete_price(tx, &regions, variant, &market).await?;
            changes::product_changed(tx, product, true).await?;
            Ok::<_, store::WriteError>(product)
        })
    })
    .await
}

/// Schedules a dated sale price for a variant in a market; answers its product.
pub async fn add_sale(app: &App, variant: Uuid, input: &SaleInput) -> AppResult<Uuid> {
    let (_, product) = app
        .write(input, |tx, regions, input| {
            Box::pin(async move {
                let (sale, product) = store::add_sale(tx, &regions, variant, &input).await?;
                changes::product_changed(tx, product, false).await?;
                Ok::<_, store::WriteError>((sale, product))
            })
        })
        .await?;
    Ok(product)
}

/// Cancels a sale price; answers its product.
pub async fn delete_sale(app: &App, id: Uuid) -> AppResult<Uuid> {
    app.write(&(), |tx, _, ()| {
        Box::pin(async move {
            let product = store::delete_sale(tx, id).await?;
            changes::product_changed(tx, product, false).await?;
            Ok::<_, store::WriteError>(product)
        })
    })
    .await
}

/// Publishes a product (shoppers see it in every market it is sold in) or takes it back to
/// draft.
pub async fn set_status(app: &App, id: Uuid, status: ProductStatus) -> AppResult<()> {
    app.write(&(), |tx, regions, ()| {
        Box::pin(async move {
            store::set_status(tx, &regions, id, status).await?;
            Ok::<_, store::WriteError>(changes::product_changed(tx, id, true).await?)
        })
    })
    .await
}

/// Builds the listing rows of the markets added by configuration (taking another's assortment
/// or deriving their prices), each by whichever core claims the work first.
pub async fn build_derived_listings(app: &App, worker: &str) {
    for market in store::derived_markets(&app.regions) {
        match app.store.backfill_market_listing(&app.regions, &market, worker).await {
            Ok(Some(rows)) => tracing::info!(market = %market, rows, "market listing built"),
            Ok(None) => {}
            Err(e) => tracing::warn!(market = %market, error = %e, "building the market listing failed"),
        }
    }
}

// ----- the shoppers' reads -----

/// A page of a category's listing in a market.
pub async fn listing(app: &App, query: &ListingQuery<'_>) -> AppResult<ListingPage> {
    let client = app.store.client().await?;
    Ok(store::listing(&client, query).await?)
}

/// The product whose slug is `slug` in one of `languages`, preferring earlier languages.
pub async fn product_by_slug(app: &App, slug: &str, languages: &[String]) -> AppResult<Option<Uuid>> {
    let client = app.store.client().await?;
    Ok(store::product_id_by_slug(&client, slug, languages).await?)
}

/// A published product as a market sells it, with its content in `languages`; `None` when it
/// is a draft or not sold there.
pub async fn product_for_market(
    app: &App,
    view: MarketView<'_>,
    id: Uuid,
    languages: &[String],
) -> AppResult<Option<ProductRecord>> {
    let client = app.store.client().await?;
    Ok(store::product_for_market(&client, view, id, languages).await?)
}

/// Each variant's SKU and label.
pub type LineLabels = std::collections::HashMap<Uuid, (String, LineLabel)>;

/// [`line_labels_in`] outside a transaction (carts and quotes).
pub async fn line_labels(
    app: &App,
    market: &regions::Market,
    language: &str,
    variants: &[Uuid],
) -> AppResult<LineLabels> {
    let client = app.store.client().await?;
    line_labels_in(app, &client, market, language, variants).await
}

/// What lines show of their variants (carts, quotes, orders) in a market's language: the
/// product's name along the language's chain (its code when it has none there) and the
/// variant's options in attribute order, keyed by variant.
pub async fn line_labels_in(
    app: &App,
    client: &impl core_store::Db,
    market: &regions::Market,
    language: &str,
    variants: &[Uuid],
) -> AppResult<LineLabels> {
    if variants.is_empty() {
        return Ok(Default::default());
    }
    // The cart's language (checked when the cart was made), else the market's first.
    let chain = regions::LanguageTag::parse(language)
        .ok()
        .and_then(|l| market.fallback_chain(&l))
        .or_else(|| market.fallback_chain(&market.default_language))
        .unwrap_or_default();
    let languages: Vec<String> = chain.iter().map(|l| l.to_string()).collect();
    let rows = store::variant_labels(client, variants, &languages).await?;
    let meta = app.meta();
    Ok(rows
        .into_iter()
        .map(|row| {
            let name = core_domain::locale::pick_text(
                chain,
                row.names.iter().map(|(language, name)| (language.as_str(), name.as_str())),
            )
            .map_or_else(|| row.product_code.clone(), |(_, name)| name.to_string());
            let mut options: Vec<(i32, &str, OptionLabel)> = row
                .attributes
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(code, value)| {
                    let attr = meta.attribute(code)?;
                    let label = OptionLabel { name: attr.label(chain).to_string(), value: attr.display(value, chain) };
                    Some((attr.position, code.as_str(), label))
                })
                .collect();
            options.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            (row.variant_id, (row.sku, LineLabel { name, options: options.into_iter().map(|(_, _, o)| o).collect() }))
        })
        .collect())
}
