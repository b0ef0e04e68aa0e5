//! Tax: the provider trait, and the built-in provider that computes VAT/GST and sales tax from
//! the market's rules in `regions/`.
//!
//! An external tax service is one more [`TaxProvider`]; the service layer calls providers with
//! a timeout and applies the market's [`FailPolicy`] when one does not answer.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use regions::rules::{RoundingLevel, TaxRegime};
use regions::{Market, Rate};

use crate::money::{self, Exact, MoneyError};

/// A line to tax: its amount after discounts (tax-inclusive when the market's prices are).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxableLine {
    /// A stable key of the line (its SKU): where rounding remainders go does not depend on the
    /// order of the lines.
    pub key: String,
    pub tax_category: String,
    pub amount: i64,
    pub quantity: u32,
}

/// What to tax.
#[derive(Clone, Debug)]
pub struct TaxRequest<'a> {
    pub market: &'a Market,
    /// Destination state or province (ISO 3166-2 suffix), for sales-tax markets.
    pub subdivision: Option<&'a str>,
    pub lines: Vec<TaxableLine>,
    /// Shipping after discounts (tax-inclusive when the market's prices are).
    pub shipping: i64,
}

/// One tax on one line (or on shipping).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxLine {
    /// `TVA`, `GST`, `QST`, `Sales tax`…
    pub name: String,
    pub rate: Rate,
    /// Minor units.
    pub amount: i64,
}

/// Taxes of each line (same order as the request) and of shipping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxResult {
    pub lines: Vec<Vec<TaxLine>>,
    pub shipping: Vec<TaxLine>,
}

impl TaxResult {
    pub fn total(&self) -> i64 {
        self.lines.iter().flatten().chain(&self.shipping).map(|t| t.amount).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    #[error("a destination state or province is needed for market `{market}`")]
    MissingSubdivision { market: String },
    #[error("market `{market}` does not ship to `{subdivision}`")]
    UnknownSubdivision { market: String, subdivision: String },
    #[error("no rate for tax category `{category}` in market `{market}`")]
    UnknownCategory { market: String, category: String },
    #[error("tax provider unavailable: {0}")]
    Unavailable(String),
    #[error("amount out of range")]
    Overflow,
}

impl From<MoneyError> for TaxError {
    fn from(_: MoneyError) -> Self {
        Self::Overflow
    }
}

/// What to do when the tax provider fails or times out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailPolicy {
    /// Refuse the quote or checkout (the safe default for a provider that owns the rates).
    Reject,
    /// Fall back to the built-in tables of the market file.
    UseTables,
}

pub type TaxFuture<'a> = Pin<Box<dyn Future<Output = Result<TaxResult, TaxError>> + Send + 'a>>;

/// Computes taxes. Implementations must be deterministic for the same request.
pub trait TaxProvider: Send + Sync {
    fn name(&self) -> &str;
    fn calculate<'a>(&'a self, request: &'a TaxRequest<'a>) -> TaxFuture<'a>;
}

/// The built-in provider: the market file's VAT rates or sales-tax table, rounded as the
/// market says.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableTaxProvider;

impl TaxProvider for TableTaxProvider {
    fn name(&self) -> &str {
        "tables"
    }

    fn calculate<'a>(&'a self, request: &'a TaxRequest<'a>) -> TaxFuture<'a> {
        Box::pin(std::future::ready(compute(request)))
    }
}

/// The taxes (name, rate) that apply to an amount of `category`, or to shipping.
fn components(request: &TaxRequest<'_>, category: Option<&str>) -> Result<Vec<(String, Rate)>, TaxError> {
    let market = request.market;
    match &market.tax.regime {
        TaxRegime::Vat { name, rates } => {
            let category = category.unwrap_or(&market.tax.shipping_category);
            let rate = rates.get(category).ok_or_else(|| TaxError::UnknownCategory {
                market: market.id.to_string(),
                category: category.to_string(),
            })?;
            Ok(vec![(name.clone(), *rate)])
        }
        TaxRegime::SalesTax { subdivisions } => {
            let code =
                request.subdivision.ok_or_else(|| TaxError::MissingSubdivision { market: market.id.to_string() })?;
            let sub = subdivisions.get(code).ok_or_else(|| TaxError::UnknownSubdivision {
                market: market.id.to_string(),
                subdivision: code.chars().take(8).collect(),
            })?;
            let taxed = match category {
                Some(c) => !sub.exempt.iter().any(|e| e == c),
                None => sub.shipping_taxable,
            };
            Ok(if taxed { sub.components.iter().map(|c| (c.name.clone(), c.rate)).collect() } else { Vec::new() })
        }
    }
}

/// Computes the taxes of a request from the market's tables.
pub fn compute(request: &TaxRequest<'_>) -> Result<TaxResult, TaxError> {
    let pricing = &request.market.pricing;
    let (inclusive, mode) = (pricing.prices_include_tax, pricing.rounding_mode);
    // Items: the lines, then shipping (key sorted after every SKU).
    struct Item<'k> {
        key: (u8, &'k str),
        amount: i64,
        quantity: u32,
        taxes: Vec<(String, Rate)>,
    }
    let mut items = Vec::with_capacity(request.lines.len() + 1);
    for line in &request.lines {
        items.push(Item {
            key: (0, line.key.as_str()),
            amount: line.amount,
            quantity: line.quantity.max(1),
            taxes: components(request, Some(&line.tax_category))?,
        });
    }
    items.push(Item { key: (1, ""), amount: request.shipping, quantity: 1, taxes: components(request, None)? });

    let mut out: Vec<Vec<TaxLine>> = items.iter().map(|_| Vec::new()).collect();
    match pricing.rounding_level {
        RoundingLevel::Line | RoundingLevel::Unit => {
            for (item, taxes) in items.iter().zip(&mut out) {
                for (name, rate) in &item.taxes {
                    let amount = if pricing.rounding_level == RoundingLevel::Unit && item.quantity > 1 {
                        // Tax of one unit, rounded, times the quantity.
                        let unit = Exact::tax(item.amount, *rate, inclusive);
                        let per_unit =
                            Exact { num: unit.num, den: unit.den * i128::from(item.quantity) }.round(mode)?;
                        per_unit.checked_mul(i64::from(item.quantity)).ok_or(TaxError::Overflow)?
                    } else {
                        Exact::tax(item.amount, *rate, inclusive).round(mode)?
                    };
                    taxes.push(TaxLine { name: name.clone(), rate: *rate, amount });
                }
            }
        }
        RoundingLevel::Total => {
            // One rounding per (tax, rate) over everything it applies to, then allocated back
            // in proportion to the amounts, remainders by key.
            let mut groups: BTreeMap<(String, Rate), Vec<usize>> = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                for tax in &item.taxes {
                    groups.entry(tax.clone()).or_default().push(i);
                }
            }
            for ((name, rate), members) in groups {
                let base: i64 = members.iter().map(|&i| items[i].amount).sum();
                let total = Exact::tax(base, rate, inclusive).round(mode)?;
                let weights: Vec<((u8, &str), i64)> =
                    members.iter().map(|&i| (items[i].key, items[i].amount)).collect();
                for (&i, amount) in members.iter().zip(money::allocate(total, &weights)) {
                    out[i].push(TaxLine { name: name.clone(), rate, amount });
                }
            }
        }
    }
    let shipping = out.pop().unwrap_or_default();
    Ok(TaxResult { lines: out, shipping })
}
