//! The merchandiser's promotions API: promotions (create, list, read, change, archive) and
//! their coupon codes (explicit, or generated in batches). Behind the service token and the
//! `Idempotency-Key` middleware, like the rest of the admin API; never cached.
//!
//! Percentages are decimal strings (`"12.5"`), never floats; money is integer minor units of
//! the promotion's `currency`, which is the currency of every market it runs in.
//!
//! The requests and answers are here; the steps and their transactions are
//! [`core_app::promotions`].

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use core_app::promotions::{self as app, not_found};
use core_domain::promotions::{Discount, Target};
use core_store::promotions::{self as store, CouponSource, KindName, KindParts, PromotionRecord, StatusFilter};
use regions::Rate;
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{AppState, truncate};

/// Page sizes of the promotion listing, and of the coupon listing.
const DEFAULT_PROMOTIONS_PAGE: u32 = 50;
const MAX_PROMOTIONS_PAGE: u32 = 100;
const DEFAULT_COUPONS_PAGE: u32 = 100;
const MAX_COUPONS_PAGE: u32 = 1_000;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/promotions", post(create_promotion).get(list_promotions))
        .route("/admin/v1/promotions/{id}", get(get_promotion).patch(update_promotion))
        .route("/admin/v1/promotions/{id}/archive", post(archive_promotion))
        .route("/admin/v1/promotions/{id}/coupons", post(add_coupons).get(list_coupons))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state, crate::access::require_token))
}

// ----- errors -----

fn invalid(field: &str, reason: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", format!("`{field}` is invalid: {reason}"))
}

type JsonBody<T> = Result<Json<T>, JsonRejection>;
type PathOf<T> = Result<Path<T>, PathRejection>;
type QueryOf<T> = Result<Query<T>, QueryRejection>;

fn promotion_id(s: &str) -> ApiResult<Uuid> {
    Ok(Uuid::parse_str(s).map_err(|_| not_found())?)
}

// ----- times -----

fn parse_time(field: &str, s: &str) -> ApiResult<i64> {
    let t = core_app::clock::parse(s).ok_or_else(|| invalid(field, "an RFC 3339 timestamp"))?;
    // The database keeps microseconds.
    Ok((t.unix_timestamp_nanos() / 1_000) as i64)
}

fn format_micros(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map(core_app::clock::rfc3339)
        .unwrap_or_default()
}

// ----- definitions in and out -----

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum KindIn {
    Catalog,
    Order,
    BuyXGetY,
    FreeShipping,
}

impl From<KindIn> for KindName {
    fn from(k: KindIn) -> Self {
        match k {
            KindIn::Catalog => Self::Catalog,
            KindIn::Order => Self::Order,
            KindIn::BuyXGetY => Self::BuyXGetY,
            KindIn::FreeShipping => Self::FreeShipping,
        }
    }
}

/// What a promotion applies to: every product, some products, or the products of some
/// categories (and their sub-categories).
#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TargetDto {
    All,
    Products { ids: Vec<Uuid> },
    Categories { ids: Vec<Uuid> },
}

impl From<TargetDto> for Target {
    fn from(t: TargetDto) -> Self {
        match t {
            TargetDto::All => Self::All,
            TargetDto::Products { ids } => Self::Products(ids.into_iter().collect()),
            TargetDto::Categories { ids } => Self::Categories(ids.into_iter().collect()),
        }
    }
}

impl From<&Target> for TargetDto {
    fn from(t: &Target) -> Self {
        match t {
            Target::All => Self::All,
            Target::Products(ids) => Self::Products { ids: ids.iter().copied().collect() },
            Target::Categories(ids) => Self::Categories { ids: ids.iter().copied().collect() },
        }
    }
}

/// How much a promotion takes off: a percentage (a decimal string, above 0 and at most
/// 100), or an amount in minor units of the promotion's currency.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DiscountDto {
    Percent {
        /// `"20"`, `"12.5"`.
        percent: String,
    },
    Amount {
        amount_minor: i64,
        /// The promotion's `currency` may also be given here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        currency: Option<String>,
    },
}

