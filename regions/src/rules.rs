//! Market rules as data: how a market prices (tax-inclusive or not, rounding, a price list
//! derived from another market's), taxes (VAT/GST by tax category, or sales tax by destination
//! state or province), and its other rules (withdrawal window, the EU lowest-price-in-30-days
//! display, where shoppers' data lives, what invoices must show).
//!
//! Rates are exact decimals (`"8.875"` percent), never floats.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::MarketId;

/// An exact non-negative decimal with nine fractional digits, for tax and exchange rates.
/// `"20"` percent is the fraction 0.2; an exchange rate `"151.37"` is 151.37.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate {
    /// The value times 10^9.
    nanos: i64,
}

pub const RATE_SCALE: i64 = 1_000_000_000;

impl Rate {
    pub const ZERO: Rate = Rate { nanos: 0 };

    /// The rate times 10^9 (`0.2` → 200,000,000).
    pub fn nanos(self) -> i64 {
        self.nanos
    }

    pub fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// Parses a non-negative decimal (`"0.92"`, `"151.37"`), at most nine fractional digits.
    pub fn parse_decimal(s: &str) -> Option<Self> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() || int.len() > 9 || frac.len() > 9 {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int: i64 = int.parse().ok()?;
        let mut frac_nanos: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            frac_nanos += i64::from(b - b'0') * 10i64.pow(8 - i as u32);
        }
        Some(Self { nanos: int * RATE_SCALE + frac_nanos })
    }

    /// Parses a percentage (`"8.875"` → 0.08875), at most seven fractional digits.
    pub fn parse_percent(s: &str) -> Option<Self> {
        let r = Self::parse_decimal(s)?;
        (r.nanos % 100 == 0 && r.nanos <= 100 * RATE_SCALE).then_some(Self { nanos: r.nanos / 100 })
    }

    /// The rate as a percentage string (`8.875`), for display.
    pub fn percent_string(self) -> String {
        let hundredths = self.nanos * 100;
        let int = hundredths / RATE_SCALE;
        let frac = hundredths % RATE_SCALE;
        if frac == 0 {
            return int.to_string();
        }
        let digits = format!("{frac:09}");
        format!("{int}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rate({}%)", self.percent_string())
    }
}

/// How ties round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoundingMode {
    /// Banker's rounding: ties to the even neighbour.
    HalfEven,
    /// Ties away from zero.
    HalfUp,
}

/// Where amounts computed from rates (tax, percentage discounts) are rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoundingLevel {
    /// Per unit, then multiplied by the quantity.
    Unit,
    /// Once per line.
    Line,
    /// Once per order and tax rate, then allocated to the lines.
    Total,
}

/// How a derived price ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceEnding {
    /// The converted amount as it is.
    Exact,
    /// The smallest amount at or above the converted one whose minor part is `cents`
    /// (`x.99` → 99, `x.95` → 95, `x.00` → 0); currencies with no minor unit round up to a
    /// whole unit instead.
    Cents(u16),
    /// Rounded half-up to a multiple of this many minor units (`round:10` for JPY tens).
    RoundTo(u32),
}

impl PriceEnding {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "exact" => Some(Self::Exact),
            "x.99" => Some(Self::Cents(99)),
            "x.95" => Some(Self::Cents(95)),
            "x.90" => Some(Self::Cents(90)),
            "x.00" => Some(Self::Cents(0)),
            _ => {
                let n: u32 = s.strip_prefix("round:")?.parse().ok()?;
                (n >= 1).then_some(Self::RoundTo(n))
            }
        }
    }
}

/// A price list derived from another market's: converted through an exchange rate, then given
/// the market's price ending. Explicit prices of the market override derived ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedPricing {
    /// The market whose prices are converted.
    pub from: MarketId,
    /// Major units of this market's currency per major unit of the base market's currency.
    pub rate: Rate,
    pub ending: PriceEnding,
}

/// How a market prices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// Prices are entered and shown with tax included (VAT/GST markets) or without (US, CA).
    pub prices_include_tax: bool,
    pub rounding_mode: RoundingMode,
    pub rounding_level: RoundingLevel,
    pub derived: Option<DerivedPricing>,
}

/// The tax categories products carry; every VAT market gives each a rate.
pub const TAX_CATEGORIES: [&str; 3] = ["standard", "reduced", "zero"];

/// One tax of a sales-tax destination (Canada: GST and PST, or HST).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxComponent {
    pub name: String,
    pub rate: Rate,
}

