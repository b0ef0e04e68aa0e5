//! The quote: a market, lines at their market prices, a destination, shipping and the live
//! promotions become the full breakdown in minor units: discounts per line and promotion,
//! tax lines per line and for shipping, and totals that add up exactly. Checkout uses the same
//! function.
//!
//! Two steps, because tax may come from an external provider: [`price`] applies promotions and
//! says what to tax ([`Priced::tax_request`]); [`Priced::finish`] takes the taxes and builds the
//! [`Quote`]. [`quote_with_tables`] does both with the market's own tax tables.
//!
//! Results do not depend on the order of the lines: lines are merged by variant and sorted by
//! SKU, and every remainder of a split goes by SKU.

use regions::rules::{RATE_SCALE, RoundingLevel};
use regions::{Market, Rate, RoundingMode};
use uuid::Uuid;

use crate::catalog::MAX_AMOUNT_MINOR;
use crate::money::{self, round_div};
use crate::promotions::{Discount, Promotion, PromotionKind};
use crate::tax::{self, TaxError, TaxLine, TaxRequest, TaxResult, TaxableLine};

/// Most lines in one quote, and most units of one line.
pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: u32 = 999;

/// A line to quote, at the market's price (tax-inclusive when the market's prices are).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuoteLine {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_id: Uuid,
    /// The product's category and all its ancestors (promotion targets).
    pub categories: Vec<Uuid>,
    pub tax_category: String,
    pub unit_price: i64,
    pub quantity: u32,
}

#[derive(Clone, Debug)]
pub struct QuoteRequest<'a> {
    pub market: &'a Market,
    /// Destination state or province (sales-tax markets).
    pub subdivision: Option<&'a str>,
    pub lines: Vec<QuoteLine>,
    /// Shipping charge before discounts (a placeholder until carriers quote it).
    pub shipping: i64,
    /// Candidate promotions; those not live in the market at `now` are ignored. Coupon
    /// promotions must only be passed when their code was presented and has uses left.
    pub promotions: &'a [Promotion],
    /// Microseconds since the Unix epoch.
    pub now: i64,
}

/// A promotion's share of a line (or of shipping, or of the whole order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedDiscount {
    pub promotion_id: Uuid,
    pub name: String,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotedLine {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_id: Uuid,
    pub tax_category: String,
    pub quantity: u32,
    pub unit_price: i64,
    /// `unit_price × quantity`.
    pub subtotal: i64,
    pub discounts: Vec<AppliedDiscount>,
    pub discount_total: i64,
    /// `subtotal − discount_total`, never negative.
    pub total: i64,
    pub taxes: Vec<TaxLine>,
    pub tax_total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotedShipping {
    pub amount: i64,
    pub discounts: Vec<AppliedDiscount>,
    pub total: i64,
    pub taxes: Vec<TaxLine>,
    pub tax_total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub market: String,
    pub currency: &'static str,
    /// Amounts include tax (VAT/GST markets) or not (sales-tax markets: tax comes on top).
    pub prices_include_tax: bool,
    pub lines: Vec<QuotedLine>,
    pub shipping: QuotedShipping,
    /// Each applied promotion with its whole discount.
    pub promotions: Vec<AppliedDiscount>,
    pub subtotal: i64,
    pub discount_total: i64,
    pub shipping_total: i64,
    pub tax_total: i64,
    /// What the shopper pays.
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("a quote needs at least one line")]
    NoLines,
    #[error("at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("quantity of `{sku}` must be between 1 and {MAX_QUANTITY}")]
    InvalidQuantity { sku: String },
    #[error("variant `{sku}` appears with two different prices")]
    InconsistentLine { sku: String },
    #[error("price out of range")]
    InvalidPrice,
    #[error(transparent)]
    Tax(#[from] TaxError),
    #[error("amount out of range")]
    Overflow,
}

impl QuoteError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoLines => "no_lines",
            Self::TooManyLines => "too_many_lines",
            Self::InvalidQuantity { .. } => "invalid_quantity",
            Self::InconsistentLine { .. } => "invalid_line",
            Self::InvalidPrice => "invalid_price",
            Self::Tax(TaxError::MissingSubdivision { .. }) => "missing_subdivision",
            Self::Tax(TaxError::UnknownSubdivision { .. }) => "unknown_subdivision",
            Self::Tax(TaxError::UnknownCategory { .. }) => "unknown_tax_category",
            Self::Tax(TaxError::Unavailable(_)) => "tax_unavailable",
            Self::Tax(TaxError::Overflow) | Self::Overflow => "amount_out_of_range",
        }
    }
}