fn percent(field: &str, s: &str) -> ApiResult<Rate> {
    Rate::parse_percent(s).ok_or_else(|| invalid(field, "a decimal percentage string above 0 and at most 100"))
}

/// The definition's parts of a request, and a currency named inside an amount discount.
#[allow(clippy::too_many_arguments)]
fn parts(
    target: Option<TargetDto>,
    discount: Option<DiscountDto>,
    min_subtotal_minor: Option<i64>,
    buy: Option<u32>,
    get: Option<u32>,
    percent_off: Option<&str>,
) -> ApiResult<(KindParts, Option<String>)> {
    let (discount, currency) = match discount {
        None => (None, None),
        Some(DiscountDto::Percent { percent: p }) => (Some(Discount::Percent(percent("discount.percent", &p)?)), None),
        Some(DiscountDto::Amount { amount_minor, currency }) => (Some(Discount::Amount(amount_minor)), currency),
    };
    let parts = KindParts {
        target: target.map(Target::from),
        discount,
        min_subtotal: min_subtotal_minor,
        buy,
        get,
        percent_off: percent_off.map(|p| percent("percent_off", p)).transpose()?,
    };
    Ok((parts, currency))
}

/// The currency of a request: given at the top level, in the discount, or both (then equal).
fn one_currency(top: Option<String>, in_discount: Option<String>) -> ApiResult<Option<String>> {
    match (top, in_discount) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(&b) => {
            Err(invalid("currency", "differs from the currency of the discount"))
        }
        (a, b) => Ok(a.or(b)),
    }
}

/// A new promotion. Fields of the kind: `catalog` takes `target` and `discount`; `order`
/// takes `target`, `discount` and `min_subtotal_minor`; `buy_x_get_y` takes `target`, `buy`,
/// `get` and `percent_off` (default 100: the `get` units are free); `free_shipping` takes
/// `min_subtotal_minor`. A missing `target` is every product.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionIn {
    /// 1-200 characters.
    name: String,
    /// Higher applies first.
    #[serde(default)]
    priority: i32,
    /// Once it applies, no order-level promotion after it does.
    #[serde(default)]
    exclusive: bool,
    kind: KindIn,
    target: Option<TargetDto>,
    discount: Option<DiscountDto>,
    /// Minimum subtotal in minor units of `currency` (`order`, `free_shipping`).
    min_subtotal_minor: Option<i64>,
    /// `buy_x_get_y`: for every `buy + get` units, the `get` cheapest are reduced.
    buy: Option<u32>,
    get: Option<u32>,
    /// `buy_x_get_y`: how much the `get` units are reduced, a decimal percentage string.
    percent_off: Option<String>,
    /// ISO 4217 currency of the amounts (amount discounts, minimum subtotals): required when
    /// there are some, and must be the currency of every market.
    currency: Option<String>,
    /// Market ids; empty or absent: every market (not allowed with amounts).
    #[serde(default)]
    markets: Vec<String>,
    /// RFC 3339; absent: live at once.
    starts_at: Option<String>,
    /// RFC 3339, exclusive; absent: until archived.
    ends_at: Option<String>,
    /// Applies only when one of its coupon codes is presented.
    #[serde(default)]
    requires_coupon: bool,
    /// Most redemptions in total.
    usage_limit: Option<i64>,
    /// Most redemptions per customer.
    per_customer_limit: Option<i32>,
}

/// Changes to a promotion: absent fields stay; `null` clears a field that may be empty.
/// With `kind`, the definition is replaced by the fields of this request; without it, the
/// definition's fields given here replace the current ones.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionPatchIn {
    name: Option<String>,
    priority: Option<i32>,
    exclusive: Option<bool>,
    kind: Option<KindIn>,
    target: Option<TargetDto>,
    discount: Option<DiscountDto>,
    min_subtotal_minor: Option<i64>,
    buy: Option<u32>,
    get: Option<u32>,
    percent_off: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    currency: Option<Option<String>>,
    markets: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    starts_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    ends_at: Option<Option<String>>,
    requires_coupon: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    usage_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    per_customer_limit: Option<Option<i32>>,
}