/// A state or province of a sales-tax market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subdivision {
    pub name: String,
    pub components: Vec<TaxComponent>,
    /// Whether shipping charges are taxed there.
    pub shipping_taxable: bool,
    /// Tax categories not taxed there (groceries, clothing…).
    pub exempt: Vec<String>,
}

/// How a market taxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaxRegime {
    /// Value-added tax or GST: one national rate per tax category.
    Vat { name: String, rates: BTreeMap<String, Rate> },
    /// Sales tax by destination subdivision (US state, Canadian province), tax-exclusive.
    SalesTax { subdivisions: BTreeMap<String, Subdivision> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxRules {
    pub regime: TaxRegime,
    /// The tax category of shipping charges (VAT markets).
    pub shipping_category: String,
}

/// Fields an invoice in a market must show.
pub const INVOICE_FIELDS: [&str; 8] = [
    "invoice_number",
    "issue_date",
    "seller_tax_id",
    "buyer_name",
    "buyer_address",
    "buyer_tax_id_if_business",
    "tax_breakdown_by_rate",
    "supply_date",
];

/// The market's other rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketRules {
    /// Days a shopper may withdraw from a purchase (14 in the EU).
    pub return_window_days: u16,
    /// Show the lowest price of the previous 30 days next to reduced prices (EU Omnibus).
    pub omnibus: bool,
    /// The region where this market's shoppers' personal data lives.
    pub data_region: String,
    /// What invoices must show (from [`INVOICE_FIELDS`]).
    pub invoice_fields: Vec<String>,
    /// Products sold in that market are also sold here (a new market can start with an
    /// existing assortment); explicit assortment rows add to it.
    pub assortment_from: Option<MarketId>,
}

