//! `POST /v1/{market}/{language}/quote`: a cart priced in full. Prices come from the database
//! (never from the client or a cache), the currency from the market, promotions from what is
//! live and the coupons presented, tax from the market's provider. Checkout uses the same path.

use std::collections::BTreeSet;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use core_domain::quote::{self, AppliedDiscount, Quote, QuoteError, QuoteLine, QuoteRequest};
use core_domain::tax::TaxLine;
use core_store::catalog as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{AppState, Scope, truncate};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/{market}/{language}/quote", post(quote))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLineIn {
    variant_id: Uuid,
    quantity: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationIn {
    /// ISO 3166-1 alpha-2; must be the market's country.
    country: String,
    /// State or province (ISO 3166-2 suffix: `NY`, `QC`), required in sales-tax markets.
    subdivision: Option<String>,
    /// Kept for carriers' rates (shipping is a placeholder for now).
    #[allow(dead_code)]
    postal_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteIn {
    lines: Vec<QuoteLineIn>,
    destination: DestinationIn,
    /// Coupon codes (case-insensitive).
    #[serde(default)]
    coupons: Vec<String>,
    /// Shipping charge placeholder in minor units, until carriers quote it.
    #[serde(default)]
    shipping_minor: i64,
    /// Optional: when given it must be the market's currency (the server never takes a
    /// currency from the client).
    currency: Option<String>,
    /// The shopper, for per-customer coupon limits.
    customer_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DiscountDto {
    promotion_id: Uuid,
    name: String,
    amount_minor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TaxLineDto {
    name: String,
    /// Decimal percentage string.
    rate_percent: String,
    amount_minor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct QuotedLineDto {
    variant_id: Uuid,
    sku: String,
    product_id: Uuid,
    quantity: u32,
    unit_price_minor: i64,
    subtotal_minor: i64,
    discounts: Vec<DiscountDto>,
    discount_minor: i64,
    total_minor: i64,
    taxes: Vec<TaxLineDto>,
    tax_minor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ShippingDto {
    amount_minor: i64,
    discounts: Vec<DiscountDto>,
    total_minor: i64,
    taxes: Vec<TaxLineDto>,
    tax_minor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct QuoteDto {
    market: String,
    currency: &'static str,
    /// Line and shipping amounts include tax (VAT/GST) or not (sales tax, added on top).
    prices_include_tax: bool,
    lines: Vec<QuotedLineDto>,
    shipping: ShippingDto,
    /// Each applied promotion with its whole discount.
    promotions: Vec<DiscountDto>,
    subtotal_minor: i64,
    discount_minor: i64,
    shipping_minor: i64,
    tax_minor: i64,
    /// What the shopper pays, in minor units.
    total_minor: i64,
}

fn discounts(d: &[AppliedDiscount]) -> Vec<DiscountDto> {
    d.iter()
        .map(|d| DiscountDto { promotion_id: d.promotion_id, name: d.name.clone(), amount_minor: d.amount })
        .collect()
}

fn taxes(t: &[TaxLine]) -> Vec<TaxLineDto> {
    t.iter()
        .map(|t| TaxLineDto { name: t.name.clone(), rate_percent: t.rate.percent_string(), amount_minor: t.amount })
        .collect()
}

impl From<Quote> for QuoteDto {
    fn from(q: Quote) -> Self {
        Self {
            market: q.market,
            currency: q.currency,
            prices_include_tax: q.prices_include_tax,
            lines: q
                .lines
                .iter()
                .map(|l| QuotedLineDto {
                    variant_id: l.variant_id,
                    sku: l.sku.clone(),
                    product_id: l.product_id,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price,
                    subtotal_minor: l.subtotal,
                    discounts: discounts(&l.discounts),
                    discount_minor: l.discount_total,
                    total_minor: l.total,
                    taxes: taxes(&l.taxes),
                    tax_minor: l.tax_total,
                })
                .collect(),
            shipping: ShippingDto {
                amount_minor: q.shipping.amount,
                discounts: discounts(&q.shipping.discounts),
                total_minor: q.shipping.total,
                taxes: taxes(&q.shipping.taxes),
                tax_minor: q.shipping.tax_total,
            },
            promotions: discounts(&q.promotions),
            subtotal_minor: q.subtotal,
            discount_minor: q.discount_total,
            shipping_minor: q.shipping_total,
            tax_minor: q.tax_total,
            total_minor: q.total,
        }
    }
}

impl From<QuoteError> for ApiError {
    fn from(e: QuoteError) -> Self {
        let status = match e {
            QuoteError::Tax(core_domain::tax::TaxError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

#[utoipa::path(post, path = "/v1/{market}/{language}/quote", tag = "checkout", request_body = QuoteIn,
    params(("market" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = QuoteDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "unknown variant or coupon, not sold here, bad quantity, destination outside the market, currency mismatch…"),
        (status = 503, body = ErrorBody, description = "tax provider unavailable")))]
/// Prices a cart: lines, discounts, taxes, shipping and totals in minor units.
pub async fn quote(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<QuoteIn>, JsonRejection>,
) -> ApiResult<Json<QuoteDto>> {
    let Path((market, language)) = path?;
    let scope = state.scope(&market, &language)?;
    let Json(body) = body?;
    let market = scope.market;

    if let Some(currency) = &body.currency
        && currency != market.currency.code()
    {
        return Err(unprocessable(
            "currency_mismatch",
            format!("market `{}` charges in {}, not {}", market.id, market.currency, truncate(currency)),
        ));
    }
    let country = body.destination.country.to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(unprocessable("unknown_country", format!("`{}` is not a country code", truncate(&country))));
    }
    if country != market.country {
        return Err(match state.regions.market_for_country(&country) {
            Some(other) => unprocessable(
                "destination_outside_market",
                format!("`{country}` is served by market `{}`, not `{}`", other.id, market.id),
            ),
            None => unprocessable("unknown_country", format!("no market ships to `{country}`")),
        });
    }
    if body.lines.is_empty() {
        return Err(QuoteError::NoLines.into());
    }
    if body.lines.len() > quote::MAX_LINES {
        return Err(QuoteError::TooManyLines.into());
    }
    if body.coupons.len() > 10 {
        return Err(unprocessable("too_many_coupons", "at most 10 coupons"));
    }

    let lines = load_lines(&state, &scope, &body.lines).await?;
    let now = crate::catalog::now_micros();
    let promotions =
        crate::promotion_source::for_quote(&state, market, &body.coupons, body.customer_id.as_deref(), now).await?;
    let subdivision = body.destination.subdivision.as_deref().map(str::to_ascii_uppercase);
    let request = QuoteRequest {
        market,
        subdivision: subdivision.as_deref(),
        lines,
        shipping: body.shipping_minor,
        promotions: &promotions,
        now,
    };
    let priced = quote::price(&request)?;
    let taxes =
        state.tax.calculate(&priced.tax_request(market, request.subdivision)).await.map_err(QuoteError::from)?;
    Ok(Json(priced.finish(taxes)?.into()))
}

/// The cart's lines at the market's current prices, from the database.
async fn load_lines(state: &AppState, scope: &Scope<'_>, lines: &[QuoteLineIn]) -> ApiResult<Vec<QuoteLine>> {
    let market = scope.market;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect::<BTreeSet<_>>().into_iter().collect();
    let assortment = core_domain::pricing::assortment_sources(market);
    let source = core_domain::pricing::price_source(&state.regions, market);
    let view = store::MarketView {
        market: market.id.as_str(),
        assortment: &assortment,
        price_source: source.map(|m| m.id.as_str()),
        price_history: false,
    };
    let client = state.store.client().await?;
    let variants = store::quote_variants(&client, view, &ids).await?;
    drop(client);
    let meta = state.meta();
    let now = crate::catalog::now_micros();
    lines
        .iter()
        .map(|line| {
            let v = variants
                .iter()
                .find(|v| v.id == line.variant_id)
                .ok_or_else(|| unprocessable("unknown_variant", format!("no variant `{}`", line.variant_id)))?;
            let regular =
                core_domain::pricing::regular_price(market, source, v.explicit_amount, v.base_amount, &v.tax_category);
            let (true, Some(regular)) = (v.sold, regular) else {
                return Err(unprocessable(
                    "not_sold_in_market",
                    format!("`{}` is not sold in market `{}`", v.sku, market.id),
                ));
            };
            let (unit_price, _) = core_domain::pricing::current_price(regular, &v.sales, now);
            Ok(QuoteLine {
                variant_id: v.id,
                sku: v.sku.clone(),
                product_id: v.product_id,
                categories: meta.breadcrumbs(v.category_id).iter().map(|c| c.id).collect(),
                tax_category: v.tax_category.clone(),
                unit_price,
                quantity: line.quantity,
            })
        })
        .collect()
}
