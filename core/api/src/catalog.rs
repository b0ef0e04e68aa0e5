//! The shopper catalog API, scoped by market and language in the URL so that every response is
//! cacheable by its URL: markets, category tree, listings, product detail.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use core_domain::cache_tags::{self, Tag};
use core_domain::listing::{self, After, Filters, ListingKey, Sort};
use core_domain::locale;
use core_domain::promotions::Promotion;
use core_store::catalog::{self as store, Category, Meta, ProductRecord, TranslationRow};
use regions::LanguageTag;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::answers::money::{MoneyDto, in_currency};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{AppState, Scope, truncate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/markets", get(markets))
        .route("/v1/{market}/{language}/categories", get(categories))
        .route("/v1/{market}/{language}/products", get(products))
        .route("/v1/{market}/{language}/products/{id}", get(product))
        .route("/v1/{market}/{language}/products/{id}/availability", get(availability))
        .route("/v1/{market}/{language}/products/by-slug/{slug}", get(product_by_slug))
}

/// Shopper responses may be cached by the edge and browsers; they are display-only (checkout
/// reprices from the database). Browsers keep them 30 s; the edges (shared caches, `s-maxage`)
/// ten minutes, because the catalog change feed purges them within seconds of a change.
const CACHE_CONTROL: &str = "public, max-age=30, s-maxage=600, stale-while-revalidate=30, stale-if-error=600";

/// A cacheable answer: its cache lifetimes, its language, and the cache tags of what it shows
/// ([`cache_tags`]), by which the edges purge it when the catalog changes.
fn cached<T: Serialize>(language: Option<&LanguageTag>, tags: &[Tag], body: T) -> Response {
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Ok(v) = HeaderValue::from_str(&cache_tags::header_value(tags)) {
        headers.insert(cache_tags::HEADER, v);
    }
    if let Some(l) = language
        && let Ok(v) = HeaderValue::from_str(l.as_str())
    {
        headers.insert(header::CONTENT_LANGUAGE, v);
    }
    response
}

type ScopePath = Path<(String, String)>;

#[derive(Serialize, ToSchema)]
pub struct MarketDto {
    /// Market id used in URLs (`fr`).
    id: String,
    name: String,
    /// ISO 3166-1 alpha-2.
    country: String,
    /// ISO 4217 code; every price in this market is in it.
    currency: &'static str,
    /// Decimal digits of the currency's minor unit (JPY 0, EUR 2): amounts are integers in
    /// minor units.
    currency_exponent: u8,
    /// Region whose core owns this market's shoppers.
    region: String,
    default_language: String,
    languages: Vec<String>,
    /// Prices are shown and charged tax-inclusive (VAT/GST) or with tax on top (sales tax).
    prices_include_tax: bool,
    /// `vat` or `sales_tax`.
    tax_regime: &'static str,
    /// Destinations of a sales-tax market (state or province codes and names), for address
    /// forms; empty in VAT markets.
    subdivisions: Vec<SubdivisionDto>,
    /// Days a shopper may withdraw from a purchase.
    return_window_days: u16,
    /// Reduced prices show the lowest price of the previous 30 days.
    omnibus: bool,
    /// Region where shoppers' personal data lives.
    data_region: String,
}

#[derive(Serialize, ToSchema)]
pub struct SubdivisionDto {
    code: String,
    name: String,
}

#[utoipa::path(get, path = "/v1/markets", tag = "catalog", responses((status = 200, body = Vec<MarketDto>)))]
/// Every market, with its currency and languages.
pub async fn markets(State(state): State<AppState>) -> Response {
    let markets: Vec<_> = state
        .regions
        .markets()
        .map(|m| MarketDto {
            id: m.id.to_string(),
            name: m.name.clone(),
            country: m.country.clone(),
            currency: m.currency.code(),
            currency_exponent: m.currency.exponent(),
            region: m.region.clone(),
            default_language: m.default_language.to_string(),
            languages: m.languages.iter().map(ToString::to_string).collect(),
            prices_include_tax: m.pricing.prices_include_tax,
            tax_regime: match &m.tax.regime {
                regions::TaxRegime::Vat { .. } => "vat",
                regions::TaxRegime::SalesTax { .. } => "sales_tax",
            },
            subdivisions: match &m.tax.regime {
                regions::TaxRegime::Vat { .. } => Vec::new(),
                regions::TaxRegime::SalesTax { subdivisions } => subdivisions
                    .iter()
                    .map(|(code, s)| SubdivisionDto { code: code.clone(), name: s.name.clone() })
                    .collect(),
            },
            return_window_days: m.rules.return_window_days,
            omnibus: m.rules.omnibus,
            data_region: m.rules.data_region.clone(),
        })
        .collect();
    cached(None, &[Tag::Markets], markets)
}

