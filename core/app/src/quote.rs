//! Pricing a cart: its lines at the market's current prices, the promotions it may get (live
//! automatic ones and those of the coupons presented), shipping and tax. Quotes, carts and
//! checkout price through here.

mod promotions;

use std::collections::BTreeSet;

use core_domain::quote::{self, Quote, QuoteError, QuoteLine, QuoteRequest};
use core_store::catalog as store;
use http::StatusCode;
use uuid::Uuid;

use crate::App;
use crate::app::truncate;
use crate::error::{AppError, AppResult};

impl From<QuoteError> for AppError {
    fn from(e: QuoteError) -> Self {
        let status = match e {
            QuoteError::Tax(core_domain::tax::TaxError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        AppError::new(status, e.code(), e.to_string())
    }
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// The destination must be in the market's country.
pub fn check_destination(app: &App, market: &regions::Market, country: &str) -> AppResult<()> {
    let country = country.to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(unprocessable("unknown_country", format!("`{}` is not a country code", truncate(&country))));
    }
    if country != market.country {
        return Err(match app.regions.market_for_country(&country) {
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
pub struct CartToPrice<'a> {
    pub lines: &'a [(Uuid, u32)],
    pub coupons: &'a [String],
    pub customer: Option<&'a str>,
    pub subdivision: Option<&'a str>,
    pub shipping: Shipping<'a>,
}

/// How a cart's shipping is charged.
pub enum Shipping<'a> {
    /// This amount (the quote endpoint's what-if).
    Amount(i64),
    /// The chosen option (else the cheapest) among the cart's options, priced from carriers'
    /// rates fetched before (no partner call happens while pricing).
    Options { rates: &'a crate::shipping::RateSheet, chosen: Option<&'a str> },
}

/// A cart's shipping options and the shopper's choice.
pub struct ChargedShipping {
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
pub enum Promotions {
    /// The core's short-lived cache when nothing is shopper-specific (quotes, carts).
    CachedWhenAnonymous,
    /// Always the database (checkout, in its transaction).
    Database,
}

/// A priced cart: the quote (none when a sales-tax market has no destination yet: tax unknown),
/// the promotions applied with the coupon code that activated each.
pub struct PricedCart {
    pub quote: Option<Quote>,
    /// Before tax, when the quote could not be finished.
    pub pretax: Option<Quote>,
    pub codes: Vec<(Uuid, Option<String>)>,
    /// Carts: the shipping options of the cart's weight and destination.
    pub shipping: Option<ChargedShipping>,
}

/// Prices lines in a market from the database, outside any transaction (quotes and carts; see
/// [`price_cart`]).
pub async fn price(
    app: &App,
    market: &regions::Market,
    cart: &CartToPrice<'_>,
    promotions: Promotions,
) -> AppResult<PricedCart> {
    let client = app.store.client().await?;
    price_cart(app, &client, market, cart, promotions).await
}

/// Prices lines in a market from the database (through `client`, which may be a
/// transaction), with live promotions and the presented coupons, and tax.
pub async fn price_cart(
    app: &App,
    client: &impl core_store::Db,
    market: &regions::Market,
    cart: &CartToPrice<'_>,
    promotions: Promotions,
) -> AppResult<PricedCart> {
    if cart.lines.is_empty() {
        return Err(QuoteError::NoLines.into());
    }
    if cart.coupons.len() > 10 {
        return Err(unprocessable("too_many_coupons", "at most 10 coupons"));
    }
    let now = crate::clock::now_micros();
    // The lines and the promotions are read together (one round trip when both go to the
    // database); when both fail, a serialization failure is the error that counts.
    let (lines, promos) = tokio::join!(
        load_lines(app, client, market, cart.lines),
        promotions::for_cart(app, client, market, cart.coupons, cart.customer, now, promotions),
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
    let taxes = app.tax.calculate(&priced.tax_request(market, request.subdivision)).await.map_err(QuoteError::from)?;
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
    app: &App,
    client: &impl core_store::Db,
    market: &regions::Market,
    lines: &[(Uuid, u32)],
) -> AppResult<(Vec<QuoteLine>, i64)> {
    let ids: Vec<Uuid> = lines.iter().map(|l| l.0).collect::<BTreeSet<_>>().into_iter().collect();
    let assortment = core_domain::pricing::assortment_sources(market);
    let source = core_domain::pricing::price_source(&app.regions, market);
    let view = store::MarketView {
        market: market.id.as_str(),
        assortment: &assortment,
        price_source: source.map(|m| m.id.as_str()),
        price_history: false,
    };
    let variants = store::quote_variants(client, view, &ids).await?;
    let meta = app.meta();
    let now = crate::clock::now_micros();
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
        .collect::<AppResult<Vec<QuoteLine>>>()?;
    Ok((lines, weight_grams))
}
