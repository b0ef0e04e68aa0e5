//! Prices: a base price in US cents converted to a market's currency with fixed integer
//! exchange rates, then given a retail ending (.99, .95 or .00; yen rounded to 10 or 100).
//! Integer arithmetic only: no floats near money.

/// How the prices of a product end in currencies with decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// `12.99`
    Nines,
    /// `12.95`
    NinetyFive,
    /// `13.00`
    Round,
}

/// Units of a currency per US dollar, in ten-thousandths (EUR 0.92 is 9,200). Fixed, so that a
/// seed is reproducible; roughly the rates of 2025.
fn usd_rate(code: &str) -> Option<u64> {
    Some(match code {
        "AED" => 36_725,
        "ARS" => 10_000_000,
        "AUD" => 15_200,
        "BHD" => 3_760,
        "BRL" => 56_000,
        "CAD" => 13_700,
        "CHF" => 8_800,
        "CLP" => 9_500_000,
        "CNY" => 72_000,
        "COP" => 40_000_000,
        "CZK" => 230_000,
        "DKK" => 69_000,
        "EGP" => 480_000,
        "EUR" => 9_200,
        "GBP" => 7_900,
        "HKD" => 78_000,
        "HUF" => 3_600_000,
        "IDR" => 160_000_000,
        "ILS" => 37_000,
        "INR" => 830_000,
        "ISK" => 1_380_000,
        "JOD" => 7_090,
        "JPY" => 1_500_000,
        "KRW" => 13_500_000,
        "KWD" => 3_070,
        "MAD" => 100_000,
        "MXN" => 170_000,
        "MYR" => 47_000,
        "NGN" => 15_000_000,
        "NOK" => 107_000,
        "NZD" => 16_500,
        "OMR" => 3_850,
        "PHP" => 560_000,
        "PLN" => 40_000,
        "QAR" => 36_400,
        "RON" => 46_000,
        "SAR" => 37_500,
        "SEK" => 105_000,
        "SGD" => 13_500,
        "THB" => 360_000,
        "TND" => 31_000,
        "TRY" => 320_000,
        "TWD" => 320_000,
        "UAH" => 410_000,
        "USD" => 10_000,
        "VND" => 250_000_000,
        "ZAR" => 185_000,
        _ => return None,
    })
}

/// A market's currency, ready to price in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pricing {
    pub code: &'static str,
    pub exponent: u8,
    /// Units per US dollar, in ten-thousandths.
    rate: u64,
}

impl Pricing {
    /// Pricing for a currency. A currency without a rate in our table is priced one unit per
    /// US dollar (and logged), so that a new market never stops the seed.
    pub(crate) fn new(currency: regions::Currency) -> Self {
        let rate = usd_rate(currency.code()).unwrap_or_else(|| {
            tracing::warn!(currency = currency.code(), "no seed exchange rate; pricing one unit per US dollar");
            10_000
        });
        Self { code: currency.code(), exponent: currency.exponent(), rate }
    }

    /// `usd_cents` in minor units of this currency, rounded half up, before any price ending.
    fn convert(&self, usd_cents: u64) -> u64 {
        // minor = cents / 100 * rate / 10_000 * 10^exponent
        let numerator = u128::from(usd_cents) * u128::from(self.rate) * 10u128.pow(u32::from(self.exponent));
        let denominator = 100 * 10_000;
        u64::try_from((numerator + denominator / 2) / denominator).unwrap_or(u64::MAX)
    }

    /// The shelf price of a base price in US cents.
    pub(crate) fn price(&self, usd_cents: u64, ending: Ending) -> i64 {
        to_i64(retail(self.exponent, self.convert(usd_cents), ending))
    }