/// `null` is `Some(None)`; an absent field (with `#[serde(default)]`) is `None`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A promotion as stored.
#[derive(Serialize, ToSchema)]
pub struct PromotionOut {
    id: Uuid,
    name: String,
    priority: i32,
    exclusive: bool,
    /// `catalog`, `order`, `buy_x_get_y` or `free_shipping`.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<TargetDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<DiscountDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_subtotal_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buy: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    get: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    percent_off: Option<String>,
    currency: Option<String>,
    /// Empty: every market.
    markets: Vec<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    requires_coupon: bool,
    usage_limit: Option<i64>,
    per_customer_limit: Option<i32>,
    /// Redemptions counted against `usage_limit`; null when there is no total limit.
    uses: Option<i64>,
    /// Orders that redeemed it (single-promotion answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    redemptions: Option<i64>,
    /// `active` or `archived`.
    status: &'static str,
    archived_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl PromotionOut {
    fn new(r: PromotionRecord, redemptions: Option<i64>) -> Self {
        let p = r.promotion;
        let parts = KindParts::of(&p.kind);
        let currency = r.currency.clone();
        Self {
            id: p.id,
            name: p.name,
            priority: p.priority,
            exclusive: p.exclusive,
            kind: KindName::of(&p.kind).as_str(),
            target: parts.target.as_ref().map(TargetDto::from),
            discount: parts.discount.map(|d| match d {
                Discount::Percent(rate) => DiscountDto::Percent { percent: rate.percent_string() },
                Discount::Amount(amount_minor) => DiscountDto::Amount { amount_minor, currency: currency.clone() },
            }),
            min_subtotal_minor: parts.min_subtotal,
            buy: parts.buy,
            get: parts.get,
            percent_off: parts.percent_off.map(Rate::percent_string),
            currency: r.currency,
            markets: p.markets,
            starts_at: p.starts_at.map(format_micros),
            ends_at: p.ends_at.map(format_micros),
            requires_coupon: p.requires_coupon,
            usage_limit: r.usage_limit,
            per_customer_limit: r.per_customer_limit,
            uses: r.usage_limit.map(|_| r.uses),
            redemptions,
            status: if r.archived_at.is_some() { "archived" } else { "active" },
            archived_at: r.archived_at.map(core_app::clock::rfc3339),
            created_at: core_app::clock::rfc3339(r.created_at),
            updated_at: core_app::clock::rfc3339(r.updated_at),
        }
    }
}

async fn promotion_view(state: &AppState, id: Uuid) -> ApiResult<PromotionOut> {
    let (record, redemptions) = app::view(state, id).await?;
    Ok(PromotionOut::new(record, Some(redemptions)))
}

// ----- handlers -----

#[utoipa::path(post, path = "/admin/v1/promotions", tag = "admin", request_body = PromotionIn, security(("service_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first response")),
    responses((status = 201, body = PromotionOut), (status = 422, body = ErrorBody, description = "validation_failed, unknown_market, currency_required, markets_required, currency_mismatch, unknown_product, unknown_category")))]
/// Creates a promotion.
pub async fn create_promotion(State(state): State<AppState>, body: JsonBody<PromotionIn>) -> ApiResult<Response> {
    let Json(b) = body?;
    let (parts, discount_currency) =
        parts(b.target, b.discount, b.min_subtotal_minor, b.buy, b.get, b.percent_off.as_deref())?;
    let kind = store::build_kind(b.kind.into(), parts)?;
    let input = store::PromotionInput {
        name: b.name,
        priority: b.priority,
        exclusive: b.exclusive,
        kind,
        currency: one_currency(b.currency, discount_currency)?,
        markets: b.markets,
        starts_at: b.starts_at.as_deref().map(|t| parse_time("starts_at", t)).transpose()?,
        ends_at: b.ends_at.as_deref().map(|t| parse_time("ends_at", t)).transpose()?,
        requires_coupon: b.requires_coupon,
        usage_limit: b.usage_limit,
        per_customer_limit: b.per_customer_limit,
    };
    let id = app::create(&state, &input).await?;
    Ok((StatusCode::CREATED, Json(promotion_view(&state, id).await?)).into_response())
}

