//! A priced cart as the API answers it: lines, discounts, taxes, shipping and totals in minor
//! units.

use core_app::quote::ChargedShipping;
use core_domain::quote::Quote;
use core_store::commerce::order_quote::{DiscountRecord, OrderQuote, TaxRecord};
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
    currency: String,
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
    /// The quote with the cart's shipping options, as an order keeps it.
    pub(crate) fn priced(quote: Quote, shipping: Option<&ChargedShipping>) -> Self {
        let today = time::OffsetDateTime::now_utc().date();
        OrderQuote::new(&quote, shipping.map(|s| (&s.options, s.chosen.as_deref())), today).into()
    }
}

fn discounts(d: Vec<DiscountRecord>) -> Vec<AppliedDiscountDto> {
    d.into_iter()
        .map(|d| AppliedDiscountDto { promotion_id: d.promotion_id, name: d.name, amount_minor: d.amount_minor })
        .collect()
}

fn taxes(t: Vec<TaxRecord>) -> Vec<TaxLineDto> {
    t.into_iter()
        .map(|t| TaxLineDto { name: t.name, rate_percent: t.rate_percent, amount_minor: t.amount_minor })
        .collect()
}

impl From<OrderQuote> for QuoteDto {
    fn from(q: OrderQuote) -> Self {
        Self {
            market: q.market,
            currency: q.currency,
            prices_include_tax: q.prices_include_tax,
            lines: q
                .lines
                .into_iter()
                .map(|l| QuotedLineDto {
                    variant_id: l.variant_id,
                    sku: l.sku,
                    product_id: l.product_id,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                    subtotal_minor: l.subtotal_minor,
                    discounts: discounts(l.discounts),
                    discount_minor: l.discount_minor,
                    total_minor: l.total_minor,
                    taxes: taxes(l.taxes),
                    tax_minor: l.tax_minor,
                })
                .collect(),
            shipping: ShippingDto {
                amount_minor: q.shipping.amount_minor,
                discounts: discounts(q.shipping.discounts),
                total_minor: q.shipping.total_minor,
                taxes: taxes(q.shipping.taxes),
                tax_minor: q.shipping.tax_minor,
            },
            promotions: discounts(q.promotions),
            subtotal_minor: q.subtotal_minor,
            discount_minor: q.discount_minor,
            shipping_minor: q.shipping_minor,
            tax_minor: q.tax_minor,
            total_minor: q.total_minor,
            shipping_options: q.shipping_options.map(Into::into),
        }
    }
}
