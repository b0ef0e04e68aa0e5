//! Which price a market charges for a variant: its explicit price there, else, when the market
//! derives its price list from another market's, that price converted; lowered by a dated sale
//! price while the sale runs. And which products a market sells: its own assortment plus,
//! when its rules say so, another market's.

use regions::{Catalog, Market};

use crate::money;

/// A sale price of a variant in a market, live from `starts_at` (inclusive) to `ends_at`
/// (exclusive), in microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sale {
    pub amount_minor: i64,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
}

impl Sale {
    pub fn is_live(&self, now: i64) -> bool {
        now >= self.starts_at && self.ends_at.is_none_or(|e| now < e)
    }
}

/// The market whose price list `market` converts, if it derives one.
pub fn price_source<'a>(regions: &'a Catalog, market: &Market) -> Option<&'a Market> {
    market.pricing.derived.as_ref().and_then(|d| regions.market(d.from.as_str()))
}

/// The markets whose assortment rows make a product sold in `market`: the market itself, and
/// the one its rules take the assortment from.
pub fn assortment_sources(market: &Market) -> Vec<String> {
    let mut out = vec![market.id.to_string()];
    if let Some(from) = &market.rules.assortment_from {
        out.push(from.to_string());
    }
    out
}

/// The regular price of a variant in `market`: its explicit price, else its price in the
/// market `market` derives from, converted and given the market's ending. `None`: not priced.
pub fn regular_price(
    market: &Market,
    source: Option<&Market>,
    explicit: Option<i64>,
    base: Option<i64>,
) -> Option<i64> {
    if explicit.is_some() {
        return explicit;
    }
    let (derived, source) = (market.pricing.derived.as_ref()?, source?);
    money::convert(base?, source.currency.exponent(), market.currency.exponent(), derived.rate, derived.ending).ok()
}

/// The price shown and charged now: the lowest live sale price below the regular price, else
/// the regular price. Returns (price, was) where `was` is the regular price when a sale lowers
/// it.
pub fn current_price(regular: i64, sales: &[Sale], now: i64) -> (i64, Option<i64>) {
    match sales.iter().filter(|s| s.is_live(now) && s.amount_minor < regular).map(|s| s.amount_minor).min() {
        Some(sale) => (sale, Some(regular)),
        None => (regular, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_lower_the_price_while_they_run() {
        let sales = [
            Sale { amount_minor: 800, starts_at: 10, ends_at: Some(20) },
            Sale { amount_minor: 900, starts_at: 0, ends_at: None },
        ];
        assert_eq!(current_price(1000, &sales, 5), (900, Some(1000)));
        assert_eq!(current_price(1000, &sales, 10), (800, Some(1000)));
        assert_eq!(current_price(1000, &sales, 20), (900, Some(1000)));
        assert_eq!(current_price(850, &[sales[1]], 5), (850, None), "a sale above the regular price does nothing");
    }

    #[test]
    fn explicit_prices_win_over_derived_ones() {
        let regions = Catalog::load_workspace().unwrap();
        let fr = regions.market("fr").unwrap();
        assert_eq!(regular_price(fr, None, Some(1999), Some(5)), Some(1999));
        assert_eq!(regular_price(fr, None, None, Some(1999)), None, "France does not derive prices");
        assert_eq!(assortment_sources(fr), ["fr"]);
    }
}
