//! The quote an order was placed with, as the order keeps it (`orders.quote`, JSONB): every
//! line with its discounts and taxes, the shipping line, the applied promotions, the totals,
//! and the shipping options the cart offered. The API answers quotes in its own types; this
//! record is what is persisted, so that its JSON shape stays what the stored rows hold
//! whatever the API's answers become.
//!
//! The shape is the one orders have always been stored with: amounts in minor units under
//! `*_minor` keys, percentages as decimal strings (`rate_percent`), dates as `YYYY-MM-DD`.

use core_domain::quote::{AppliedDiscount, Quote};
use core_domain::shipping_options::ShippingOptions;
use core_domain::tax::TaxLine;
use deadpool_postgres::GenericClient;
use postgres_types::Json;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::Result;
use crate::{Prepared, StoreError};

/// A priced cart as the order recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderQuote {
    pub market: String,
    /// ISO 4217.
    pub currency: String,
    /// Line and shipping amounts include tax (VAT/GST) or not (sales tax, added on top).
    pub prices_include_tax: bool,
    pub lines: Vec<QuotedLineRecord>,
    pub shipping: ShippingLineRecord,
    /// Each applied promotion with its whole discount.
    pub promotions: Vec<DiscountRecord>,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// The ways the cart could ship, and the one charged (absent for a quote priced with a
    /// given shipping amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_options: Option<ShippingOptionsRecord>,
}

/// A promotion's discount on a line, the shipping, or the whole order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountRecord {
    pub promotion_id: Uuid,
    pub name: String,
    pub amount_minor: i64,
}

/// A tax on a line or on the shipping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRecord {
    /// `TVA`, `GST`, `Sales tax`…
    pub name: String,
    /// Decimal percentage string (`20`, `8.875`).
    pub rate_percent: String,
    pub amount_minor: i64,
}

/// A line of the quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedLineRecord {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_id: Uuid,
    pub quantity: u32,
    pub unit_price_minor: i64,
    pub subtotal_minor: i64,
    pub discounts: Vec<DiscountRecord>,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub taxes: Vec<TaxRecord>,
    pub tax_minor: i64,
}

/// The shipping line of the quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingLineRecord {
    pub amount_minor: i64,
    pub discounts: Vec<DiscountRecord>,
    pub total_minor: i64,
    pub taxes: Vec<TaxRecord>,
    pub tax_minor: i64,
}

/// The cart's shipping options when the order was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOptionsRecord {
    pub options: Vec<ShippingOptionRecord>,
    pub cheapest: Option<String>,
    pub fastest: Option<String>,
    /// The shopper's choice, when made.
    pub chosen: Option<String>,
    /// The option in the shipping line: the choice while it was offered, else the cheapest.
    pub charged: Option<String>,
}

/// One shipping option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOptionRecord {
    /// `carrier:service`.
    pub id: String,
    pub carrier: String,
    pub service: String,
    pub amount_minor: i64,
    pub transit_days_min: u16,
    pub transit_days_max: u16,
    /// Delivery window had the order shipped that day (`YYYY-MM-DD`).
    pub eta_earliest: String,
    pub eta_latest: String,
    /// `carrier` (its rate API) or `fallback` (the market's table).
    pub source: String,
    pub cheapest: bool,
    pub fastest: bool,
}

impl OrderQuote {
    /// The record of `quote`, with the cart's shipping options and the shopper's choice among
    /// them when it was priced from carriers' options; delivery windows count from `today`.
    pub fn new(quote: &Quote, shipping: Option<(&ShippingOptions, Option<&str>)>, today: Date) -> Self {
        Self {
            market: quote.market.clone(),
            currency: quote.currency.to_string(),
            prices_include_tax: quote.prices_include_tax,
            lines: quote
                .lines
                .iter()
                .map(|l| QuotedLineRecord {
                    variant_id: l.variant_id,
                    sku: l.sku.clone(),
                    product_id: l.product_id,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price,
                    subtotal_minor: l.subtotal,
                    discounts: DiscountRecord::of(&l.discounts),
                    discount_minor: l.discount_total,
                    total_minor: l.total,
                    taxes: TaxRecord::of(&l.taxes),
                    tax_minor: l.tax_total,
                })
                .collect(),
            shipping: ShippingLineRecord {
                amount_minor: quote.shipping.amount,
                discounts: DiscountRecord::of(&quote.shipping.discounts),
                total_minor: quote.shipping.total,
                taxes: TaxRecord::of(&quote.shipping.taxes),
                tax_minor: quote.shipping.tax_total,
            },
            promotions: DiscountRecord::of(&quote.promotions),
            subtotal_minor: quote.subtotal,
            discount_minor: quote.discount_total,
            shipping_minor: quote.shipping_total,
            tax_minor: quote.tax_total,
            total_minor: quote.total,
            shipping_options: shipping.map(|(options, chosen)| ShippingOptionsRecord::new(options, chosen, today)),
        }
    }
}

