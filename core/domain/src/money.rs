//! Money arithmetic on integer minor units: rounding of rational amounts, rates, allocation of
//! a total across lines with the remainder placed deterministically, and currency conversion
//! with price endings. No floats.
//!
//! Amounts are `i64` minor units of one currency (cents; yen for JPY; fils for KWD).
//! Intermediate products are `i128`, so nothing here overflows for amounts below 10^15.

use regions::rules::{PriceEnding, RATE_SCALE};
use regions::{Rate, RoundingMode};

/// Why an amount could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount out of range")]
    Overflow,
}

/// `num / den` rounded to an integer with `mode` (`den > 0`).
pub fn round_div(num: i128, den: i128, mode: RoundingMode) -> i128 {
    debug_assert!(den > 0);
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den); // 0 <= r < den
    let twice = 2 * r;
    let up = match twice.cmp(&den) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => match mode {
            RoundingMode::HalfEven => q.rem_euclid(2) == 1,
            // Half away from zero: for negative numbers (q < 0) a tie rounds down.
            RoundingMode::HalfUp => q >= 0,
        },
    };
    if up { q + 1 } else { q }
}

fn narrow(v: i128) -> Result<i64, MoneyError> {
    i64::try_from(v).map_err(|_| MoneyError::Overflow)
}

/// `amount × rate`, rounded (a percentage discount, or tax on a net amount).
pub fn apply_rate(amount: i64, rate: Rate, mode: RoundingMode) -> Result<i64, MoneyError> {
    narrow(round_div(i128::from(amount) * i128::from(rate.nanos()), i128::from(RATE_SCALE), mode))
}

/// The tax contained in a tax-inclusive `gross` amount at `rate`: `gross × r / (1 + r)`,
/// rounded.
pub fn included_tax(gross: i64, rate: Rate, mode: RoundingMode) -> Result<i64, MoneyError> {
    let r = i128::from(rate.nanos());
    narrow(round_div(i128::from(gross) * r, i128::from(RATE_SCALE) + r, mode))
}

/// A rational amount of minor units, kept exact until it is rounded once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact {
    pub num: i128,
    pub den: i128,
}

impl Exact {
    /// The tax of `base` at `rate`: exclusive (`base × r`) or included in it (`base × r/(1+r)`).
    pub fn tax(base: i64, rate: Rate, inclusive: bool) -> Self {
        let r = i128::from(rate.nanos());
        let den = if inclusive { i128::from(RATE_SCALE) + r } else { i128::from(RATE_SCALE) };
        Self { num: i128::from(base) * r, den }
    }

    pub fn round(self, mode: RoundingMode) -> Result<i64, MoneyError> {
        narrow(round_div(self.num, self.den, mode))
    }
}

/// Splits `total` across `weights` in proportion, so that the parts add up to `total` exactly:
/// each part is the floor of its exact share, and the minor units left over go one each to the
/// largest remainders; ties go to the smallest `key`, so the result does not depend on the
/// order of the input. All weights must be non-negative; a zero total weight splits evenly by
/// key order.
pub fn allocate<K: Ord + Copy>(total: i64, weights: &[(K, i64)]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: i128 = weights.iter().map(|(_, w)| i128::from(*w)).sum();
    let total_i = i128::from(total);
    let n = weights.len();
    let (mut parts, rems): (Vec<i128>, Vec<i128>) = if sum == 0 {
        (vec![0; n], vec![0; n])
    } else {
        weights
            .iter()
            .map(|(_, w)| {
                let exact = total_i * i128::from(*w);
                (exact.div_euclid(sum), exact.rem_euclid(sum))
            })
            .unzip()
    };
    let mut left = total_i - parts.iter().sum::<i128>();
    // Indices by remainder (largest first), then key (smallest first).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| rems[b].cmp(&rems[a]).then(weights[a].0.cmp(&weights[b].0)));
    let step = if left >= 0 { 1 } else { -1 };
    let mut i = 0;
    while left != 0 {
        parts[order[i % n]] += step;
        left -= step;
        i += 1;
    }
    // Each part is within one minor unit of an exact share of an i64 total: it fits.
    parts.into_iter().map(|p| p as i64).collect()
}

/// Converts `amount` minor units of a currency with exponent `from_exp` into one with exponent
/// `to_exp` at `rate` (major units of the target per major unit of the source), then applies the
/// price ending. Used to derive a new market's price list from an existing one.
pub fn convert(amount: i64, from_exp: u8, to_exp: u8, rate: Rate, ending: PriceEnding) -> Result<i64, MoneyError> {
    // amount / 10^from × rate × 10^to, in target minor units.
    let num = i128::from(amount) * i128::from(rate.nanos()) * 10i128.pow(u32::from(to_exp));
    let den = i128::from(RATE_SCALE) * 10i128.pow(u32::from(from_exp));
    let converted = round_div(num, den, RoundingMode::HalfUp);
    narrow(end_price(converted, to_exp, ending))
}

