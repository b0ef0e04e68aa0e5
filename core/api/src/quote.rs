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
use crate::state::{AppState, truncate};

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

/// The destination must be in the market's country.
pub(crate) fn check_destination(state: &AppState, market: &regions::Market, country: &str) -> ApiResult<()> {
    let country = country.to_ascii_uppercase();
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
    Ok(())
}

/// What to price: lines (variant, quantity), coupons, the shopper, the destination.
pub(crate) struct CartToPrice<'a> {
    pub lines: &'a [(Uuid, u32)],
    pub coupons: &'a [String],
    pub customer: Option<&'a str>,
    pub subdivision: Option<&'a str>,
    pub shipping: Shipping<'a>,
}

/// How a cart's shipping is charged.
pub(crate) enum Shipping<'a> {
    /// This amount (the quote endpoint's what-if).
    Amount(i64),
    /// The chosen option (else the cheapest) among the cart's options, priced from carriers'
    /// rates fetched before (no partner call happens while pricing).
    Options { rates: &'a crate::shipping::RateSheet, chosen: Option<&'a str> },
}

/// A cart's shipping options and the shopper's choice.
pub(crate) struct ChargedShipping {
    pub options: core_domain::shipping_options::ShippingOptions,
    pub chosen: Option<String>,
}

impl ChargedShipping {
    /// The option in the shipping line: the choice while offered, else the cheapest.
    pub fn charged(&self) -> Option<&core_domain::shipping_options::ShippingOption> {
        self.options.charged(self.chosen.as_deref())
    }
}

/// Where promotions come from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Promotions {
    /// The core's short-lived cache when nothing is shopper-specific (quotes, carts).
    CachedWhenAnonymous,
    /// Always the database (checkout, in its transaction).
    Database,
}

/// A priced cart: the quote (none when a sales-tax market has no destination yet: tax unknown),
/// the promotions applied with the coupon code that activated each.
pub(crate) struct PricedCart {
    pub quote: Option<Quote>,
    /// Before tax, when the quote could not be finished.
    pub pretax: Option<Quote>,
    pub codes: Vec<(Uuid, Option<String>)>,
    /// Carts: the shipping options of the cart's weight and destination.
    pub shipping: Option<ChargedShipping>,
}

/// Prices lines in a market from the database (through `client`, which may be a
/// transaction), with live promotions and the presented coupons, and tax.
pub(crate) async fn price_cart(
    state: &AppState,
    client: &impl core_store::GenericClient,
    market: &regions::Market,
    cart: &CartToPrice<'_>,
    promotions: Promotions,
) -> ApiResult<PricedCart> {
    if cart.lines.is_empty() {
        return Err(QuoteError::NoLines.into());
    }
    if cart.coupons.len() > 10 {
        return Err(unprocessable("too_many_coupons", "at most 10 coupons"));
    }
    let now = crate::catalog::now_micros();
    // The lines and the promotions are read together (one round trip when both go to the
    // database); when both fail, a serialization failure is the error that counts.
    let (lines, promos) = tokio::join!(
        load_lines(state, client, market, cart.lines),
        crate::promotion_source::for_cart(state, client, market, cart.coupons, cart.customer, now, promotions),
    );
    let ((lines, weight_grams), (promos, codes)) = match (lines, promos) {
        (Ok(lines), Ok(promos)) => (lines, promos),
        (Err(a), Err(b)) => return Err(if b.retryable && !a.retryable { b } else { a }),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let (shipping_amount, shipping) = match &cart.shipping {
        Shipping::Amount(amount) => (*amount, None),
        Shipping::Options { rates, chosen } => {
            let charged =
                ChargedShipping { options: rates.options(market, weight_grams), chosen: chosen.map(str::to_string) };
            (charged.charged().map_or(0, |o| o.amount_minor), Some(charged))
        }
    };
    let request = QuoteRequest {
        market,
        subdivision: cart.subdivision,
        lines,
        shipping: shipping_amount,
        promotions: &promos,
        now,
    };
    let priced = quote::price(&request)?;
    let sales_tax = matches!(market.tax.regime, regions::TaxRegime::SalesTax { .. });
    if sales_tax && cart.subdivision.is_none() {
        // No destination yet: the tax cannot be known. The discounts can.
        let pretax = priced.finish(core_domain::tax::TaxResult {
            lines: vec![Vec::new(); request.lines.len()],
            shipping: Vec::new(),
        })?;
        let applied = pretax.promotions.iter().map(|p| (p.promotion_id, codes_of(&codes, p.promotion_id))).collect();
        return Ok(PricedCart { quote: None, pretax: Some(pretax), codes: applied, shipping });
    }
    let taxes =
        state.tax.calculate(&priced.tax_request(market, request.subdivision)).await.map_err(QuoteError::from)?;
    let quote = priced.finish(taxes)?;
    let applied = quote.promotions.iter().map(|p| (p.promotion_id, codes_of(&codes, p.promotion_id))).collect();
    Ok(PricedCart { quote: Some(quote), pretax: None, codes: applied, shipping })
}

fn codes_of(codes: &[(Uuid, String)], promotion: Uuid) -> Option<String> {
    codes.iter().find(|(id, _)| *id == promotion).map(|(_, c)| c.clone())
}

/// The lines at the market's current prices, from the database, and their shipping weight in
/// grams.
async fn load_lines(
    state: &AppState,
    client: &impl core_store::GenericClient,
    market: &regions::Market,
    lines: &[(Uuid, u32)],
) -> ApiResult<(Vec<QuoteLine>, i64)> {
    let ids: Vec<Uuid> = lines.iter().map(|l| l.0).collect::<BTreeSet<_>>().into_iter().collect();
    let assortment = core_domain::pricing::assortment_sources(market);
    let source = core_domain::pricing::price_source(&state.regions, market);
    let view = store::MarketView {
        market: market.id.as_str(),
        assortment: &assortment,
        price_source: source.map(|m| m.id.as_str()),
        price_history: false,
    };
    let variants = store::quote_variants(client, view, &ids).await?;
    let meta = state.meta();
    let now = crate::catalog::now_micros();
    let mut weight_grams = 0i64;
    let lines = lines
        .iter()
        .map(|&(variant, quantity)| {
            let v = variants
                .iter()
                .find(|v| v.id == variant)
                .ok_or_else(|| unprocessable("unknown_variant", format!("no variant `{variant}`")))?;
            let regular =
                core_domain::pricing::regular_price(market, source, v.explicit_amount, v.base_amount, &v.tax_category);
            let (true, Some(regular)) = (v.sold, regular) else {
                return Err(unprocessable(
                    "not_sold_in_market",
                    format!("`{}` is not sold in market `{}`", v.sku, market.id),
                ));
            };
            let (unit_price, _) = core_domain::pricing::current_price(regular, &v.sales, now);
            weight_grams = weight_grams.saturating_add(v.weight_grams.saturating_mul(i64::from(quantity)));
            Ok(QuoteLine {
                variant_id: v.id,
                sku: v.sku.clone(),
                product_id: v.product_id,
                categories: meta.breadcrumbs(v.category_id).iter().map(|c| c.id).collect(),
                tax_category: v.tax_category.clone(),
                unit_price,
                quantity,
            })
        })
        .collect::<ApiResult<Vec<QuoteLine>>>()?;
    Ok((lines, weight_grams))
}
