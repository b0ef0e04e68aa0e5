//! Which price a market charges for a variant: its explicit price there, else, when the market
//! derives its price list from another market's, that price converted; lowered by a dated sale
//! price while the sale runs. And which products a market sells: its own assortment plus,
//! when its rules say so, another market's.

use regions::rules::RATE_SCALE;
use regions::{Catalog, Market, Rate, RoundingMode, TaxRegime};

use crate::money;

/// A sale price of a variant in a market, live from `starts_at` (inclusive) to `ends_at`
/// (exclusive), in microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sale {
    pub amount_minor: i64,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    /// When the sale was made, where it is known: a sale made with a start in the past
    /// reduces prices from then on.
    pub created_at: Option<i64>,
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

/// The tax rate a market's prices include for a tax category: its VAT/GST rate when prices are
/// shown tax-inclusive, else none.
fn included_rate(market: &Market, tax_category: &str) -> Rate {
    match (&market.tax.regime, market.pricing.prices_include_tax) {
        (TaxRegime::Vat { rates, .. }, true) => {
            rates.get(tax_category).or_else(|| rates.get("standard")).copied().unwrap_or(Rate::ZERO)
        }
        _ => Rate::ZERO,
    }
}

/// The regular price of a variant (of `tax_category`) in `market`: its explicit price, else its
/// price in the market `market` derives from, with the source's included tax taken out and the
/// market's put in (a net US price becomes a VAT-inclusive one), converted, and given the
/// market's ending. `None`: not priced.
pub fn regular_price(
    market: &Market,
    source: Option<&Market>,
    explicit: Option<i64>,
    base: Option<i64>,
    tax_category: &str,
) -> Option<i64> {
    if explicit.is_some() {
        return explicit;
    }
    let (derived, source) = (market.pricing.derived.as_ref()?, source?);
    let (from, to) = (included_rate(source, tax_category), included_rate(market, tax_category));
    let scale = i128::from(RATE_SCALE);
    let adjusted = money::round_div(
        i128::from(base?) * (scale + i128::from(to.nanos())),
        scale + i128::from(from.nanos()),
        RoundingMode::HalfUp,
    );
    let adjusted = i64::try_from(adjusted).ok()?;
    money::convert(adjusted, source.currency.exponent(), market.currency.exponent(), derived.rate, derived.ending).ok()
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

/// A regular price a variant took in a market at `at` (microseconds since the Unix epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceChange {
    pub at: i64,
    pub amount_minor: i64,
}

/// Thirty days, in microseconds.
const THIRTY_DAYS: i64 = 30 * 24 * 3600 * 1_000_000;

/// When the reduction a shopper sees began: the start of the live sale that sets the price (or
/// when it was made, if later), else
/// (an explicit price lowered against a compare-at price) when that price was set.
pub fn reduction_start(regular: i64, sales: &[Sale], price_set_at: Option<i64>, now: i64) -> Option<i64> {
    let live = sales.iter().filter(|s| s.is_live(now) && s.amount_minor < regular);
    match live.min_by_key(|s| (s.amount_minor, s.starts_at)) {
        Some(sale) => Some(sale.created_at.map_or(sale.starts_at, |made| made.max(sale.starts_at))),
        None => price_set_at,
    }
}

