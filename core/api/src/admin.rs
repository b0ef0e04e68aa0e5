//! The merchandiser API: categories, attributes, products, variants, translations, prices,
//! publishing. Protected by a service token; never cached. Every write is one SERIALIZABLE
//! transaction that also updates the listing read model ([`core_app::catalog`]).

use std::collections::BTreeMap;

use axum::extract::{Path, State, rejection::JsonRejection, rejection::PathRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use core_app::catalog as app;
use core_domain::attributes::{AttrKind, AttrLevel, AttributeDef, RawValue};
use core_domain::catalog::ProductStatus;
use core_store::catalog::{self as store, AdminProduct};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::answers::money::MoneyDto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/categories", post(create_category))
        .route("/admin/v1/categories/{code}/translations/{language}", put(put_category_translation))
        .route("/admin/v1/attributes", post(create_attribute))
        .route("/admin/v1/products", post(create_product))
        .route("/admin/v1/products/{id}", get(get_product).patch(update_product))
        .route("/admin/v1/products/{id}/translations/{language}", put(put_translation).delete(delete_translation))
        .route("/admin/v1/products/{id}/variants", post(add_variant))
        .route("/admin/v1/products/{id}/publish", post(publish))
        .route("/admin/v1/products/{id}/unpublish", post(unpublish))
        .route("/admin/v1/variants/{id}", axum::routing::patch(update_variant))
        .route("/admin/v1/variants/{id}/prices/{market}", put(put_price).delete(delete_price))
        .route("/admin/v1/variants/{id}/sales", post(add_sale))
        .route("/admin/v1/sales/{id}", axum::routing::delete(delete_sale))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_token))
}

/// Most changes one answer of the change feed holds.
const CHANGE_FEED_LIMIT: i64 = 1000;

#[utoipa::path(get, path = "/internal/v1/catalog-changes", tag = "internal", params(ChangesQuery),
    responses((status = 200, description = "`now_micros`, `truncated` and `changes` (id, subject, product_id, `tags`: the cache tags it makes obsolete, null for everything, changed_at_micros), newest first"),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_query")))]
/// `GET /internal/v1/catalog-changes?since=<unix microseconds>`: the change feed the edges
/// follow, newest first (at most [`CHANGE_FEED_LIMIT`]), with the database's clock
/// (`now_micros`) to ask from next time. `truncated` says the answer is full, so older changes
/// since `since` are missing from it (an edge then purges everything, unless it saw those).
pub async fn catalog_changes(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let axum::extract::Query(query) =
        query.map_err(|_| ApiError::bad_request("invalid_query", "`since` must be unix microseconds"))?;
    let since = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(query.since) * 1000)
        .map_err(|_| ApiError::bad_request("invalid_query", "`since` is out of range"))?;
    let (changes, now) = core_app::change_feed::since(&state, since, CHANGE_FEED_LIMIT).await?;
    let micros = |t: time::OffsetDateTime| (t.unix_timestamp_nanos() / 1000) as i64;
    let body = serde_json::json!({
        "now_micros": micros(now),
        "truncated": changes.len() as i64 >= CHANGE_FEED_LIMIT,
        "changes": changes.iter().map(|c| serde_json::json!({
            "id": c.id, "subject": c.subject, "product_id": c.product_id, "tags": c.tags,
            "changed_at_micros": micros(c.changed_at)
        })).collect::<Vec<_>>(),
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ChangesQuery {
    /// Changes from this time on, unix microseconds (the `now_micros` of the previous answer).
    since: i64,
}

type JsonBody<T> = Result<Json<T>, JsonRejection>;
type PathOf<T> = Result<Path<T>, PathRejection>;

fn uuid(s: &str, code: &'static str) -> ApiResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| ApiError::not_found(code, format!("`{}` is not an id", crate::state::truncate(s))))
}

async fn product_view(state: &AppState, id: Uuid) -> ApiResult<AdminProductDto> {
    Ok(AdminProductDto::new(app::product(state, id).await?, &state.regions))
}

fn raw_values(field: &str, values: &BTreeMap<String, Value>) -> ApiResult<BTreeMap<String, RawValue>> {
    values
        .iter()
        .map(|(k, v)| {
            let raw = match v {
                Value::String(s) => RawValue::String(s.clone()),
                Value::Bool(b) => RawValue::Bool(*b),
                Value::Number(n) => RawValue::Number(n.as_f64().unwrap_or(f64::NAN)),
                _ => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_attribute_value",
                        format!("{field}.{k}: expected a string, number or boolean"),
                    ));
                }
            };
            Ok((k.clone(), raw))
        })
        .collect()
}