/// Applies a price ending to an amount in minor units of a currency with exponent `exp`.
fn end_price(amount: i128, exp: u8, ending: PriceEnding) -> i128 {
    match ending {
        PriceEnding::Exact => amount,
        PriceEnding::RoundTo(step) => {
            let step = i128::from(step);
            round_div(amount, step, RoundingMode::HalfUp) * step
        }
        PriceEnding::Cents(cents) => {
            let unit = 10i128.pow(u32::from(exp));
            if unit == 1 {
                return amount; // no minor unit: whole units already
            }
            // The minor part `cents` is in hundredths; scale it to this currency's exponent.
            let part = i128::from(cents) * unit / 100;
            let whole = amount.div_euclid(unit);
            let candidate = whole * unit + part;
            if candidate >= amount { candidate } else { candidate + unit }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RoundingMode::{HalfEven, HalfUp};
    use proptest::prelude::*;

    fn pct(s: &str) -> Rate {
        Rate::parse_percent(s).unwrap()
    }

    #[test]
    fn rounding_modes() {
        for (num, den, even, up) in
            [(5, 2, 2, 3), (7, 2, 4, 4), (-5, 2, -2, -3), (1, 3, 0, 0), (2, 3, 1, 1), (-1, 3, 0, 0)]
        {
            assert_eq!(round_div(num, den, HalfEven), even, "{num}/{den} half-even");
            assert_eq!(round_div(num, den, HalfUp), up, "{num}/{den} half-up");
        }
    }

    #[test]
    fn taxes() {
        // 10.00 at 20 % VAT included: 1.67 of tax.
        assert_eq!(included_tax(1000, pct("20"), HalfUp), Ok(167));
        // 24.99 at 10.75 % exclusive: 2.686425 → 2.69 (medusa#14818 left 2.686425).
        assert_eq!(apply_rate(2499, pct("10.75"), HalfUp), Ok(269));
        assert_eq!(apply_rate(1000, pct("9.975"), HalfEven), Ok(100));
    }

    #[test]
    fn allocation_is_exact_and_deterministic() {
        assert_eq!(allocate(100, &[(1, 1), (2, 1), (3, 1)]), vec![34, 33, 33]);
        assert_eq!(allocate(100, &[(3, 1), (2, 1), (1, 1)]), vec![33, 33, 34], "the remainder follows the key");
        assert_eq!(allocate(10, &[(1, 0), (2, 0)]), vec![5, 5]);
        assert_eq!(allocate(-7, &[(1, 1), (2, 2)]), vec![-2, -5], "nearest to -2.33 and -4.67");
        assert_eq!(allocate(0, &[(1, 5)]), vec![0]);
    }

    #[test]
    fn conversions_and_endings() {
        // $19.99 at 0.92 EUR/USD = 18.3908 → €18.39 → x.99 → €18.99.
        assert_eq!(convert(1999, 2, 2, Rate::parse_decimal("0.92").unwrap(), PriceEnding::Cents(99)), Ok(1899));
        // $19.99 at 151.37 JPY/USD = 3025.8863 → ¥3026 → round:10 → ¥3030.
        assert_eq!(convert(1999, 2, 0, Rate::parse_decimal("151.37").unwrap(), PriceEnding::RoundTo(10)), Ok(3030));
        // ¥3000 at 0.0066 USD/JPY = $19.80 → x.99 → $19.99.
        assert_eq!(convert(3000, 0, 2, Rate::parse_decimal("0.0066").unwrap(), PriceEnding::Cents(99)), Ok(1999));
        // Into a 3-decimal currency: $10.00 at 0.307 KWD = 3.070 KWD; x.99 → 3.990.
        assert_eq!(convert(1000, 2, 3, Rate::parse_decimal("0.307").unwrap(), PriceEnding::Cents(99)), Ok(3990));
        assert_eq!(convert(1000, 2, 3, Rate::parse_decimal("0.307").unwrap(), PriceEnding::Exact), Ok(3070));
        // Exactly on an ending stays.
        assert_eq!(end_price(1299, 2, PriceEnding::Cents(99)), 1299);
        assert_eq!(end_price(1300, 2, PriceEnding::Cents(0)), 1300);
        assert_eq!(end_price(1301, 2, PriceEnding::Cents(0)), 1400);
    }

    proptest! {
        #[test]
        fn allocation_sums_to_the_total(total in -1_000_000i64..1_000_000_000, weights in proptest::collection::vec(0i64..10_000_000, 1..30)) {
            let keyed: Vec<(usize, i64)> = weights.iter().copied().enumerate().collect();
            let parts = allocate(total, &keyed);
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            if sum > 0 {
                for (p, w) in parts.iter().zip(&weights) {
                    let exact = i128::from(total) * i128::from(*w);
                    // Each part is within one minor unit of its exact share.
                    prop_assert!((i128::from(*p) * sum - exact).abs() <= sum);
                }
            }
        }

        #[test]
        fn endings_never_lower_a_price(amount in 0i64..100_000_000, exp in 0u8..=3, cents in prop::sample::select(vec![0u16, 90, 95, 99])) {
            let ended = end_price(i128::from(amount), exp, PriceEnding::Cents(cents));
            prop_assert!(ended >= i128::from(amount));
            prop_assert!(ended - i128::from(amount) < 10i128.pow(u32::from(exp)).max(1));
        }
    }
}