impl DiscountRecord {
    pub fn of(discounts: &[AppliedDiscount]) -> Vec<Self> {
        discounts
            .iter()
            .map(|d| Self { promotion_id: d.promotion_id, name: d.name.clone(), amount_minor: d.amount })
            .collect()
    }
}

impl TaxRecord {
    pub fn of(taxes: &[TaxLine]) -> Vec<Self> {
        taxes
            .iter()
            .map(|t| Self { name: t.name.clone(), rate_percent: t.rate.percent_string(), amount_minor: t.amount })
            .collect()
    }
}

impl ShippingOptionsRecord {
    /// The options with the shopper's choice; delivery windows count from `today`.
    pub fn new(options: &ShippingOptions, chosen: Option<&str>, today: Date) -> Self {
        let day = |n: u16| (today + time::Duration::days(i64::from(n))).to_string();
        let is = |id: &Option<String>, o: &str| id.as_deref() == Some(o);
        Self {
            options: options
                .options
                .iter()
                .map(|o| ShippingOptionRecord {
                    id: o.id.clone(),
                    carrier: o.carrier.clone(),
                    service: o.service.clone(),
                    amount_minor: o.amount_minor,
                    transit_days_min: o.transit_min_days,
                    transit_days_max: o.transit_max_days,
                    eta_earliest: day(o.transit_min_days),
                    eta_latest: day(o.transit_max_days),
                    source: o.source.as_str().to_string(),
                    cheapest: is(&options.cheapest, &o.id),
                    fastest: is(&options.fastest, &o.id),
                })
                .collect(),
            cheapest: options.cheapest.clone(),
            fastest: options.fastest.clone(),
            chosen: chosen.map(str::to_string),
            charged: options.charged(chosen).map(|o| o.id.clone()),
        }
    }
}

/// The quote an order was placed with; `None` when there is no such order.
pub async fn order_quote(client: &impl GenericClient, order: Uuid) -> Result<Option<OrderQuote>> {
    let Some(row) = client.query_opt_cached("SELECT quote FROM orders WHERE id = $1", &[&order]).await? else {
        return Ok(None);
    };
    let Json(quote) = row
        .try_get::<_, Json<OrderQuote>>(0)
        .map_err(|e| StoreError::Schema(format!("order {order}: unreadable quote: {e}")))?;
    Ok(Some(quote))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An order's quote as stored before this record existed (the API's quote answer,
    /// serialized): it reads, and writes back to the same JSON.
    #[test]
    fn stored_quotes_read_and_write_back_unchanged() {
        let stored = serde_json::json!({
            "market": "us", "currency": "USD", "prices_include_tax": false,
            "lines": [{
                "variant_id": "0b9d3c3e-6a43-4a8e-9a57-6d3c3a1f2b10", "sku": "P000001-RED-M",
                "product_id": "4f1d1f0e-2f55-4b8e-8d5e-0c6f3b2a9e11", "quantity": 2,
                "unit_price_minor": 2500, "subtotal_minor": 5000,
                "discounts": [{"promotion_id": "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "name": "Spring", "amount_minor": 500}],
                "discount_minor": 500, "total_minor": 4500,
                "taxes": [{"name": "Sales tax", "rate_percent": "8.875", "amount_minor": 399}], "tax_minor": 399
            }],
            "shipping": {"amount_minor": 700, "discounts": [], "total_minor": 700, "taxes": [], "tax_minor": 0},
            "promotions": [{"promotion_id": "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "name": "Spring", "amount_minor": 500}],
            "subtotal_minor": 5000, "discount_minor": 500, "shipping_minor": 700, "tax_minor": 399, "total_minor": 5599,
            "shipping_options": {
                "options": [{
                    "id": "parcelo:standard", "carrier": "parcelo", "service": "standard", "amount_minor": 700,
                    "transit_days_min": 2, "transit_days_max": 4, "eta_earliest": "2025-03-03",
                    "eta_latest": "2025-03-05", "source": "fallback", "cheapest": true, "fastest": false
                }],
                "cheapest": "parcelo:standard", "fastest": null, "chosen": null, "charged": "parcelo:standard"
            }
        });
        let record: OrderQuote = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(record.lines[0].taxes[0].rate_percent, "8.875");
        assert_eq!(serde_json::to_value(&record).unwrap(), stored);

        // Without shipping options (a quote priced with a given shipping amount), the key is absent.
        let mut without = stored.clone();
        without.as_object_mut().unwrap().remove("shipping_options");
        let record: OrderQuote = serde_json::from_value(without.clone()).unwrap();
        assert_eq!(record.shipping_options, None);
        assert_eq!(serde_json::to_value(&record).unwrap(), without);
    }
}