impl From<money::MoneyError> for QuoteError {
    fn from(_: money::MoneyError) -> Self {
        Self::Overflow
    }
}

/// Lines with their discounts, before tax.
#[derive(Clone, Debug)]
pub struct Priced {
    market: String,
    currency: &'static str,
    prices_include_tax: bool,
    lines: Vec<QuotedLine>,
    shipping: i64,
    shipping_discounts: Vec<AppliedDiscount>,
}

/// `amount × (1 − rate)` rounded: the amount left after a percentage discount.
fn after_percent(amount: i64, rate: Rate, mode: RoundingMode) -> Result<i64, QuoteError> {
    let keep = i128::from(RATE_SCALE - rate.nanos());
    let left = round_div(i128::from(amount) * keep, i128::from(RATE_SCALE), mode);
    i64::try_from(left).map_err(|_| QuoteError::Overflow)
}

/// The discount of `percent` on a line currently at `amount` for `quantity` units, rounded at
/// the market's level (per unit, or per line); clamped to `0..=amount`.
fn percent_of_line(
    amount: i64,
    quantity: u32,
    percent: Rate,
    level: RoundingLevel,
    mode: RoundingMode,
) -> Result<i64, QuoteError> {
    let discount = if level == RoundingLevel::Unit && quantity > 1 {
        // Each unit's price after the discount is rounded, then multiplied back.
        let keep = i128::from(RATE_SCALE - percent.nanos());
        let unit_left = round_div(i128::from(amount) * keep, i128::from(RATE_SCALE) * i128::from(quantity), mode);
        i128::from(amount) - unit_left * i128::from(quantity)
    } else {
        i128::from(amount - after_percent(amount, percent, mode)?)
    };
    Ok(discount.clamp(0, i128::from(amount)) as i64)
}

/// The catalog promotion that applies to `quantity` units of `product` (in `categories`) at
/// `amount` in all, with its discount: the highest priority, then the largest discount, then
/// the smallest id. The catalog shows the same reduction the quote applies.
pub fn best_catalog_discount<'p>(
    promotions: &[&'p Promotion],
    product: Uuid,
    categories: &[Uuid],
    amount: i64,
    quantity: u32,
    level: RoundingLevel,
    mode: RoundingMode,
) -> Result<Option<(&'p Promotion, i64)>, QuoteError> {
    let mut best: Option<(&Promotion, i64)> = None;
    for p in promotions.iter().copied() {
        let PromotionKind::Catalog { target, discount } = &p.kind else { continue };
        if !target.matches(product, categories) {
            continue;
        }
        let discount = match discount {
            Discount::Percent(rate) => percent_of_line(amount, quantity, *rate, level, mode)?,
            Discount::Amount(per_unit) => {
                let unit = amount / i64::from(quantity.max(1));
                (*per_unit).min(unit).checked_mul(i64::from(quantity)).ok_or(QuoteError::Overflow)?
            }
        };
        let better = match best {
            None => true,
            Some((b, b_amount)) => {
                (p.priority, discount, std::cmp::Reverse(p.id)) > (b.priority, b_amount, std::cmp::Reverse(b.id))
            }
        };
        if better {
            best = Some((p, discount.clamp(0, amount)));
        }
    }
    Ok(best)
}