#[derive(Serialize, ToSchema)]
pub struct CategoryNode {
    id: Uuid,
    code: String,
    name: String,
    slug: String,
    #[schema(no_recursion)]
    children: Vec<CategoryNode>,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryTree {
    market: String,
    language: String,
    categories: Vec<CategoryNode>,
}

fn node(meta: &Meta, c: &Category, chain: &[LanguageTag], depth: usize) -> CategoryNode {
    let (name, slug) =
        c.localized(chain).map_or((c.code.clone(), c.code.clone()), |t| (t.name.clone(), t.slug.clone()));
    let children = if depth < 16 {
        meta.children(Some(c.id)).map(|k| node(meta, k, chain, depth + 1)).collect()
    } else {
        Vec::new()
    };
    CategoryNode { id: c.id, code: c.code.clone(), name, slug, children }
}

#[utoipa::path(get, path = "/v1/{market}/{language}/categories", tag = "catalog",
    params(("market" = String, Path, description = "market id, e.g. `fr`"), ("language" = String, Path, description = "language offered by the market, e.g. `fr-CA`")),
    responses((status = 200, body = CategoryTree), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// The category tree, names in the shopper's language (with fallback).
pub async fn categories(
    State(state): State<AppState>,
    path: Result<ScopePath, axum::extract::rejection::PathRejection>,
) -> ApiResult<Response> {
    let Path((market, language)) = path?;
    let scope = state.scope(&market, &language)?;
    let meta = state.meta();
    let categories = meta.children(None).map(|c| node(&meta, c, scope.chain, 0)).collect();
    Ok(cached(
        Some(&scope.language),
        &cache_tags::category_tree(scope.market.id.as_str()),
        CategoryTree { market: scope.market.id.to_string(), language: scope.language.to_string(), categories },
    ))
}

/// A variant's price as the market shows it now.
struct PriceNow {
    /// Tax-inclusive or not as the market shows prices (`prices_include_tax` of the product).
    amount: MoneyDto,
    compare_at: Option<MoneyDto>,
    lowest_30d: Option<MoneyDto>,
    derived: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TaxInfo {
    /// The tax included in prices (`TVA`, `MwSt`, `GST`…).
    name: String,
    /// Its rate for this product, as a decimal percentage string (`"20"`, `"5.5"`).
    rate_percent: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProductCard {
    id: Uuid,
    name: String,
    slug: String,
    /// Lowest variant price in the market.
    from_price: MoneyDto,
}

#[derive(Serialize, ToSchema)]
pub struct ProductPage {
    market: String,
    language: String,
    category: Uuid,
    sort: &'static str,
    items: Vec<ProductCard>,
    /// Pass as `cursor` to get the next page; absent on the last page. With attribute
    /// filters a page may hold fewer items than `limit`, even none, and still have a next
    /// page: each page examines a bounded stretch of the listing, so that its cost does not
    /// depend on how selective the filter is. Follow `next_cursor` until it is absent.
    next_cursor: Option<String>,
}

/// Query parameters of the listing (attribute filters are `attr.<code>=v1,v2`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListingParams {
    /// The category, by id, code (`shoes`) or slug in the shopper's language (`chaussures`);
    /// the listing includes its sub-categories.
    category: String,
    /// `newest` (default), `price_asc` or `price_desc`.
    sort: Option<String>,
    /// Page size, 1 to 100 (default 24).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/{market}/{language}/products", tag = "catalog",
    params(("market" = String, Path), ("language" = String, Path), ListingParams,
        ("attr.color" = Option<String>, Query, description = "attribute filter: comma-separated values of a filterable attribute (any `attr.<code>`); values OR, attributes AND")),
    responses((status = 200, body = ProductPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// A page of the products of a category (and its sub-categories) sold in the market.
pub async fn products(
    State(state): State<AppState>,
    path: Result<ScopePath, axum::extract::rejection::PathRejection>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Path((market, language)) = path?;
    let Query(pairs) = query?;
    let scope = state.scope(&market, &language)?;
    let meta = state.meta();

    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    let mut attr_pairs = Vec::new();
    for (k, v) in &pairs {
        if let Some(code) = k.strip_prefix("attr.") {
            attr_pairs.push((code, v.as_str()));
            continue;
        }
        if !matches!(k.as_str(), "category" | "sort" | "limit" | "cursor") {
            return Err(ApiError::bad_request("invalid_query", format!("unknown parameter `{}`", truncate(k))));
        }
        if params.insert(k, v).is_some() {
            return Err(ApiError::bad_request("invalid_query", format!("parameter `{k}` given twice")));
        }
    }
    let category =
        params.get("category").ok_or_else(|| ApiError::bad_request("invalid_query", "`category` is required"))?;
    // By id, code, or slug in the shopper's language.
    let category = Uuid::parse_str(category)
        .ok()
        .and_then(|id| meta.category(id))
        .or_else(|| meta.category_by_code(category))
        .or_else(|| meta.category_by_slug(category, scope.chain))
        .map(|c| c.id)
        .ok_or_else(|| ApiError::not_found("category_not_found", format!("no category `{}`", truncate(category))))?;
    let sort = match params.get("sort") {
        None => Sort::Newest,
        Some(s) => Sort::parse(s).ok_or(listing::ListingError::InvalidSort)?,
    };
    let limit = listing::page_size(params.get("limit").copied())?;
    let filters = Filters::parse(meta.attribute_defs(), attr_pairs)?;
    let key = ListingKey { market: scope.market.id.as_str(), category, sort, filters: &filters };
    let after = params.get("cursor").map(|c| listing::decode_cursor(&key, c)).transpose()?;

    let chain: Vec<String> = scope.chain.iter().map(ToString::to_string).collect();
    let page = core_app::catalog::listing(
        &state,
        &store::ListingQuery {
            market: key.market,
            category,
            sort,
            filters: &filters,
            after,
            limit,
            budget: (limit * listing::SCAN_BUDGET_PER_ITEM).clamp(listing::MIN_SCAN_BUDGET, listing::MAX_SCAN_BUDGET),
            languages: &chain,
        },
    )
    .await?;
    let next_cursor = page.next_after.map(|last| {
        let after = match sort {
            Sort::Newest => After::Published((last.published_at.unix_timestamp_nanos() / 1000) as i64, last.product_id),
            Sort::PriceAsc | Sort::PriceDesc => After::Price(last.from_price_minor, last.product_id),
        };
        listing::encode_cursor(&key, after)
    });
    let currency = scope.market.currency.code().to_string();
    let items = page
        .rows
        .iter()
        .map(|r| {
            let mine = r.translations.iter().map(|t| (t.language.as_str(), t));
            let (name, slug) = locale::pick(scope.chain, mine).map_or_else(
                || (r.product_id.to_string(), r.product_id.to_string()),
                |(_, t)| (t.name.clone(), t.slug.clone()),
            );
            ProductCard { id: r.product_id, name, slug, from_price: MoneyDto::new(r.from_price_minor, &currency) }
        })
        .collect();
    let listed: Vec<Uuid> = page.rows.iter().map(|r| r.product_id).collect();
    Ok(cached(
        Some(&scope.language),
        &cache_tags::listing_page(category, &listed, scope.market.id.as_str()),
        ProductPage {
            market: scope.market.id.to_string(),
            language: scope.language.to_string(),
            category,
            sort: sort.as_str(),
            items,
            next_cursor,
        },
    ))
}

#[derive(Serialize, ToSchema)]
pub struct AttributeValueDto {
    code: String,
    /// The attribute's name in the shopper's language.
    label: String,
    /// `text`, `enum`, `number` or `boolean`.
    kind: &'static str,
    /// The stored value (enum option key, number, boolean or text).
    value: Value,
    /// The value as shown to the shopper (translated option label, number with unit).
    display: String,
}

#[derive(Serialize, ToSchema)]
pub struct VariantDto {
    id: Uuid,
    sku: String,
    attributes: Vec<AttributeValueDto>,
    /// The price charged now in the market, tax-inclusive or not as the market shows prices
    /// (`prices_include_tax`); absent when the variant is not sold there.
    price: Option<MoneyDto>,
    /// The "was" price, when the item is reduced (a sale, a catalog promotion, or a
    /// merchandiser's compare-at price).
    compare_at_price: Option<MoneyDto>,
    /// Where the market requires it (EU Omnibus directive), the lowest price of the 30 days
    /// before the reduction, shown next to a reduced price.
    lowest_price_30d: Option<MoneyDto>,
    /// The price comes from the market's derived price list (converted from another market's).
    price_derived: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryRef {
    id: Uuid,
    code: String,
    name: String,
    slug: String,
}

#[derive(Serialize, ToSchema)]
pub struct Alternate {
    /// Another language the market offers (for `hreflang` links).
    language: String,
    slug: String,
}

#[derive(Serialize, ToSchema)]
pub struct PriceRange {
    min: MoneyDto,
    max: MoneyDto,
}

#[derive(Serialize, ToSchema)]
pub struct ProductDetail {
    id: Uuid,
    code: String,
    market: String,
    /// The language asked for.
    language: String,
    /// The language the name actually came from (differs when it fell back).
    content_language: String,
    currency: String,
    name: String,
    description: String,
    slug: String,
    category: CategoryRef,
    /// Root first, ending with the product's category.
    breadcrumbs: Vec<CategoryRef>,
    tax_category: String,
    attributes: Vec<AttributeValueDto>,
    variants: Vec<VariantDto>,
    price_range: Option<PriceRange>,
    /// Prices include tax (VAT/GST markets) or exclude it (sales-tax markets, where tax depends
    /// on the destination and comes at checkout).
    prices_include_tax: bool,
    /// The tax included in the prices, in tax-inclusive markets.
    included_tax: Option<TaxInfo>,
    alternates: Vec<Alternate>,
    /// RFC 3339.
    published_at: String,
}

#[utoipa::path(get, path = "/v1/{market}/{language}/products/{id}", tag = "catalog",
    params(("market" = String, Path), ("language" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ProductDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "unknown, draft, or not sold in this market")))]
/// A product as sold in the market, in the shopper's language.
pub async fn product(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Response> {
    let Path((market, language, id)) = path?;
    let scope = state.scope(&market, &language)?;
    let id = Uuid::parse_str(&id).map_err(|_| not_found_product(&id))?;
    detail(&state, &scope, id).await
}

/// What a market can sell of a product now, per variant. Not cached: stock moves with every
/// order; the product page (cached) asks for it beside.
#[derive(Serialize, ToSchema)]
pub struct AvailabilityDto {
    product_id: Uuid,
    market: String,
    variants: Vec<VariantAvailabilityDto>,
}

#[derive(Serialize, ToSchema)]
pub struct VariantAvailabilityDto {
    variant_id: Uuid,
    /// `in_stock`, `low_stock` (a few units left) or `out_of_stock`, from the stock of the
    /// warehouses that serve the market.
    availability: &'static str,
    /// When low: how many units are left, to say "only 3 left".
    units_left: Option<i64>,
}

/// At most this many units left is low stock.
const LOW_STOCK: i64 = 5;

#[utoipa::path(get, path = "/v1/{market}/{language}/products/{id}/availability", tag = "catalog",
    params(("market" = String, Path), ("language" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = AvailabilityDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "unknown, draft, or not sold in this market")))]
/// What the market can sell of each variant of a product now (in stock, low, out of stock).
pub async fn availability(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Json<AvailabilityDto>> {
    let Path((market, language, id)) = path?;
    let scope = state.scope(&market, &language)?;
    let id = Uuid::parse_str(&id).map_err(|_| not_found_product(&id))?;
    sold_here(&state, &scope, id).await?.ok_or_else(|| not_found_product(&id.to_string()))?;
    let units = core_app::stock::product_availability(&state, scope.market.id.as_str(), id).await?;
    let variants = units
        .into_iter()
        .map(|(variant_id, units)| VariantAvailabilityDto {
            variant_id,
            availability: match units {
                0 => "out_of_stock",
                n if n <= LOW_STOCK => "low_stock",
                _ => "in_stock",
            },
            units_left: (units > 0 && units <= LOW_STOCK).then_some(units),
        })
        .collect();
    Ok(Json(AvailabilityDto { product_id: id, market: scope.market.id.to_string(), variants }))
}

#[utoipa::path(get, path = "/v1/{market}/{language}/products/by-slug/{slug}", tag = "catalog",
    params(("market" = String, Path), ("language" = String, Path), ("slug" = String, Path, description = "the product's slug in this language or one of its fallbacks")),
    responses((status = 200, body = ProductDetail),
        (status = 301, description = "the slug is the product's in another language: `Location` is its slug in this one"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// A product by its localized slug. A slug of the product in another language (a link shared
/// across languages) is moved permanently to its slug in this one.
pub async fn product_by_slug(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Response> {
    let Path((market, language, slug)) = path?;
    let scope = state.scope(&market, &language)?;
    let chain: Vec<String> = scope.chain.iter().map(ToString::to_string).collect();
    if let Some(id) = core_app::catalog::product_by_slug(&state, &slug, &chain).await? {
        return detail(&state, &scope, id).await;
    }
    let every_language: Vec<String> = state.regions.languages().iter().map(ToString::to_string).collect();
    let id = core_app::catalog::product_by_slug(&state, &slug, &every_language)
        .await?
        .ok_or_else(|| not_found_product(&slug))?;
    let record = sold_here(&state, &scope, id).await?.ok_or_else(|| not_found_product(&slug))?;
    let here = pick_translation(scope.chain, &record.translations).ok_or_else(|| not_found_product(&slug))?;
    let location = format!("/v1/{}/{}/products/by-slug/{}", scope.market.id, scope.language, here.slug);
    let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    headers.insert(header::LOCATION, HeaderValue::from_str(&location).map_err(|_| not_found_product(&slug))?);
    // A new slug in this language moves the redirect.
    if let Ok(v) = HeaderValue::from_str(&cache_tags::header_value(&[Tag::Product(id)])) {
        headers.insert(cache_tags::HEADER, v);
    }
    Ok(response)
}

/// The product as the market sells it, with its content in the scope's languages, prices aside;
/// `None` when it is a draft or not sold there.
async fn sold_here(state: &AppState, scope: &Scope<'_>, id: Uuid) -> ApiResult<Option<ProductRecord>> {
    let assortment = core_domain::pricing::assortment_sources(scope.market);
    let view = store::MarketView {
        market: scope.market.id.as_str(),
        assortment: &assortment,
        price_source: None,
        price_history: false,
    };
    Ok(core_app::catalog::product_for_market(state, view, id, &scope.content_languages).await?)
}

fn not_found_product(what: &str) -> ApiError {
    ApiError::not_found("product_not_found", format!("no product `{}` in this market", truncate(what)))
}

async fn detail(state: &AppState, scope: &Scope<'_>, id: Uuid) -> ApiResult<Response> {
    let assortment = core_domain::pricing::assortment_sources(scope.market);
    let source = core_domain::pricing::price_source(&state.regions, scope.market);
    let view = store::MarketView {
        market: scope.market.id.as_str(),
        assortment: &assortment,
        price_source: source.map(|m| m.id.as_str()),
        price_history: scope.market.rules.omnibus,
    };
    let record = core_app::catalog::product_for_market(state, view, id, &scope.content_languages)
        .await?
        .ok_or_else(|| not_found_product(&id.to_string()))?;
    let meta = state.meta();
    let now = now_micros();
    let promotions = state.live_promotions(scope.market.id.as_str(), now).await?;
    let breadcrumbs: Vec<Uuid> = meta.breadcrumbs(record.category_id).iter().map(|c| c.id).collect();
    let tags = cache_tags::product_page(id, &breadcrumbs, scope.market.id.as_str());
    Ok(cached(Some(&scope.language), &tags, render_detail(&meta, scope, source, &promotions, record, now)))
}

fn pick_translation<'a>(chain: &[LanguageTag], translations: &'a [TranslationRow]) -> Option<&'a TranslationRow> {
    locale::pick(chain, translations.iter().map(|t| (t.language.as_str(), t))).map(|(_, t)| t)
}

fn category_ref(c: &Category, chain: &[LanguageTag]) -> CategoryRef {
    let (name, slug) =
        c.localized(chain).map_or((c.code.clone(), c.code.clone()), |t| (t.name.clone(), t.slug.clone()));
    CategoryRef { id: c.id, code: c.code.clone(), name, slug }
}

fn attribute_values(meta: &Meta, chain: &[LanguageTag], values: &Value) -> Vec<AttributeValueDto> {
    let Some(map) = values.as_object() else { return Vec::new() };
    let mut out: Vec<(i32, AttributeValueDto)> = map
        .iter()
        .filter_map(|(code, value)| {
            let attr = meta.attribute(code)?;
            let display = attr.display(value, chain);
            Some((
                attr.position,
                AttributeValueDto {
                    code: code.clone(),
                    label: attr.label(chain).to_string(),
                    kind: attr.def.kind.as_str(),
                    value: value.clone(),
                    display,
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| (a.0, &a.1.code).cmp(&(b.0, &b.1.code)));
    out.into_iter().map(|(_, v)| v).collect()
}

pub use core_app::clock::now_micros;

/// A variant's price as the market shows it now: explicit or derived, lowered by a live sale,
/// with the "was" price and, where the market wants it, the lowest price of the last 30 days.
/// What prices on a product page depend on besides the variant.
struct PriceContext<'a> {
    scope: &'a Scope<'a>,
    source: Option<&'a regions::Market>,
    product: Uuid,
    tax_category: String,
    categories: Vec<Uuid>,
    promotions: Vec<&'a Promotion>,
    now: i64,
}

fn variant_price(ctx: &PriceContext<'_>, v: &store::VariantRow) -> Option<PriceNow> {
    let market = ctx.scope.market;
    let explicit = v.price.as_ref().map(|p| p.amount_minor);
    let regular = core_domain::pricing::regular_price(market, ctx.source, explicit, v.base_amount, &ctx.tax_category)?;
    let (mut amount, mut on_sale) = core_domain::pricing::current_price(regular, &v.sales, ctx.now);
    // A live catalog promotion lowers it further, exactly as the quote will.
    let (level, mode) = (market.pricing.rounding_level, market.pricing.rounding_mode);
    let mut by_promotion = false;
    if let Ok(Some((_, discount))) =
        core_domain::quote::best_catalog_discount(&ctx.promotions, ctx.product, &ctx.categories, amount, 1, level, mode)
        && discount > 0
    {
        amount -= discount;
        by_promotion = on_sale.is_none();
        on_sale = Some(regular);
    }
    let compare_at = on_sale.or_else(|| v.price.as_ref().and_then(|p| p.compare_at_minor)).filter(|c| *c > amount);
    // The EU prior price: the lowest price of the 30 days before the reduction began (a sale's
    // start, or when a compare-at price's reduced price was set). A catalog promotion reduces
    // the regular price in force before it, and so does a sale of a price with no history here
    // (derived); a compare-at price with no history states none.
    let history = &v.price_history;
    let lowest = match (market.rules.omnibus && compare_at.is_some(), by_promotion) {
        (false, _) => None,
        (true, true) => Some(regular),
        (true, false) => match core_domain::pricing::reduction_start(regular, &v.sales, v.price_set_at, ctx.now) {
            Some(start) => core_domain::pricing::prior_price(history, start)
                .or_else(|| (history.is_empty() && amount < regular).then_some(regular)),
            None => (amount < regular).then_some(regular),
        },
    };
    let money = in_currency(market.currency.code());
    Some(PriceNow {
        amount: money(amount),
        compare_at: compare_at.map(&money),
        lowest_30d: lowest.map(&money),
        derived: explicit.is_none(),
    })
}

fn render_detail(
    meta: &Meta,
    scope: &Scope<'_>,
    source: Option<&regions::Market>,
    promotions: &[Promotion],
    p: ProductRecord,
    now: i64,
) -> ProductDetail {
    let market_id = scope.market.id.as_str();
    let ctx = PriceContext {
        scope,
        source,
        product: p.id,
        tax_category: p.tax_category.clone(),
        categories: meta.breadcrumbs(p.category_id).iter().map(|c| c.id).collect(),
        promotions: promotions.iter().filter(|pr| pr.is_catalog() && pr.is_live(market_id, now)).collect(),
        now,
    };
    let chain = scope.chain;
    let main = pick_translation(chain, &p.translations);
    let description =
        locale::pick_text(chain, p.translations.iter().map(|t| (t.language.as_str(), t.description.as_str())))
            .map_or(String::new(), |(_, d)| d.to_string());
    let breadcrumbs: Vec<CategoryRef> =
        meta.breadcrumbs(p.category_id).into_iter().map(|c| category_ref(c, chain)).collect();
    let category = meta.category(p.category_id).map_or_else(
        || CategoryRef { id: p.category_id, code: String::new(), name: String::new(), slug: String::new() },
        |c| category_ref(c, chain),
    );
    let currency = scope.market.currency.code().to_string();
    let variants: Vec<VariantDto> = p
        .variants
        .iter()
        .map(|v| {
            let price = variant_price(&ctx, v);
            VariantDto {
                id: v.id,
                sku: v.sku.clone(),
                attributes: attribute_values(meta, chain, &v.attributes),
                price_derived: price.as_ref().is_some_and(|p| p.derived),
                compare_at_price: price.as_ref().and_then(|p| p.compare_at.clone()),
                lowest_price_30d: price.as_ref().and_then(|p| p.lowest_30d.clone()),
                price: price.map(|p| p.amount),
            }
        })
        .collect();
    let amounts = || variants.iter().filter_map(|v| v.price.as_ref().map(|pr| pr.amount_minor));
    let price_range = amounts()
        .min()
        .zip(amounts().max())
        .map(|(min, max)| PriceRange { min: MoneyDto::new(min, &currency), max: MoneyDto::new(max, &currency) });
    let alternates = scope
        .market
        .languages
        .iter()
        .filter(|l| **l != scope.language)
        .filter_map(|l| {
            let t = pick_translation(scope.market.fallback_chain(l)?, &p.translations)?;
            Some(Alternate { language: l.to_string(), slug: t.slug.clone() })
        })
        .collect();
    ProductDetail {
        id: p.id,
        code: p.code.clone(),
        market: scope.market.id.to_string(),
        language: scope.language.to_string(),
        content_language: main.map_or_else(|| scope.language.to_string(), |t| t.language.clone()),
        currency,
        name: main.map_or_else(|| p.code.clone(), |t| t.name.clone()),
        description,
        slug: main.map_or_else(|| p.id.to_string(), |t| t.slug.clone()),
        category,
        breadcrumbs,
        tax_category: p.tax_category.clone(),
        attributes: attribute_values(meta, chain, &p.attributes),
        variants,
        price_range,
        prices_include_tax: scope.market.pricing.prices_include_tax,
        included_tax: match &scope.market.tax.regime {
            regions::TaxRegime::Vat { name, rates } if scope.market.pricing.prices_include_tax => {
                rates.get(&p.tax_category).map(|r| TaxInfo { name: name.clone(), rate_percent: r.percent_string() })
            }
            _ => None,
        },
        alternates,
        published_at: core_app::clock::rfc3339(p.published_at),
    }
}
