//! A priced cart as the API answers it: lines (with the product's name and the variant's
//! options in the shopper's language), discounts, taxes, shipping and totals, every amount a
//! [`MoneyDto`].

use core_app::catalog::LineLabels;
use core_app::quote::ChargedShipping;
use core_domain::quote::Quote;
use core_store::commerce::order_quote::{DiscountRecord, OrderQuote, TaxRecord};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::lines::{Label, VariantOptionDto};
use super::money::{MoneyDto, in_currency};

#[derive(Serialize, ToSchema)]
pub struct AppliedDiscountDto {
    promotion_id: Uuid,
    name: String,
    amount: MoneyDto,
}

#[derive(Serialize, ToSchema)]
pub struct TaxLineDto {
    name: String,
    /// Decimal percentage string.
    rate_percent: String,
    amount: MoneyDto,
}

#[derive(Serialize, ToSchema)]
pub struct QuotedLineDto {
    variant_id: Uuid,
    sku: String,
    product_id: Uuid,
    /// The product's name in the shopper's language.
    name: String,
    /// The variant's distinguishing attributes (colour, size…) in the shopper's language.
    options: Vec<VariantOptionDto>,
    quantity: u32,
    unit_price: MoneyDto,
    /// `unit_price` × `quantity`.
    subtotal: MoneyDto,
    discounts: Vec<AppliedDiscountDto>,
    discount: MoneyDto,
    total: MoneyDto,
    taxes: Vec<TaxLineDto>,
    tax: MoneyDto,
}

#[derive(Serialize, ToSchema)]
pub struct ShippingDto {
    /// The charge before discounts.
    amount: MoneyDto,
    discounts: Vec<AppliedDiscountDto>,
    total: MoneyDto,
    taxes: Vec<TaxLineDto>,
    tax: MoneyDto,
}

/// What a cart or an order adds up to.
#[derive(Serialize, ToSchema)]
pub struct TotalsDto {
    /// The lines before discounts.
    pub subtotal: MoneyDto,
    pub discount: MoneyDto,
    pub shipping: MoneyDto,
    /// Included in the other amounts in tax-inclusive markets, added on top otherwise.
    pub tax: MoneyDto,
    /// What the shopper pays.
    pub total: MoneyDto,
}

impl TotalsDto {
    pub fn new(currency: &str, subtotal: i64, discount: i64, shipping: i64, tax: i64, total: i64) -> Self {
        let money = in_currency(currency);
        Self {
            subtotal: money(subtotal),
            discount: money(discount),
            shipping: money(shipping),
            tax: money(tax),
            total: money(total),
        }
    }
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
    totals: TotalsDto,
    /// Carts: the ways to ship the cart, and the one in the shipping line.
    #[serde(skip_serializing_if = "Option::is_none")]
    shipping_options: Option<super::shipping::ShippingOptionsDto>,
}

impl QuoteDto {
    /// The quote with the cart's shipping options, as an order keeps it, its lines labelled.
    pub(crate) fn priced(quote: Quote, shipping: Option<&ChargedShipping>, labels: &LineLabels) -> Self {
        let today = time::OffsetDateTime::now_utc().date();
        Self::new(OrderQuote::new(&quote, shipping.map(|s| (&s.options, s.chosen.as_deref())), today), labels)
    }

    fn new(q: OrderQuote, labels: &LineLabels) -> Self {
        let currency = q.currency.as_str();
        let money = in_currency(currency);
        let discounts = |d: Vec<DiscountRecord>| -> Vec<AppliedDiscountDto> {
            d.into_iter()
                .map(|d| AppliedDiscountDto {
                    promotion_id: d.promotion_id,
                    name: d.name,
                    amount: money(d.amount_minor),
                })
                .collect()
        };
        let taxes = |t: Vec<TaxRecord>| -> Vec<TaxLineDto> {
            t.into_iter()
                .map(|t| TaxLineDto { name: t.name, rate_percent: t.rate_percent, amount: money(t.amount_minor) })
                .collect()
        };
        Self {
            market: q.market.clone(),
            currency: q.currency.clone(),
            prices_include_tax: q.prices_include_tax,
            lines: q
                .lines
                .into_iter()
                .map(|l| {
                    let Label { name, options } = Label::of(labels, l.variant_id, &l.sku);
                    QuotedLineDto {
                        variant_id: l.variant_id,
                        sku: l.sku,
                        product_id: l.product_id,
                        name,
                        options,
                        quantity: l.quantity,
                        unit_price: money(l.unit_price_minor),
                        subtotal: money(l.subtotal_minor),
                        discounts: discounts(l.discounts),
                        discount: money(l.discount_minor),
                        total: money(l.total_minor),
                        taxes: taxes(l.taxes),
                        tax: money(l.tax_minor),
                    }
                })
                .collect(),
            shipping: ShippingDto {
                amount: money(q.shipping.amount_minor),
                discounts: discounts(q.shipping.discounts),
                total: money(q.shipping.total_minor),
                taxes: taxes(q.shipping.taxes),
                tax: money(q.shipping.tax_minor),
            },
            promotions: discounts(q.promotions),
            totals: TotalsDto::new(
                currency,
                q.subtotal_minor,
                q.discount_minor,
                q.shipping_minor,
                q.tax_minor,
                q.total_minor,
            ),
            shipping_options: q.shipping_options.map(|o| super::shipping::ShippingOptionsDto::new(o, currency)),
        }
    }
}