#[utoipa::path(get, path = "/admin/v1/promotions/{id}", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = PromotionOut), (status = 404, body = ErrorBody)))]
/// A promotion, with how many orders redeemed it.
pub async fn get_promotion(State(state): State<AppState>, path: PathOf<String>) -> ApiResult<Json<PromotionOut>> {
    let Path(id) = path?;
    Ok(Json(promotion_view(&state, promotion_id(&id)?).await?))
}

#[utoipa::path(patch, path = "/admin/v1/promotions/{id}", tag = "admin", request_body = PromotionPatchIn, security(("service_token" = [])),
    responses((status = 200, body = PromotionOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "promotion_archived"), (status = 422, body = ErrorBody)))]
/// Changes a promotion; the result is checked as a whole. A total or per-customer limit set
/// where there was none counts the redemptions already made.
pub async fn update_promotion(
    State(state): State<AppState>,
    path: PathOf<String>,
    body: JsonBody<PromotionPatchIn>,
) -> ApiResult<Json<PromotionOut>> {
    let Path(id) = path?;
    let id = promotion_id(&id)?;
    let Json(b) = body?;
    let (parts, discount_currency) =
        parts(b.target, b.discount, b.min_subtotal_minor, b.buy, b.get, b.percent_off.as_deref())?;
    let currency = match (b.currency, discount_currency) {
        (None, None) => None,
        (Some(top), None) => Some(top),
        (top, Some(inner)) => Some(one_currency(top.flatten(), Some(inner))?),
    };
    let time = |field: &str, t: Option<Option<String>>| -> ApiResult<Option<Option<i64>>> {
        t.map(|t| t.map(|t| parse_time(field, &t)).transpose()).transpose()
    };
    let patch = store::PromotionPatch {
        name: b.name,
        priority: b.priority,
        exclusive: b.exclusive,
        kind: b.kind.map(KindName::from),
        parts,
        currency,
        markets: b.markets,
        starts_at: time("starts_at", b.starts_at)?,
        ends_at: time("ends_at", b.ends_at)?,
        requires_coupon: b.requires_coupon,
        usage_limit: b.usage_limit,
        per_customer_limit: b.per_customer_limit,
    };
    app::update(&state, id, &patch).await?;
    Ok(Json(promotion_view(&state, id).await?))
}

#[utoipa::path(post, path = "/admin/v1/promotions/{id}/archive", tag = "admin", security(("service_token" = [])),
    responses((status = 200, body = PromotionOut), (status = 404, body = ErrorBody)))]
/// Archives a promotion: it stops applying at once and its codes stop working. Archiving
/// again changes nothing.
pub async fn archive_promotion(State(state): State<AppState>, path: PathOf<String>) -> ApiResult<Json<PromotionOut>> {
    let Path(id) = path?;
    let id = promotion_id(&id)?;
    app::archive(&state, id).await?;
    Ok(Json(promotion_view(&state, id).await?))
}

/// Query parameters of the promotion listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PromotionListParams {
    /// Only promotions that run in this market (including those of every market).
    market: Option<String>,
    /// `active` (default: not archived), `archived` or `all`.
    status: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PromotionPage {
    items: Vec<PromotionOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn page_size(raw: Option<&str>, default: u32, max: u32) -> ApiResult<u32> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.parse::<u64>() {
        Ok(n) if n >= 1 && n <= u64::from(max) => Ok(n as u32),
        Ok(n) if n > u64::from(max) => {
            Err(ApiError::bad_request("page_too_large", format!("limit must be between 1 and {max}")))
        }
        _ => Err(ApiError::bad_request("invalid_limit", "limit must be a positive integer")),
    }
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request("invalid_cursor", "malformed cursor, or a cursor from another listing")
}