// ----- the file format -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PricingFile {
    prices_include_tax: bool,
    rounding: RoundingFile,
    derived: Option<DerivedFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundingFile {
    mode: RoundingMode,
    level: RoundingLevel,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DerivedFile {
    from: String,
    rate: String,
    ending: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaxFile {
    regime: String,
    name: Option<String>,
    shipping_category: Option<String>,
    #[serde(default)]
    rates: BTreeMap<String, String>,
    #[serde(default)]
    subdivisions: BTreeMap<String, SubdivisionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubdivisionFile {
    name: String,
    #[serde(default)]
    components: Vec<ComponentFile>,
    shipping_taxable: bool,
    #[serde(default)]
    exempt: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentFile {
    name: String,
    rate: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesFile {
    return_window_days: u16,
    omnibus: bool,
    data_region: Option<String>,
    #[serde(default)]
    invoice_fields: Vec<String>,
    assortment_from: Option<String>,
}

/// A field error: (field, reason).
pub(crate) type FieldError = (String, String);

fn err(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    (field.into(), reason.into())
}

impl PricingFile {
    pub(crate) fn check(self) -> Result<Pricing, FieldError> {
        let derived = match self.derived {
            None => None,
            Some(d) => {
                let from = MarketId::parse(&d.from).ok_or_else(|| err("pricing.derived.from", "not a market id"))?;
                let rate = Rate::parse_decimal(&d.rate)
                    .filter(|r| r.nanos() > 0)
                    .ok_or_else(|| err("pricing.derived.rate", format!("`{}` is not a positive decimal", d.rate)))?;
                let ending = PriceEnding::parse(&d.ending).ok_or_else(|| {
                    err(
                        "pricing.derived.ending",
                        format!("`{}`: expected exact, x.99, x.95, x.90, x.00 or round:N", d.ending),
                    )
                })?;
                Some(DerivedPricing { from, rate, ending })
            }
        };
        Ok(Pricing {
            prices_include_tax: self.prices_include_tax,
            rounding_mode: self.rounding.mode,
            rounding_level: self.rounding.level,
            derived,
        })
    }
}

fn percent(field: &str, s: &str) -> Result<Rate, FieldError> {
    Rate::parse_percent(s).ok_or_else(|| err(field, format!("`{s}` is not a percentage between 0 and 100")))
}

fn check_category(field: &str, category: &str) -> Result<(), FieldError> {
    if TAX_CATEGORIES.contains(&category) {
        Ok(())
    } else {
        Err(err(field, format!("unknown tax category `{category}` (known: {})", TAX_CATEGORIES.join(", "))))
    }
}

impl TaxFile {
    pub(crate) fn check(self) -> Result<TaxRules, FieldError> {
        let shipping_category = self.shipping_category.unwrap_or_else(|| "standard".into());
        check_category("tax.shipping_category", &shipping_category)?;
        let regime = match self.regime.as_str() {
            "vat" => {
                if !self.subdivisions.is_empty() {
                    return Err(err("tax.subdivisions", "VAT markets have national rates (tax.rates)"));
                }
                let name =
                    self.name.ok_or_else(|| err("tax.name", "VAT markets name their tax (VAT, TVA, MwSt, GST…)"))?;
                let mut rates = BTreeMap::new();
                for (category, rate) in &self.rates {
                    let field = format!("tax.rates.{category}");
                    check_category(&field, category)?;
                    rates.insert(category.clone(), percent(&field, rate)?);
                }
                for category in TAX_CATEGORIES {
                    if !rates.contains_key(category) {
                        return Err(err(format!("tax.rates.{category}"), "missing: every tax category needs a rate"));
                    }
                }
                TaxRegime::Vat { name, rates }
            }
            "sales_tax" => {
                if !self.rates.is_empty() {
                    return Err(err("tax.rates", "sales-tax markets tax by destination (tax.subdivisions)"));
                }
                if self.subdivisions.is_empty() {
                    return Err(err("tax.subdivisions", "list at least one state or province"));
                }
                let mut subdivisions = BTreeMap::new();
                for (code, s) in self.subdivisions {
                    let field = format!("tax.subdivisions.{code}");
                    let code_ok = (1..=3).contains(&code.len())
                        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                    if !code_ok {
                        return Err(err(&field, "subdivision codes are ISO 3166-2 suffixes (`NY`, `QC`)"));
                    }
                    let mut components = Vec::new();
                    for (i, c) in s.components.iter().enumerate() {
                        if c.name.trim().is_empty() {
                            return Err(err(format!("{field}.components[{i}].name"), "must not be empty"));
                        }
                        components.push(TaxComponent {
                            name: c.name.clone(),
                            rate: percent(&format!("{field}.components[{i}].rate"), &c.rate)?,
                        });
                    }
                    for (i, e) in s.exempt.iter().enumerate() {
                        check_category(&format!("{field}.exempt[{i}]"), e)?;
                    }
                    subdivisions.insert(
                        code,
                        Subdivision {
                            name: s.name,
                            components,
                            shipping_taxable: s.shipping_taxable,
                            exempt: s.exempt,
                        },
                    );
                }
                TaxRegime::SalesTax { subdivisions }
            }
            other => return Err(err("tax.regime", format!("`{other}`: expected vat or sales_tax"))),
        };
        Ok(TaxRules { regime, shipping_category })
    }
}

impl RulesFile {
    pub(crate) fn check(self, home_region: &str) -> Result<MarketRules, FieldError> {
        for (i, f) in self.invoice_fields.iter().enumerate() {
            if !INVOICE_FIELDS.contains(&f.as_str()) {
                return Err(err(
                    format!("rules.invoice_fields[{i}]"),
                    format!("unknown field `{f}` (known: {})", INVOICE_FIELDS.join(", ")),
                ));
            }
        }
        let assortment_from = match self.assortment_from {
            None => None,
            Some(m) => Some(MarketId::parse(&m).ok_or_else(|| err("rules.assortment_from", "not a market id"))?),
        };
        Ok(MarketRules {
            return_window_days: self.return_window_days,
            omnibus: self.omnibus,
            data_region: self.data_region.unwrap_or_else(|| home_region.to_string()),
            invoice_fields: self.invoice_fields,
            assortment_from,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_exact() {
        let check = |s: &str, nanos: Option<i64>| assert_eq!(Rate::parse_percent(s).map(Rate::nanos), nanos, "{s}");
        check("20", Some(200_000_000));
        check("8.875", Some(88_750_000));
        check("9.975", Some(99_750_000));
        check("0", Some(0));
        check("100", Some(RATE_SCALE));
        check("100.5", None);
        check("-1", None);
        check("1e2", None);
        check("", None);
        check(".5", None);
        assert_eq!(Rate::parse_decimal("151.37").map(Rate::nanos), Some(151_370_000_000));
        assert_eq!(Rate::parse_decimal("0.000000001").map(Rate::nanos), Some(1));
        assert_eq!(Rate::parse_decimal("0.0000000001"), None);
        assert_eq!(Rate::parse_percent("9.975").unwrap().percent_string(), "9.975");
        assert_eq!(Rate::parse_percent("20").unwrap().percent_string(), "20");
    }

    #[test]
    fn endings() {
        assert_eq!(PriceEnding::parse("x.99"), Some(PriceEnding::Cents(99)));
        assert_eq!(PriceEnding::parse("round:10"), Some(PriceEnding::RoundTo(10)));
        assert_eq!(PriceEnding::parse("round:0"), None);
        assert_eq!(PriceEnding::parse("x.98"), None);
    }
}
