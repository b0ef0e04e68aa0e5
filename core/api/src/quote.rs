//! `POST /v1/{market}/{language}/quote`: a cart priced in full. Prices come from the database
//! (never from the client or a cache), the currency from the market, promotions from what is
//! live and the coupons presented, tax from the market's provider. Checkout uses the same path.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use core_domain::quote::{self, AppliedDiscount, Quote, QuoteError};
use core_domain::tax::TaxLine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiResult, ErrorBody};
use crate::state::{AppState, truncate};
pub use core_app::quote::{
    CartToPrice, ChargedShipping, PricedCart, Promotions, Shipping, check_destination, price_cart,
};

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
    /// A shipping charge to price with, in minor units (carts and checkout price shipping from
    /// the carriers' options instead).
    #[serde(default)]
    shipping_minor: i64,
    /// Optional: when given it must be the market's currency (the server never takes a
    /// currency from the client).
    currency: Option<String>,
    /// The shopper, for per-customer coupon limits.
    customer_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AppliedDiscountDto {
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
    discounts: Vec<AppliedDiscountDto>,
    discount_minor: i64,
    total_minor: i64,
    taxes: Vec<TaxLineDto>,
    tax_minor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ShippingDto {
    amount_minor: i64,
    discounts: Vec<AppliedDiscountDto>,
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
    promotions: Vec<AppliedDiscountDto>,
    subtotal_minor: i64,
    discount_minor: i64,
    shipping_minor: i64,
    tax_minor: i64,
    /// What the shopper pays, in minor units.
    total_minor: i64,
    /// Carts: the ways to ship the cart, and the one in the shipping line.
    #[serde(skip_serializing_if = "Option::is_none")]
    shipping_options: Option<crate::shipping::ShippingOptionsDto>,
}

impl QuoteDto {
    /// The quote with the cart's shipping options.
    pub(crate) fn priced(quote: Quote, shipping: Option<&ChargedShipping>) -> Self {
        let mut dto = Self::from(quote);
        dto.shipping_options =
            shipping.map(|s| crate::shipping::ShippingOptionsDto::new(&s.options, s.chosen.as_deref()));
        dto
    }
}

fn discounts(d: &[AppliedDiscount]) -> Vec<AppliedDiscountDto> {
    d.iter()
        .map(|d| AppliedDiscountDto { promotion_id: d.promotion_id, name: d.name.clone(), amount_minor: d.amount })
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
            shipping_options: None,
        }
    }
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
        return Err(core_app::AppError::unprocessable(
            "currency_mismatch",
            format!("market `{}` charges in {}, not {}", market.id, market.currency, truncate(currency)),
        )
        .into());
    }
    check_destination(&state, market, &body.destination.country)?;
    if body.lines.len() > quote::MAX_LINES {
        return Err(QuoteError::TooManyLines.into());
    }
    let lines: Vec<(Uuid, u32)> = body.lines.iter().map(|l| (l.variant_id, l.quantity)).collect();
    let subdivision = body.destination.subdivision.as_deref().map(str::to_ascii_uppercase);
    let client = state.store.client().await?;
    let priced = price_cart(
        &state,
        &client,
        market,
        &CartToPrice {
            lines: &lines,
            coupons: &body.coupons,
            customer: body.customer_id.as_deref(),
            subdivision: subdivision.as_deref(),
            shipping: Shipping::Amount(body.shipping_minor),
        },
        Promotions::CachedWhenAnonymous,
    )
    .await?;
    drop(client);
    let quote = priced
        .quote
        .ok_or(QuoteError::Tax(core_domain::tax::TaxError::MissingSubdivision { market: market.id.to_string() }))?;
    Ok(Json(quote.into()))
}
