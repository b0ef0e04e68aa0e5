//! A priced cart as the API answers it: lines, discounts, taxes, shipping and totals in minor
//! units.

use core_app::quote::ChargedShipping;
use core_domain::quote::{AppliedDiscount, Quote};
use core_domain::tax::TaxLine;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

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
    shipping_options: Option<super::shipping::ShippingOptionsDto>,
}

impl QuoteDto {
    /// The quote with the cart's shipping options.
    pub(crate) fn priced(quote: Quote, shipping: Option<&ChargedShipping>) -> Self {
        let mut dto = Self::from(quote);
        dto.shipping_options =
            shipping.map(|s| super::shipping::ShippingOptionsDto::new(&s.options, s.chosen.as_deref()));
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