/// Applies promotions to the lines.
pub fn price(request: &QuoteRequest<'_>) -> Result<Priced, QuoteError> {
    let market = request.market;
    let (level, mode) = (market.pricing.rounding_level, market.pricing.rounding_mode);
    if request.lines.is_empty() {
        return Err(QuoteError::NoLines);
    }
    if request.lines.len() > MAX_LINES {
        return Err(QuoteError::TooManyLines);
    }
    if !(0..=MAX_AMOUNT_MINOR).contains(&request.shipping) {
        return Err(QuoteError::InvalidPrice);
    }

    // Merge lines of the same variant; canonical order by SKU.
    let mut lines: Vec<QuotedLine> = Vec::with_capacity(request.lines.len());
    let mut sources: Vec<&QuoteLine> = request.lines.iter().collect();
    sources.sort_by(|a, b| (&a.sku, a.variant_id).cmp(&(&b.sku, b.variant_id)));
    let mut categories: Vec<&[Uuid]> = Vec::new();
    for line in sources {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(QuoteError::InvalidQuantity { sku: line.sku.clone() });
        }
        if !(0..=MAX_AMOUNT_MINOR).contains(&line.unit_price) {
            return Err(QuoteError::InvalidPrice);
        }
        if let Some(last) = lines.last_mut()
            && last.variant_id == line.variant_id
        {
            if last.unit_price != line.unit_price {
                return Err(QuoteError::InconsistentLine { sku: line.sku.clone() });
            }
            last.quantity += line.quantity;
            if last.quantity > MAX_QUANTITY {
                return Err(QuoteError::InvalidQuantity { sku: line.sku.clone() });
            }
            continue;
        }
        categories.push(&line.categories);
        lines.push(QuotedLine {
            variant_id: line.variant_id,
            sku: line.sku.clone(),
            product_id: line.product_id,
            tax_category: line.tax_category.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            subtotal: 0,
            discounts: Vec::new(),
            discount_total: 0,
            total: 0,
            taxes: Vec::new(),
            tax_total: 0,
        });
    }
    for line in &mut lines {
        line.subtotal = line.unit_price.checked_mul(i64::from(line.quantity)).ok_or(QuoteError::Overflow)?;
        line.total = line.subtotal;
    }

    let market_id = market.id.as_str();
    let live: Vec<&Promotion> = request.promotions.iter().filter(|p| p.is_live(market_id, request.now)).collect();
    let give = |line: &mut QuotedLine, p: &Promotion, amount: i64| {
        if amount > 0 {
            line.discounts.push(AppliedDiscount { promotion_id: p.id, name: p.name.clone(), amount });
            line.discount_total += amount;
            line.total -= amount;
        }
    };

    // Catalog stage: the best catalog promotion of each line.
    for (i, line) in lines.iter_mut().enumerate() {
        let best =
            best_catalog_discount(&live, line.product_id, categories[i], line.total, line.quantity, level, mode)?;
        if let Some((p, amount)) = best {
            give(line, p, amount.min(line.total));
        }
    }

    // Order stage, in priority order.
    let mut ordered: Vec<&Promotion> = live.iter().copied().filter(|p| !p.is_catalog()).collect();
    ordered.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
    let mut shipping_discounts = Vec::new();
    let mut shipping_left = request.shipping;
    for p in ordered {
        let applied = match &p.kind {
            PromotionKind::Catalog { .. } => 0,
            PromotionKind::Order { target, min_subtotal, discount } => {
                let eligible: Vec<usize> = (0..lines.len())
                    .filter(|&i| lines[i].total > 0 && target.matches(lines[i].product_id, categories[i]))
                    .collect();
                let base: i64 = eligible.iter().map(|&i| lines[i].total).sum();
                if eligible.is_empty() || base < *min_subtotal {
                    0
                } else {
                    let shares: Vec<i64> = match discount {
                        Discount::Amount(amount) => {
                            let weights: Vec<(&str, i64)> =
                                eligible.iter().map(|&i| (lines[i].sku.as_str(), lines[i].total)).collect();
                            money::allocate((*amount).min(base), &weights)
                        }
                        Discount::Percent(rate) if level == RoundingLevel::Total => {
                            let total = base - after_percent(base, *rate, mode)?;
                            let weights: Vec<(&str, i64)> =
                                eligible.iter().map(|&i| (lines[i].sku.as_str(), lines[i].total)).collect();
                            money::allocate(total, &weights)
                        }
                        Discount::Percent(rate) => eligible
                            .iter()
                            .map(|&i| percent_of_line(lines[i].total, lines[i].quantity, *rate, level, mode))
                            .collect::<Result<_, _>>()?,
                    };
                    let mut applied = 0;
                    for (&i, share) in eligible.iter().zip(shares) {
                        let share = share.clamp(0, lines[i].total);
                        give(&mut lines[i], p, share);
                        applied += share;
                    }
                    applied
                }
            }
            PromotionKind::BuyXGetY { target, buy, get, percent_off } => {
                // Units of the targeted lines, dearest first (ties by SKU); in each group of
                // buy + get, the last `get` (the cheapest) are reduced.
                let mut units: Vec<(i64, &str, usize)> = Vec::new();
                for (i, line) in lines.iter().enumerate() {
                    if line.total > 0 && target.matches(line.product_id, categories[i]) {
                        let unit = line.total / i64::from(line.quantity);
                        units.extend(std::iter::repeat_n((unit, line.sku.as_str(), i), line.quantity as usize));
                    }
                }
                units.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
                let group = (*buy + *get) as usize;
                let mut per_line = vec![0i64; lines.len()];
                for chunk in units.chunks(group).filter(|c| c.len() == group) {
                    for &(unit, _, i) in &chunk[*buy as usize..] {
                        per_line[i] += unit - after_percent(unit, *percent_off, mode)?;
                    }
                }
                let mut applied = 0;
                for (i, amount) in per_line.into_iter().enumerate() {
                    let amount = amount.clamp(0, lines[i].total);
                    give(&mut lines[i], p, amount);
                    applied += amount;
                }
                applied
            }
            PromotionKind::FreeShipping { min_subtotal } => {
                let goods: i64 = lines.iter().map(|l| l.total).sum();
                if shipping_left > 0 && goods >= *min_subtotal {
                    shipping_discounts.push(AppliedDiscount {
                        promotion_id: p.id,
                        name: p.name.clone(),
                        amount: shipping_left,
                    });
                    let amount = shipping_left;
                    shipping_left = 0;
                    amount
                } else {
                    0
                }
            }
        };
        if applied > 0 && p.exclusive {
            break;
        }
    }

    Ok(Priced {
        market: market.id.to_string(),
        currency: market.currency.code(),
        prices_include_tax: market.pricing.prices_include_tax,
        lines,
        shipping: request.shipping,
        shipping_discounts,
    })
}