// ----- categories and attributes -----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryTranslationIn {
    name: String,
    slug: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    /// Stable merchandiser key.
    code: String,
    /// Parent category code; absent for a top-level category.
    parent: Option<String>,
    #[serde(default)]
    position: i32,
    /// Name and slug per language.
    translations: BTreeMap<String, CategoryTranslationIn>,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    id: Uuid,
}

#[utoipa::path(post, path = "/admin/v1/categories", tag = "admin", request_body = CategoryIn, security(("service_token" = [])),
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Creates a category.
pub async fn create_category(State(state): State<AppState>, body: JsonBody<CategoryIn>) -> ApiResult<Response> {
    let Json(body) = body?;
    let input = store::CategoryInput {
        code: body.code,
        parent: body.parent,
        position: body.position,
        translations: body.translations.into_iter().map(|(l, t)| (l, t.name, t.slug)).collect(),
    };
    let id = app::create_category(&state, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

#[utoipa::path(put, path = "/admin/v1/categories/{code}/translations/{language}", tag = "admin", request_body = CategoryTranslationIn,
    security(("service_token" = [])), responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Sets a category's name and slug in a language.
pub async fn put_category_translation(
    State(state): State<AppState>,
    path: PathOf<(String, String)>,
    body: JsonBody<CategoryTranslationIn>,
) -> ApiResult<StatusCode> {
    let Path((code, language)) = path?;
    let Json(body) = body?;
    app::put_category_translation(&state, &code, &language, &body.name, &body.slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionIn {
    /// Stable lower-case key (`navy`).
    value: String,
    /// Label per language.
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeIn {
    code: String,
    /// `text`, `enum`, `number` or `boolean`.
    kind: String,
    /// `product` or `variant`.
    level: String,
    #[serde(default)]
    filterable: bool,
    unit: Option<String>,
    #[serde(default)]
    position: i32,
    /// Label per language.
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// Options of an enum attribute, in display order.
    #[serde(default)]
    options: Vec<OptionIn>,
}

#[utoipa::path(post, path = "/admin/v1/attributes", tag = "admin", request_body = AttributeIn, security(("service_token" = [])),
    responses((status = 201), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Defines a typed attribute.
pub async fn create_attribute(State(state): State<AppState>, body: JsonBody<AttributeIn>) -> ApiResult<Response> {
    let Json(body) = body?;
    let invalid = |field: &str, reason: &str| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", format!("`{field}`: {reason}"))
    };
    let kind = AttrKind::parse(&body.kind).ok_or_else(|| invalid("kind", "one of text, enum, number, boolean"))?;
    let level = AttrLevel::parse(&body.level).ok_or_else(|| invalid("level", "product or variant"))?;
    let input = store::AttributeInput {
        def: AttributeDef {
            code: body.code.clone(),
            kind,
            level,
            filterable: body.filterable,
            unit: body.unit,
            options: body.options.iter().map(|o| o.value.clone()).collect(),
        },
        position: body.position,
        labels: body.labels.into_iter().collect(),
        option_labels: body.options.into_iter().map(|o| (o.value, o.labels.into_iter().collect())).collect(),
    };
    app::create_attribute(&state, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "code": body.code }))).into_response())
}

// ----- products -----

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct TranslationIn {
    name: String,
    #[serde(default)]
    description: String,
    slug: String,
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PriceIn {
    /// Integer amount in minor units of the market's currency.
    amount_minor: i64,
    /// "Was" price in minor units, greater than `amount_minor`.
    compare_at_minor: Option<i64>,
    /// Optional; must equal the market's currency if given (the server derives it).
    currency: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantIn {
    sku: String,
    /// Variant-level attribute values.
    #[serde(default)]
    attributes: BTreeMap<String, Value>,
    /// Price per market id.
    #[serde(default)]
    prices: BTreeMap<String, PriceIn>,
    /// Shipping weight of one unit in grams (1 to 1,000,000; 500 when not given): carts are
    /// quoted shipping by weight.
    weight_grams: Option<i64>,
    /// The units on hand in each warehouse, written with the variant (what
    /// `PUT /admin/v1/stock/{warehouse}/{variant}` sets afterwards). Without stock anywhere a
    /// published variant shows as out of stock and cannot be bought.
    #[serde(default)]
    stock: Vec<VariantStockIn>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantStockIn {
    /// A warehouse id of the regions' files (`eu-par`); 422 `unknown_warehouse` otherwise.
    warehouse: String,
    /// Units on hand, 0 or more.
    on_hand: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    code: String,
    /// Category code.
    category: String,
    #[serde(default = "standard")]
    tax_category: String,
    /// Product-level attribute values.
    #[serde(default)]
    attributes: BTreeMap<String, Value>,
    /// Markets the product is sold in.
    #[serde(default)]
    markets: Vec<String>,
    /// Content per language.
    #[serde(default)]
    translations: BTreeMap<String, TranslationIn>,
    #[serde(default)]
    variants: Vec<VariantIn>,
}

fn standard() -> String {
    "standard".into()
}

fn variant_input(field: &str, v: VariantIn) -> ApiResult<store::VariantInput> {
    Ok(store::VariantInput {
        attributes: raw_values(&format!("{field}.attributes"), &v.attributes)?,
        sku: v.sku,
        prices: v.prices.into_iter().map(|(market, p)| price_input(market, p)).collect(),
        weight_grams: v.weight_grams,
        stock: v.stock.into_iter().map(|s| store::StockInput { warehouse: s.warehouse, on_hand: s.on_hand }).collect(),
    })
}

fn price_input(market: String, p: PriceIn) -> store::PriceInput {
    store::PriceInput {
        market,
        amount_minor: p.amount_minor,
        compare_at_minor: p.compare_at_minor,
        currency: p.currency,
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminPrice {
    market: String,
    amount: MoneyDto,
    /// The "was" price, greater than `amount`.
    compare_at: Option<MoneyDto>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminVariantDto {
    id: Uuid,
    sku: String,
    attributes: Value,
    position: i32,
    /// Shipping weight of one unit in grams.
    weight_grams: i64,
    prices: Vec<AdminPrice>,
    /// Scheduled and running sale prices.
    sales: Vec<AdminSale>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminSale {
    id: Uuid,
    market: String,
    amount: MoneyDto,
    starts_at: String,
    ends_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminTranslation {
    language: String,
    name: String,
    description: String,
    slug: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdminProductDto {
    id: Uuid,
    code: String,
    category: String,
    tax_category: String,
    attributes: Value,
    /// `draft` or `published`.
    status: &'static str,
    published_at: Option<String>,
    markets: Vec<String>,
    translations: Vec<AdminTranslation>,
    variants: Vec<AdminVariantDto>,
    updated_at: String,
}

impl AdminProductDto {
    fn new(p: AdminProduct, regions: &regions::Catalog) -> Self {
        Self {
            id: p.id,
            code: p.code,
            category: p.category_code,
            tax_category: p.tax_category,
            attributes: p.attributes,
            status: p.status.as_str(),
            published_at: p.published_at.map(core_app::clock::rfc3339),
            markets: p.markets,
            translations: p
                .translations
                .into_iter()
                .map(|t| AdminTranslation {
                    language: t.language,
                    name: t.name,
                    description: t.description,
                    slug: t.slug,
                })
                .collect(),
            variants: p
                .variants
                .into_iter()
                .map(|v| AdminVariantDto {
                    id: v.id,
                    sku: v.sku,
                    attributes: v.attributes,
                    position: v.position,
                    weight_grams: v.weight_grams,
                    prices: v
                        .prices
                        .into_iter()
                        .map(|(market, pr)| AdminPrice {
                            market,
                            amount: MoneyDto::new(pr.amount_minor, &pr.currency),
                            compare_at: pr.compare_at_minor.map(|c| MoneyDto::new(c, &pr.currency)),
                        })
                        .collect(),
                    sales: v
                        .sales
                        .into_iter()
                        .map(|s| AdminSale {
                            id: s.id,
                            amount: MoneyDto::new(
                                s.amount_minor,
                                regions.market(&s.market).map_or("", |m| m.currency.code()),
                            ),
                            market: s.market,
                            starts_at: core_app::clock::rfc3339(s.starts_at),
                            ends_at: s.ends_at.map(core_app::clock::rfc3339),
                        })
                        .collect(),
                })
                .collect(),
            updated_at: core_app::clock::rfc3339(p.updated_at),
        }
    }
}

#[utoipa::path(post, path = "/admin/v1/products", tag = "admin", request_body = ProductIn, security(("service_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first response")),
    responses((status = 201, body = AdminProductDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Creates a draft product with its variants, prices and translations.
pub async fn create_product(State(state): State<AppState>, body: JsonBody<ProductIn>) -> ApiResult<Response> {
    let Json(body) = body?;
    let input = store::ProductInput {
        attributes: raw_values("attributes", &body.attributes)?,
        code: body.code,
        category: body.category,
        tax_category: body.tax_category,
        markets: body.markets,
        translations: body
            .translations
            .into_iter()
            .map(|(language, t)| store::TranslationInput {
                language,
                name: t.name,
                description: t.description,
                slug: t.slug,
            })
            .collect(),
        variants: body
            .variants
            .into_iter()
            .enumerate()
            .map(|(i, v)| variant_input(&format!("variants[{i}]"), v))
            .collect::<ApiResult<_>>()?,
    };
    let id = app::create_product(&state, &input).await?;
    Ok((StatusCode::CREATED, Json(product_view(&state, id).await?)).into_response())
}

#[utoipa::path(get, path = "/admin/v1/products/{id}", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody)))]
/// A product with every translation, market and price, drafts included.
pub async fn get_product(State(state): State<AppState>, path: PathOf<String>) -> ApiResult<Json<AdminProductDto>> {
    let Path(id) = path?;
    Ok(Json(product_view(&state, uuid(&id, "product_not_found")?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatchIn {
    category: Option<String>,
    tax_category: Option<String>,
    /// Replaces all product-level attribute values.
    attributes: Option<BTreeMap<String, Value>>,
    /// Replaces the assortment.
    markets: Option<Vec<String>>,
}

#[utoipa::path(patch, path = "/admin/v1/products/{id}", tag = "admin", request_body = ProductPatchIn, security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Changes a product's category, tax category, attributes or markets.
pub async fn update_product(
    State(state): State<AppState>,
    path: PathOf<String>,
    body: JsonBody<ProductPatchIn>,
) -> ApiResult<Json<AdminProductDto>> {
    let Path(id) = path?;
    let id = uuid(&id, "product_not_found")?;
    let Json(body) = body?;
    let patch = store::ProductPatch {
        attributes: body.attributes.as_ref().map(|a| raw_values("attributes", a)).transpose()?,
        category: body.category,
        tax_category: body.tax_category,
        markets: body.markets,
    };
    app::update_product(&state, id, &patch).await?;
    Ok(Json(product_view(&state, id).await?))
}

#[utoipa::path(put, path = "/admin/v1/products/{id}/translations/{language}", tag = "admin", request_body = TranslationIn,
    security(("service_token" = [])), responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Sets a product's name, description and slug in a language.
pub async fn put_translation(
    State(state): State<AppState>,
    path: PathOf<(String, String)>,
    body: JsonBody<TranslationIn>,
) -> ApiResult<Json<AdminProductDto>> {
    let Path((id, language)) = path?;
    let id = uuid(&id, "product_not_found")?;
    let Json(t) = body?;
    let input = store::TranslationInput { language, name: t.name, description: t.description, slug: t.slug };
    app::put_translation(&state, id, &input).await?;
    Ok(Json(product_view(&state, id).await?))
}

#[utoipa::path(delete, path = "/admin/v1/products/{id}/translations/{language}", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Removes a product's content in a language.
pub async fn delete_translation(
    State(state): State<AppState>,
    path: PathOf<(String, String)>,
) -> ApiResult<Json<AdminProductDto>> {
    let Path((id, language)) = path?;
    let id = uuid(&id, "product_not_found")?;
    app::delete_translation(&state, id, &language).await?;
    Ok(Json(product_view(&state, id).await?))
}

#[utoipa::path(post, path = "/admin/v1/products/{id}/variants", tag = "admin", request_body = VariantIn, security(("service_token" = [])),
    responses((status = 201, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Adds a variant (a SKU) with its prices.
pub async fn add_variant(
    State(state): State<AppState>,
    path: PathOf<String>,
    body: JsonBody<VariantIn>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let id = uuid(&id, "product_not_found")?;
    let Json(body) = body?;
    let input = variant_input("variant", body)?;
    app::add_variant(&state, id, &input).await?;
    Ok((StatusCode::CREATED, Json(product_view(&state, id).await?)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantPatchIn {
    /// Replaces all variant-level attribute values (left as they are when absent).
    attributes: Option<BTreeMap<String, Value>>,
    /// Shipping weight of one unit in grams, 1 to 1,000,000 (left as it is when absent).
    weight_grams: Option<i64>,
}

#[utoipa::path(patch, path = "/admin/v1/variants/{id}", tag = "admin", request_body = VariantPatchIn, security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Changes a variant's attribute values and shipping weight.
pub async fn update_variant(
    State(state): State<AppState>,
    path: PathOf<String>,
    body: JsonBody<VariantPatchIn>,
) -> ApiResult<Json<AdminProductDto>> {
    let Path(id) = path?;
    let id = uuid(&id, "variant_not_found")?;
    let Json(body) = body?;
    let patch = store::VariantPatch {
        attributes: body.attributes.as_ref().map(|a| raw_values("attributes", a)).transpose()?,
        weight_grams: body.weight_grams,
    };
    let product = app::update_variant(&state, id, &patch).await?;
    Ok(Json(product_view(&state, product).await?))
}

#[utoipa::path(put, path = "/admin/v1/variants/{id}/prices/{market}", tag = "admin", request_body = PriceIn, security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Sets a variant's price in a market, in the market's currency.
pub async fn put_price(
    State(state): State<AppState>,
    path: PathOf<(String, String)>,
    body: JsonBody<PriceIn>,
) -> ApiResult<Json<AdminProductDto>> {
    let Path((id, market)) = path?;
    let id = uuid(&id, "variant_not_found")?;
    let Json(body) = body?;
    let input = price_input(market, body);
    let product = app::put_price(&state, id, &input).await?;
    Ok(Json(product_view(&state, product).await?))
}

#[utoipa::path(delete, path = "/admin/v1/variants/{id}/prices/{market}", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody)))]
/// Removes a variant's price in a market.
pub async fn delete_price(
    State(state): State<AppState>,
    path: PathOf<(String, String)>,
) -> ApiResult<Json<AdminProductDto>> {
    let Path((id, market)) = path?;
    let id = uuid(&id, "variant_not_found")?;
    let product = app::delete_price(&state, id, &market).await?;
    Ok(Json(product_view(&state, product).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleIn {
    market: String,
    /// Sale price in minor units of the market's currency.
    amount_minor: i64,
    /// RFC 3339.
    starts_at: String,
    /// RFC 3339; absent: until cancelled.
    ends_at: Option<String>,
}

fn timestamp(field: &str, s: &str) -> ApiResult<time::OffsetDateTime> {
    core_app::clock::parse(s).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("`{field}` is not an RFC 3339 timestamp"),
        )
    })
}

#[utoipa::path(post, path = "/admin/v1/variants/{id}/sales", tag = "admin", request_body = SaleIn, security(("service_token" = [])),
    responses((status = 201, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Schedules a dated sale price for a variant in a market.
pub async fn add_sale(
    State(state): State<AppState>,
    path: PathOf<String>,
    body: JsonBody<SaleIn>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let id = uuid(&id, "variant_not_found")?;
    let Json(body) = body?;
    let input = store::SaleInput {
        market: body.market,
        amount_minor: body.amount_minor,
        starts_at: timestamp("starts_at", &body.starts_at)?,
        ends_at: body.ends_at.as_deref().map(|e| timestamp("ends_at", e)).transpose()?,
    };
    let product = app::add_sale(&state, id, &input).await?;
    Ok((StatusCode::CREATED, Json(product_view(&state, product).await?)).into_response())
}

#[utoipa::path(delete, path = "/admin/v1/sales/{id}", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody)))]
/// Cancels a sale price.
pub async fn delete_sale(State(state): State<AppState>, path: PathOf<String>) -> ApiResult<Json<AdminProductDto>> {
    let Path(id) = path?;
    let id = uuid(&id, "sale_not_found")?;
    let product = app::delete_sale(&state, id).await?;
    Ok(Json(product_view(&state, product).await?))
}

async fn set_status(state: &AppState, id: &str, status: ProductStatus) -> ApiResult<Json<AdminProductDto>> {
    let id = uuid(id, "product_not_found")?;
    app::set_status(state, id, status).await?;
    Ok(Json(product_view(state, id).await?))
}

#[utoipa::path(post, path = "/admin/v1/products/{id}/publish", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "not publishable: no variant, no market, or a market's shoppers would find no name")))]
/// Publishes a product: shoppers see it in every market it is sold in.
pub async fn publish(State(state): State<AppState>, path: PathOf<String>) -> ApiResult<Json<AdminProductDto>> {
    let Path(id) = path?;
    set_status(&state, &id, ProductStatus::Published).await
}

#[utoipa::path(post, path = "/admin/v1/products/{id}/unpublish", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = AdminProductDto), (status = 404, body = ErrorBody)))]
/// Takes a product back to draft.
pub async fn unpublish(State(state): State<AppState>, path: PathOf<String>) -> ApiResult<Json<AdminProductDto>> {
    let Path(id) = path?;
    set_status(&state, &id, ProductStatus::Draft).await
}
