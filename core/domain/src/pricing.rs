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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(regular_price(fr, None, Some(1999), Some(5), "standard"), Some(1999));
        assert_eq!(regular_price(fr, None, None, Some(1999), "standard"), None, "France does not derive prices");
        assert_eq!(assortment_sources(fr), ["fr"]);
    }
}