impl Priced {
    /// What to tax: each line after its discounts, and shipping after its discount.
    pub fn tax_request<'a>(&self, market: &'a Market, subdivision: Option<&'a str>) -> TaxRequest<'a> {
        TaxRequest {
            market,
            subdivision,
            lines: self
                .lines
                .iter()
                .map(|l| TaxableLine {
                    key: l.sku.clone(),
                    tax_category: l.tax_category.clone(),
                    amount: l.total,
                    quantity: l.quantity,
                })
                .collect(),
            shipping: self.shipping_total(),
        }
    }

    fn shipping_total(&self) -> i64 {
        self.shipping - self.shipping_discounts.iter().map(|d| d.amount).sum::<i64>()
    }

    /// Builds the quote from the taxes of [`Self::tax_request`].
    pub fn finish(self, taxes: TaxResult) -> Result<Quote, QuoteError> {
        if taxes.lines.len() != self.lines.len() {
            return Err(QuoteError::Tax(TaxError::Unavailable("tax result does not match the lines".into())));
        }
        let shipping_total = self.shipping_total();
        let mut lines = self.lines;
        for (line, taxes) in lines.iter_mut().zip(taxes.lines) {
            line.tax_total = taxes.iter().map(|t| t.amount).sum();
            line.taxes = taxes;
        }
        let shipping_tax: i64 = taxes.shipping.iter().map(|t| t.amount).sum();
        let shipping = QuotedShipping {
            amount: self.shipping,
            discounts: self.shipping_discounts,
            total: shipping_total,
            taxes: taxes.shipping,
            tax_total: shipping_tax,
        };
        let mut promotions: Vec<AppliedDiscount> = Vec::new();
        for d in lines.iter().flat_map(|l| &l.discounts).chain(&shipping.discounts) {
            match promotions.iter_mut().find(|p| p.promotion_id == d.promotion_id) {
                Some(p) => p.amount += d.amount,
                None => promotions.push(d.clone()),
            }
        }
        promotions.sort_by_key(|p| p.promotion_id);
        let sum = |f: fn(&QuotedLine) -> i64| lines.iter().map(f).sum::<i64>();
        let subtotal = sum(|l| l.subtotal);
        let discount_total = sum(|l| l.discount_total) + (shipping.amount - shipping.total);
        let tax_total = sum(|l| l.tax_total) + shipping_tax;
        let goods = sum(|l| l.total);
        let total = goods + shipping_total + if self.prices_include_tax { 0 } else { tax_total };
        Ok(Quote {
            market: self.market,
            currency: self.currency,
            prices_include_tax: self.prices_include_tax,
            lines,
            shipping,
            promotions,
            subtotal,
            discount_total,
            shipping_total,
            tax_total,
            total,
        })
    }
}

/// A quote with the market's own tax tables.
pub fn quote_with_tables(request: &QuoteRequest<'_>) -> Result<Quote, QuoteError> {
    let priced = price(request)?;
    let taxes = tax::compute(&priced.tax_request(request.market, request.subdivision))?;
    priced.finish(taxes)
}

#[cfg(test)]
mod tests;
