//! ISO 4217 currencies and their minor-unit exponents.

use std::fmt;

/// An ISO 4217 currency. Amounts in it are integers in minor units: 10^exponent minor units
/// make one major unit (EUR 2: cents; JPY 0: yen; KWD 3: fils).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// Active ISO 4217 currencies (code, minor-unit exponent). Extend as markets need.
const TABLE: &[(&str, u8)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

impl Currency {
    /// Looks a currency up by its upper-case ISO 4217 code.
    pub fn from_code(code: &str) -> Option<Self> {
        TABLE.binary_search_by(|(c, _)| (*c).cmp(code)).ok().map(|i| Self { code: TABLE[i].0, exponent: TABLE[i].1 })
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Number of decimal digits of the minor unit.
    pub fn exponent(self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn exponents() {
        for (code, exp) in [("EUR", 2), ("JPY", 0), ("KWD", 3), ("USD", 2)] {
            assert_eq!(Currency::from_code(code).map(Currency::exponent), Some(exp), "{code}");
        }
        assert_eq!(Currency::from_code("eur"), None);
        assert_eq!(Currency::from_code("XYZ"), None);
    }
}