    /// The "was" price of a product on sale: `pct` percent above the base price, with the same
    /// ending, and always strictly above `amount`.
    pub(crate) fn compare_at(&self, usd_cents: u64, pct: u8, ending: Ending, amount: i64) -> i64 {
        let raw = self.convert(usd_cents) * (100 + u64::from(pct)) / 100;
        let was = to_i64(retail(self.exponent, raw, ending));
        if was > amount {
            return was;
        }
        // Rounding ate the markup: one rounding step (yen) or one major unit above.
        let step = match self.exponent {
            0 if amount >= 10_000 => 100,
            0 => 10,
            e => 10i64.pow(u32::from(e)),
        };
        amount + step
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Gives a converted amount its retail ending. Currencies without decimals (JPY) round to the
/// nearest 10, or 100 from 10,000 up; others round to a whole major unit and end in .99, .95
/// or .00 (.9 with one decimal; .990 / .950 / .000 with three).
pub(crate) fn retail(exponent: u8, raw_minor: u64, ending: Ending) -> u64 {
    if exponent == 0 {
        let step = if raw_minor >= 10_000 { 100 } else { 10 };
        return ((raw_minor + step / 2) / step * step).max(step);
    }
    let unit = 10u64.pow(u32::from(exponent));
    let whole = ((raw_minor + unit / 2) / unit).max(1) * unit;
    match ending {
        Ending::Round => whole,
        Ending::NinetyFive if unit >= 100 => whole - unit / 20,
        Ending::Nines | Ending::NinetyFive => whole - (unit / 100).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pricing(code: &str) -> Pricing {
        Pricing::new(regions::Currency::from_code(code).expect("known currency"))
    }

    fn check(exponent: u8, raw: u64, ending: Ending, expected: u64) {
        assert_eq!(retail(exponent, raw, ending), expected, "exponent {exponent}, raw {raw}, {ending:?}");
    }

    #[test]
    fn endings_per_exponent() {
        // Two decimals: whole units, then .99 / .95 / .00.
        check(2, 1_999, Ending::Nines, 1_999);
        check(2, 1_839, Ending::Nines, 1_799);
        check(2, 1_851, Ending::Nines, 1_899);
        check(2, 1_851, Ending::NinetyFive, 1_895);
        check(2, 1_851, Ending::Round, 1_900);
        check(2, 3, Ending::Nines, 99);
        // No decimals: nearest 10, or 100 from 10,000.
        check(0, 2_998, Ending::Nines, 3_000);
        check(0, 2_994, Ending::Round, 2_990);
        check(0, 9_996, Ending::Nines, 10_000);
        check(0, 14_949, Ending::Nines, 14_900);
        check(0, 14_950, Ending::NinetyFive, 15_000);
        check(0, 2, Ending::Nines, 10);
        // Three decimals: .990 / .950 / .000; one decimal: .9.
        check(3, 6_137, Ending::Nines, 5_990);
        check(3, 6_137, Ending::NinetyFive, 5_950);
        check(3, 6_137, Ending::Round, 6_000);
        check(1, 123, Ending::Nines, 119);
        check(1, 123, Ending::NinetyFive, 119);
    }

    #[test]
    fn conversion_uses_integer_rates() {
        assert_eq!(pricing("USD").price(1_999, Ending::Nines), 1_999);
        assert_eq!(pricing("EUR").price(1_999, Ending::Nines), 1_799);
        assert_eq!(pricing("JPY").price(1_999, Ending::Nines), 3_000);
        assert_eq!(pricing("JPY").price(99_900, Ending::Nines), 149_900);
        assert_eq!(pricing("KWD").price(1_999, Ending::Nines), 5_990);
    }

    #[test]
    fn compare_at_is_strictly_higher_with_the_same_ending() {
        for code in ["USD", "EUR", "GBP", "JPY", "CAD", "SGD", "KWD", "VND"] {
            let p = pricing(code);
            for cents in [100, 499, 1_999, 4_550, 99_900] {
                for pct in [20, 35, 50] {
                    let amount = p.price(cents, Ending::Nines);
                    let was = p.compare_at(cents, pct, Ending::Nines, amount);
                    assert!(was > amount, "{code} {cents} {pct}: {was} <= {amount}");
                    if p.exponent == 0 {
                        assert_eq!(was % 10, 0, "{code} {was}");
                    } else {
                        let unit = 10i64.pow(u32::from(p.exponent));
                        assert_eq!(was % unit, amount % unit, "{code} {was} vs {amount}");
                    }
                }
            }
        }
    }
}
