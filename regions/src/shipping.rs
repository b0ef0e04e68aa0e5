//! Shipping as market data: which carrier services serve a market, from which of its
//! warehouses, and the rate table used when a carrier's rate API does not answer in time.
//!
//! ```toml
//! [[shipping]]
//! carrier = "parcelo"
//! service = "standard"
//! from = ["eu-par", "eu-ham"]
//! transit_days = { min = 2, max = 3 }
//! fallback = [
//!   { up_to_grams = 1000, amount_minor = 490 },
//!   { up_to_grams = 5000, amount_minor = 890 },
//! ]
//! ```
//!
//! Amounts are minor units of the market's currency, charged as the market shows prices (with
//! tax in VAT markets, before it in sales-tax markets). The fallback table's weight bands are
//! also the bands carriers are asked to quote: a cart is charged its band's price, so that one
//! cached rate serves every cart of the band. A cart heavier than a service's last band is not
//! offered that service.

use serde::Deserialize;

use crate::rules::FieldError;

/// The carriers the platform has adapters for.
pub const CARRIERS: [&str; 2] = ["parcelo", "classicpost"];

/// Largest shipping charge in a fallback table, in minor units.
pub const MAX_SHIPPING_MINOR: i64 = 100_000_000;
/// Heaviest weight band, in grams.
pub const MAX_BAND_GRAMS: i64 = 1_000_000;

/// One weight band of a fallback table: carts up to this weight pay this amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The band's upper bound, inclusive, in grams.
    pub up_to_grams: i64,
    /// The charge, in minor units of the market's currency.
    pub amount_minor: i64,
}

/// Days in transit, from handing over to delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitDays {
    pub min: u16,
    pub max: u16,
}

/// A carrier service offered in a market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippingService {
    /// The carrier's code (one of [`CARRIERS`]).
    pub carrier: String,
    /// Our code of the service, lowercase snake case (`express`, `priority`); the carrier's
    /// client translates it to the carrier's own.
    pub service: String,
    /// The warehouses it collects from (each ships to the market), in the file's order.
    pub from: Vec<String>,
    /// Transit days when the carrier's rate is not known.
    pub transit_days: TransitDays,
    /// The fallback rate table, bands by increasing weight.
    pub fallback: Vec<Band>,
}

impl ShippingService {
    /// The option id shoppers choose by: `carrier:service`.
    pub fn option_id(&self) -> String {
        format!("{}:{}", self.carrier, self.service)
    }

    /// The band a cart of `weight_grams` falls in; `None` when it is too heavy for the service.
    pub fn band(&self, weight_grams: i64) -> Option<&Band> {
        self.fallback.iter().find(|b| weight_grams <= b.up_to_grams)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceFile {
    carrier: String,
    service: String,
    from: Vec<String>,
    transit_days: TransitDays,
    fallback: Vec<Band>,
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    (field.into(), reason.into())
}

/// Checks the services of a market file on their own; the warehouses are checked against the
/// regions once every file is read (`check_origins`).
pub(crate) fn check(files: Vec<ServiceFile>) -> Result<Vec<ShippingService>, FieldError> {
    let mut out: Vec<ShippingService> = Vec::new();
    for (i, s) in files.into_iter().enumerate() {
        let field = |f: &str| format!("shipping[{i}].{f}");
        if !CARRIERS.contains(&s.carrier.as_str()) {
            return Err(err(
                field("carrier"),
                format!("unknown carrier `{}` (known: {})", s.carrier, CARRIERS.join(", ")),
            ));
        }
        // Our codes, in one case everywhere (answers, inputs, files); a carrier's own spelling
        // (`PRIO`) is its client's business.
        let service_ok = (1..=32).contains(&s.service.len())
            && s.service.starts_with(|c: char| c.is_ascii_lowercase())
            && s.service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !service_ok {
            return Err(err(field("service"), "a lowercase snake case code: 1-32 lowercase letters, digits or '_'"));
        }
        if out.iter().any(|o| o.carrier == s.carrier && o.service == s.service) {
            return Err(err(field("service"), format!("`{}:{}` is listed twice", s.carrier, s.service)));
        }
        if s.from.is_empty() {
            return Err(err(field("from"), "list at least one warehouse"));
        }
        if s.transit_days.min > s.transit_days.max {
            return Err(err(field("transit_days"), "min is more than max"));
        }
        if s.fallback.is_empty() {
            return Err(err(field("fallback"), "list at least one weight band"));
        }
        let mut previous = 0;
        for (j, band) in s.fallback.iter().enumerate() {
            if band.up_to_grams <= previous || band.up_to_grams > MAX_BAND_GRAMS {
                return Err(err(
                    format!("shipping[{i}].fallback[{j}].up_to_grams"),
                    format!("bands go up by weight, each above the previous, at most {MAX_BAND_GRAMS} g"),
                ));
            }
            if !(0..=MAX_SHIPPING_MINOR).contains(&band.amount_minor) {
                return Err(err(
                    format!("shipping[{i}].fallback[{j}].amount_minor"),
                    "an amount in minor units, 0 or more",
                ));
            }
            previous = band.up_to_grams;
        }
        out.push(ShippingService {
            carrier: s.carrier,
            service: s.service,
            from: s.from,
            transit_days: s.transit_days,
            fallback: s.fallback,
        });
    }
    Ok(out)
}