/// Cursors are opaque to clients: the hex of the listing they belong to and the last key.
fn encode_cursor(parts: &[&str]) -> String {
    hex::encode(parts.join("\n"))
}

fn decode_cursor(cursor: &str, prefix: &[&str]) -> ApiResult<String> {
    let bytes = hex::decode(cursor).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let mut fields = text.split('\n');
    for p in prefix {
        if fields.next() != Some(*p) {
            return Err(bad_cursor());
        }
    }
    let last = fields.next().ok_or_else(bad_cursor)?;
    if fields.next().is_some() {
        return Err(bad_cursor());
    }
    Ok(last.to_string())
}

#[utoipa::path(get, path = "/admin/v1/promotions", tag = "admin", security(("service_token" = [])), params(PromotionListParams),
    responses((status = 200, body = PromotionPage), (status = 400, body = ErrorBody)))]
/// Promotions, newest first.
pub async fn list_promotions(
    State(state): State<AppState>,
    query: QueryOf<PromotionListParams>,
) -> ApiResult<Json<PromotionPage>> {
    let Query(q) = query?;
    let status = match q.status.as_deref() {
        None => StatusFilter::Active,
        Some(s) => StatusFilter::parse(s)
            .ok_or_else(|| ApiError::bad_request("invalid_status", "status must be active, archived or all"))?,
    };
    let market = match q.market.as_deref() {
        None => None,
        Some(m) => Some(
            state
                .regions
                .market(m)
                .ok_or_else(|| ApiError::bad_request("unknown_market", format!("unknown market `{}`", truncate(m))))?
                .id
                .to_string(),
        ),
    };
    let limit = page_size(q.limit.as_deref(), DEFAULT_PROMOTIONS_PAGE, MAX_PROMOTIONS_PAGE)?;
    let listing = ["p1", status.as_str(), market.as_deref().unwrap_or("")];
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => {
            let last = decode_cursor(c, &listing)?;
            let (at, id) = last.split_once(' ').ok_or_else(bad_cursor)?;
            Some((at.parse::<i64>().map_err(|_| bad_cursor())?, Uuid::parse_str(id).map_err(|_| bad_cursor())?))
        }
    };
    let records =
        app::list(&state, &store::PromotionQuery { market: market.as_deref(), status, after, limit: limit + 1 })
            .await?;
    let more = records.len() > limit as usize;
    let mut items: Vec<PromotionRecord> = records;
    items.truncate(limit as usize);
    let next_cursor = items.last().filter(|_| more).map(|last| {
        let key = format!("{} {}", store::created_micros(last), last.promotion.id);
        let mut parts = listing.to_vec();
        parts.push(&key);
        encode_cursor(&parts)
    });
    Ok(Json(PromotionPage { items: items.into_iter().map(|r| PromotionOut::new(r, None)).collect(), next_cursor }))
}

// ----- coupons -----

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct GenerateIn {
    /// 1 to 100,000 codes.
    count: u32,
    /// Up to 22 letters A-Z, digits and '-', before 10 random characters (no 0, O, 1 or I).
    #[serde(default)]
    prefix: String,
}

/// Either explicit `codes` or `generate`, not both.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponsIn {
    /// 3-32 letters A-Z, digits and '-' each (any case; stored upper-case), 1 to 10,000.
    codes: Option<Vec<String>>,
    generate: Option<GenerateIn>,
    /// Each code's own limit (1: single-use codes), on top of the promotion's limits.
    usage_limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CouponBatchOut {
    /// Lists the codes added: `GET …/coupons?batch={batch_id}`.
    batch_id: Uuid,
    count: u64,
}

#[utoipa::path(post, path = "/admin/v1/promotions/{id}/coupons", tag = "admin", request_body = CouponsIn, security(("service_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first response")),
    responses((status = 201, body = CouponBatchOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "coupon_taken, promotion_archived, promotion_is_automatic"),
        (status = 422, body = ErrorBody, description = "invalid_coupon_code, validation_failed")))]