/// The EU's prior price of a reduction (Directive 98/6/EC, article 6a, as amended by Directive
/// (EU) 2019/2161): the lowest price applied during the 30 days before the reduction began
/// (over a shorter time when the price is younger). The reduced price itself, applied from
/// `start` on, is not part of it. `history` is oldest first; `None` when no price was applied
/// before `start`.
pub fn prior_price(history: &[PriceChange], start: i64) -> Option<i64> {
    let from = start - THIRTY_DAYS;
    let in_force_at_from = history.iter().rev().find(|c| c.at <= from).map(|c| c.amount_minor);
    let set_during = history.iter().filter(|c| c.at > from && c.at < start).map(|c| c.amount_minor);
    in_force_at_from.into_iter().chain(set_during).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600 * 1_000_000;

    fn changes(list: &[(i64, i64)]) -> Vec<PriceChange> {
        list.iter().map(|&(day, amount_minor)| PriceChange { at: day * DAY, amount_minor }).collect()
    }

    #[test]
    fn the_prior_price_is_the_lowest_of_the_30_days_before_the_reduction_not_the_reduction() {
        // 50.00 from day 0, 45.00 on day 50, 48.00 on day 60, reduced to 30.00 on day 100.
        let history = changes(&[(0, 5000), (50, 4500), (60, 4800), (100, 3000)]);
        let start = reduction_start(3000, &[], Some(100 * DAY), 105 * DAY).unwrap();
        assert_eq!(start, 100 * DAY);
        // Days 70-100: 48.00 only (45.00 ended on day 60, before the window).
        assert_eq!(prior_price(&history, start), Some(4800));
        // Reduced on day 80 instead: the window (days 50-80) saw 45.00.
        let history = changes(&[(0, 5000), (50, 4500), (60, 4800), (80, 3000)]);
        assert_eq!(prior_price(&history, 80 * DAY), Some(4500));
        // A price younger than 30 days: the lowest since it exists.
        let history = changes(&[(10, 2500), (12, 2600), (20, 1900)]);
        assert_eq!(prior_price(&history, 20 * DAY), Some(2500));
        // Nothing before the reduction: no prior price to state.
        assert_eq!(prior_price(&changes(&[(20, 1900)]), 20 * DAY), None);
    }

    #[test]
    fn a_sale_starts_its_own_reduction() {
        let history = changes(&[(0, 5000), (40, 4000)]);
        let sale =
            Sale { amount_minor: 2500, starts_at: 60 * DAY, ends_at: Some(90 * DAY), created_at: Some(10 * DAY) };
        let start = reduction_start(4000, &[sale], Some(40 * DAY), 65 * DAY).unwrap();
        assert_eq!(start, 60 * DAY);
        // Days 30-60: 50.00 until day 40, then 40.00.
        assert_eq!(prior_price(&history, start), Some(4000));
        // Made on day 62 with a start on day 60: the shoppers saw it from day 62.
        let late = Sale { created_at: Some(62 * DAY), ..sale };
        assert_eq!(reduction_start(4000, &[late], Some(40 * DAY), 65 * DAY), Some(62 * DAY));
        // Over: the price's own reduction (if any) counts again.
        assert_eq!(reduction_start(4000, &[sale], Some(40 * DAY), 95 * DAY), Some(40 * DAY));
    }

    /// A market file deriving its prices from `from` at `rate`, with the given tax display.
    fn derived_market(from: &str, inclusive: bool) -> Catalog {
        let dir = tempfile::tempdir().unwrap().keep();
        for region in ["eu-west", "us-east", "ap-southeast"] {
            let src = regions::workspace_regions_dir().join(region);
            std::fs::create_dir_all(dir.join(region).join("markets")).unwrap();
            std::fs::copy(src.join("region.toml"), dir.join(region).join("region.toml")).unwrap();
            for m in std::fs::read_dir(src.join("markets")).unwrap() {
                let m = m.unwrap().path();
                std::fs::copy(&m, dir.join(region).join("markets").join(m.file_name().unwrap())).unwrap();
            }
        }
        let text = format!(
            "id = \"ch\"\nname = \"CH\"\ncountry = \"CH\"\ncurrency = \"CHF\"\n[languages]\ndefault = \"de\"\nallowed = [\"de\"]\n\
             [pricing]\nprices_include_tax = {inclusive}\nrounding = {{ mode = \"half-up\", level = \"line\" }}\n\
             derived = {{ from = \"{from}\", rate = \"1\", ending = \"exact\" }}\n\
             [tax]\nregime = \"vat\"\nname = \"MWST\"\n[tax.rates]\nstandard = \"8.1\"\nreduced = \"2.6\"\nzero = \"0\"\n\
             [rules]\nreturn_window_days = 14\nomnibus = false\n"
        );
        std::fs::write(dir.join("eu-west/markets/ch.toml"), text).unwrap();
        Catalog::load(&dir).unwrap()
    }

    #[test]
    fn derived_prices_move_the_included_tax() {
        // From Germany (19 % included) at par: 119.00 gross is 100.00 net, 108.10 with 8.1 %.
        let regions = derived_market("de", true);
        let (ch, de) = (regions.market("ch").unwrap(), regions.market("de").unwrap());
        assert_eq!(regular_price(ch, Some(de), None, Some(11_900), "standard"), Some(10_810));
        // Reduced rates on both sides: 107.00 (7 %) → 100.00 → 102.60 (2.6 %).
        assert_eq!(regular_price(ch, Some(de), None, Some(10_700), "reduced"), Some(10_260));
        // From the US (net prices): 100.00 → 108.10.
        let regions = derived_market("us", true);
        let (ch, us) = (regions.market("ch").unwrap(), regions.market("us").unwrap());
        assert_eq!(regular_price(ch, Some(us), None, Some(10_000), "standard"), Some(10_810));
        // A tax-exclusive derived market takes the German VAT out: 119.00 → 100.00.
        let regions = derived_market("de", false);
        let (ch, de) = (regions.market("ch").unwrap(), regions.market("de").unwrap());
        assert_eq!(regular_price(ch, Some(de), None, Some(11_900), "standard"), Some(10_000));
    }

    #[test]
    fn sales_lower_the_price_while_they_run() {
        let sales = [
            Sale { amount_minor: 800, starts_at: 10, ends_at: Some(20), created_at: None },
            Sale { amount_minor: 900, starts_at: 0, ends_at: None, created_at: None },
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
        assert_eq!(regular_price(fr, None, Some(1999), Some(5), "standard"), Some(1999));
        assert_eq!(regular_price(fr, None, None, Some(1999), "standard"), None, "France does not derive prices");
        assert_eq!(assortment_sources(fr), ["fr"]);
    }
}