/// Adds coupon codes to a promotion that requires one: explicit codes (all or none), or a
/// batch of unique random codes.
pub async fn add_coupons(
    State(state): State<AppState>,
    path: PathOf<String>,
    body: JsonBody<CouponsIn>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let id = promotion_id(&id)?;
    let Json(b) = body?;
    let source = match (b.codes, b.generate) {
        (Some(codes), None) => CouponSource::Codes(codes),
        (None, Some(g)) => CouponSource::Generate { count: g.count, prefix: g.prefix },
        _ => return Err(invalid("codes", "give either `codes` or `generate`")),
    };
    let batch = app::add_coupons(&state, id, &source, b.usage_limit).await?;
    Ok((StatusCode::CREATED, Json(CouponBatchOut { batch_id: batch.batch_id, count: batch.count })).into_response())
}

/// Query parameters of the coupon listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CouponListParams {
    /// Only the codes added by this request (`batch_id` of its answer).
    batch: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 1,000 (default 100).
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CouponOut {
    code: String,
    usage_limit: Option<i64>,
    /// Redemptions counted against `usage_limit`; null when the code has no own limit.
    uses: Option<i64>,
    batch_id: Uuid,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct CouponPage {
    items: Vec<CouponOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/admin/v1/promotions/{id}/coupons", tag = "admin", security(("service_token" = [])), params(CouponListParams),
    responses((status = 200, body = CouponPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// A promotion's coupon codes, in code order.
pub async fn list_coupons(
    State(state): State<AppState>,
    path: PathOf<String>,
    query: QueryOf<CouponListParams>,
) -> ApiResult<Json<CouponPage>> {
    let Path(id) = path?;
    let id = promotion_id(&id)?;
    let Query(q) = query?;
    let batch = q
        .batch
        .as_deref()
        .map(|b| Uuid::parse_str(b).map_err(|_| ApiError::bad_request("invalid_query", "`batch` is not an id")))
        .transpose()?;
    let limit = page_size(q.limit.as_deref(), DEFAULT_COUPONS_PAGE, MAX_COUPONS_PAGE)?;
    let (promotion_key, batch_key) = (id.to_string(), batch.map(|b| b.to_string()).unwrap_or_default());
    let listing = ["c1", promotion_key.as_str(), batch_key.as_str()];
    let after = q.cursor.as_deref().map(|c| decode_cursor(c, &listing)).transpose()?;
    let mut rows =
        app::coupons(&state, &store::CouponQuery { promotion: id, batch, after: after.as_deref(), limit: limit + 1 })
            .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = rows.last().filter(|_| more).map(|last| {
        let mut parts = listing.to_vec();
        parts.push(&last.code);
        encode_cursor(&parts)
    });
    let items = rows
        .into_iter()
        .map(|c| CouponOut {
            uses: c.usage_limit.map(|_| c.uses),
            code: c.code,
            usage_limit: c.usage_limit,
            batch_id: c.batch_id,
            created_at: core_app::clock::rfc3339(c.created_at),
        })
        .collect();
    Ok(Json(CouponPage { items, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_belong_to_their_listing() {
        let c = encode_cursor(&["p1", "active", "fr", "123 abc"]);
        assert_eq!(decode_cursor(&c, &["p1", "active", "fr"]).unwrap(), "123 abc");
        for other in [&["p1", "all", "fr"][..], &["p1", "active", ""], &["c1", "active", "fr"]] {
            assert_eq!(decode_cursor(&c, other).unwrap_err().code, "invalid_cursor");
        }
        assert_eq!(decode_cursor("zz", &["p1"]).unwrap_err().code, "invalid_cursor");
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size(None, 50, 100).unwrap(), 50);
        assert_eq!(page_size(Some("100"), 50, 100).unwrap(), 100);
        assert_eq!(page_size(Some("101"), 50, 100).unwrap_err().code, "page_too_large");
        for bad in ["0", "-1", "x", ""] {
            assert_eq!(page_size(Some(bad), 50, 100).unwrap_err().code, "invalid_limit", "{bad}");
        }
    }
}
