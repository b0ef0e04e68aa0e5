//! A merchandiser's promotion definitions: the kinds by name, building a kind from the parts
//! a request gave ([`build_kind`]), and the checks of a whole definition against the rules and
//! the markets ([`PromotionInput::check`]), with the stable reasons of a refusal
//! ([`PromotionRejection`]). Whether the targeted products and categories exist is the store's
//! check.

use regions::Rate;
use uuid::Uuid;

use super::{Discount, Promotion, PromotionKind, Target};

/// Most product or category ids in one target.
pub const MAX_TARGET_IDS: usize = 1_000;
/// Earliest time a promotion may name, in microseconds since the Unix epoch: the start of
/// year -9999 (UTC), the first instant the store can represent.
pub const MIN_TIME_MICROS: i64 = -377_705_116_800_000_000;
/// Latest time a promotion may name: the last microsecond of year 9999 (UTC).
pub const MAX_TIME_MICROS: i64 = 253_402_300_799_999_999;

/// Why a merchandiser's change to a promotion or its coupons was refused. Each variant has a
/// stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromotionRejection {
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
    #[error("unknown market `{market}`")]
    UnknownMarket { market: String },
    #[error("a promotion with amounts (an amount off or a minimum subtotal) needs a `currency`")]
    CurrencyRequired,
    #[error("a promotion with amounts must name its markets, all in its currency")]
    MarketsRequired,
    #[error("currency `{given}` differs from market `{market}` currency `{expected}`")]
    CurrencyMismatch { market: String, expected: String, given: String },
    #[error("unknown product `{id}`")]
    UnknownProduct { id: Uuid },
    #[error("unknown category `{id}`")]
    UnknownCategory { id: Uuid },
    #[error("`{code}` is not a coupon code: 3-32 letters A-Z, digits and '-'")]
    InvalidCouponCode { code: String },
    #[error("coupon code `{code}` is already taken")]
    CouponTaken { code: String },
    #[error("the promotion is archived")]
    Archived,
    #[error("the promotion applies without a coupon; set `requires_coupon` to add codes")]
    Automatic,
}

impl PromotionRejection {
    /// The stable error code clients can rely on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "validation_failed",
            Self::UnknownMarket { .. } => "unknown_market",
            Self::CurrencyRequired => "currency_required",
            Self::MarketsRequired => "markets_required",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::UnknownProduct { .. } => "unknown_product",
            Self::UnknownCategory { .. } => "unknown_category",
            Self::InvalidCouponCode { .. } => "invalid_coupon_code",
            Self::CouponTaken { .. } => "coupon_taken",
            Self::Archived => "promotion_archived",
            Self::Automatic => "promotion_is_automatic",
        }
    }

    /// Whether the request conflicts with the current data (409) rather than being invalid.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::CouponTaken { .. } | Self::Archived | Self::Automatic)
    }

    /// `field` is invalid for `reason`.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: reason.into() }
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> PromotionRejection {
    PromotionRejection::invalid(field, reason)
}

/// Checks that a time (microseconds since the Unix epoch) is within the supported dates.
fn check_time(field: &str, micros: i64) -> Result<(), PromotionRejection> {
    if (MIN_TIME_MICROS..=MAX_TIME_MICROS).contains(&micros) {
        Ok(())
    } else {
        Err(invalid(field, "out of the supported range of dates"))
    }
}

/// The kinds of promotion, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindName {
    Catalog,
    Order,
    BuyXGetY,
    FreeShipping,
}

impl KindName {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "catalog" => Self::Catalog,
            "order" => Self::Order,
            "buy_x_get_y" => Self::BuyXGetY,
            "free_shipping" => Self::FreeShipping,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Order => "order",
            Self::BuyXGetY => "buy_x_get_y",
            Self::FreeShipping => "free_shipping",
        }
    }

    pub fn of(kind: &PromotionKind) -> Self {
        match kind {
            PromotionKind::Catalog { .. } => Self::Catalog,
            PromotionKind::Order { .. } => Self::Order,
            PromotionKind::BuyXGetY { .. } => Self::BuyXGetY,
            PromotionKind::FreeShipping { .. } => Self::FreeShipping,
        }
    }
}

/// The parameters of a promotion's kind, each optional: what a request gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindParts {
    pub target: Option<Target>,
    pub discount: Option<Discount>,
    /// Minor units of the promotion's currency.
    pub min_subtotal: Option<i64>,
    pub buy: Option<u32>,
    pub get: Option<u32>,
    pub percent_off: Option<Rate>,
}

impl KindParts {
    /// The parameters of a definition.
    pub fn of(kind: &PromotionKind) -> Self {
        match kind {
            PromotionKind::Catalog { target, discount } => {
                Self { target: Some(target.clone()), discount: Some(discount.clone()), ..Self::default() }
            }
            PromotionKind::Order { target, min_subtotal, discount } => Self {
                target: Some(target.clone()),
                discount: Some(discount.clone()),
                min_subtotal: Some(*min_subtotal),
                ..Self::default()
            },
            PromotionKind::BuyXGetY { target, buy, get, percent_off } => Self {
                target: Some(target.clone()),
                buy: Some(*buy),
                get: Some(*get),
                percent_off: Some(*percent_off),
                ..Self::default()
            },
            PromotionKind::FreeShipping { min_subtotal } => {
                Self { min_subtotal: Some(*min_subtotal), ..Self::default() }
            }
        }
    }

    /// `other`'s parts where given, else these.
    pub fn overlay(self, other: &KindParts) -> Self {
        Self {
            target: other.target.clone().or(self.target),
            discount: other.discount.clone().or(self.discount),
            min_subtotal: other.min_subtotal.or(self.min_subtotal),
            buy: other.buy.or(self.buy),
            get: other.get.or(self.get),
            percent_off: other.percent_off.or(self.percent_off),
        }
    }

    /// Whether no part was given.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Builds a definition from its parts: a missing target is every product, a missing minimum
/// subtotal is 0, a missing `percent_off` is 100 (the `get` units are free). Refuses missing
/// required parts and parts the kind does not have. Values are checked by
/// [`Promotion::check`].
pub fn build_kind(kind: KindName, parts: KindParts) -> Result<PromotionKind, PromotionRejection> {
    let KindParts { target, discount, min_subtotal, buy, get, percent_off } = parts;
    let not_for = |field: &str, present: bool| {
        if present { Err(invalid(field, format!("does not apply to a `{}` promotion", kind.as_str()))) } else { Ok(()) }
    };
    let target = target.unwrap_or_default();
    match &target {
        Target::All => {}
        Target::Products(ids) | Target::Categories(ids) => {
            if ids.is_empty() || ids.len() > MAX_TARGET_IDS {
                return Err(invalid("target.ids", format!("1 to {MAX_TARGET_IDS} ids")));
            }
        }
    }
    let required = |field: &str| invalid(field, format!("is required for a `{}` promotion", kind.as_str()));
    Ok(match kind {
        KindName::Catalog => {
            not_for("min_subtotal_minor", min_subtotal.is_some())?;
            not_for("buy", buy.is_some() || get.is_some())?;
            not_for("percent_off", percent_off.is_some())?;
            PromotionKind::Catalog { target, discount: discount.ok_or_else(|| required("discount"))? }
        }
        KindName::Order => {
            not_for("buy", buy.is_some() || get.is_some())?;
            not_for("percent_off", percent_off.is_some())?;
            PromotionKind::Order {
                target,
                min_subtotal: min_subtotal.unwrap_or(0),
                discount: discount.ok_or_else(|| required("discount"))?,
            }
        }
        KindName::BuyXGetY => {
            not_for("discount", discount.is_some())?;
            not_for("min_subtotal_minor", min_subtotal.is_some())?;
            PromotionKind::BuyXGetY {
                target,
                buy: buy.ok_or_else(|| required("buy"))?,
                get: get.ok_or_else(|| required("get"))?,
                percent_off: percent_off.unwrap_or(Rate::from_nanos(regions::rules::RATE_SCALE)),
            }
        }
        KindName::FreeShipping => {
            not_for("target", target != Target::All)?;
            not_for("discount", discount.is_some())?;
            not_for("buy", buy.is_some() || get.is_some())?;
            not_for("percent_off", percent_off.is_some())?;
            PromotionKind::FreeShipping { min_subtotal: min_subtotal.unwrap_or(0) }
        }
    })
}

/// Whether a definition holds amounts of money (which need a currency).
fn has_amounts(kind: &PromotionKind) -> bool {
    match kind {
        PromotionKind::Catalog { discount, .. } => matches!(discount, Discount::Amount(_)),
        PromotionKind::Order { discount, min_subtotal, .. } => {
            matches!(discount, Discount::Amount(_)) || *min_subtotal > 0
        }
        PromotionKind::BuyXGetY { .. } => false,
        PromotionKind::FreeShipping { min_subtotal } => *min_subtotal > 0,
    }
}

/// A new promotion. Times are microseconds since the Unix epoch.
#[derive(Clone, Debug)]
pub struct PromotionInput {
    pub name: String,
    pub priority: i32,
    pub exclusive: bool,
    /// Built with [`build_kind`].
    pub kind: PromotionKind,
    /// ISO 4217 code of the definition's amounts; required when it has some, refused when not.
    pub currency: Option<String>,
    /// Market ids; empty: every market (not allowed with amounts).
    pub markets: Vec<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub requires_coupon: bool,
    pub usage_limit: Option<i64>,
    pub per_customer_limit: Option<i32>,
}

/// A definition as checked: its markets, sorted and without duplicates, and the currency of its
/// amounts (upper case; `None` when it has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedScope {
    pub markets: Vec<String>,
    pub currency: Option<String>,
}

impl PromotionInput {
    /// Checks a whole definition against the domain rules and the markets (not whether its
    /// target exists: that is the store's). `currency_given` says whether the request named
    /// the currency (refused when there are no amounts) or it was kept from before (then
    /// dropped).
    pub fn check(&self, regions: &regions::Catalog, currency_given: bool) -> Result<CheckedScope, PromotionRejection> {
        let probe = Promotion {
            id: Uuid::nil(),
            name: self.name.clone(),
            priority: self.priority,
            exclusive: self.exclusive,
            kind: self.kind.clone(),
            markets: Vec::new(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            requires_coupon: self.requires_coupon,
        };
        probe.check().map_err(|e| match e {
            super::PromotionError::Invalid { field, reason } => invalid(field, reason),
        })?;
        if let Some(t) = self.starts_at {
            check_time("starts_at", t)?;
        }
        if let Some(t) = self.ends_at {
            check_time("ends_at", t)?;
        }
        if self.usage_limit.is_some_and(|l| l <= 0) {
            return Err(invalid("usage_limit", "a positive number of uses"));
        }
        if self.per_customer_limit.is_some_and(|l| l <= 0) {
            return Err(invalid("per_customer_limit", "a positive number of uses"));
        }
        let mut markets: Vec<&regions::Market> = Vec::new();
        for m in &self.markets {
            let market = regions
                .market(m)
                .ok_or_else(|| PromotionRejection::UnknownMarket { market: m.chars().take(64).collect() })?;
            if !markets.iter().any(|x| x.id == market.id) {
                markets.push(market);
            }
        }
        markets.sort_by(|a, b| a.id.cmp(&b.id));
        let currency = if has_amounts(&self.kind) {
            let given = self.currency.as_deref().ok_or(PromotionRejection::CurrencyRequired)?;
            let currency = regions::Currency::from_code(&given.to_ascii_uppercase())
                .ok_or_else(|| invalid("currency", "an ISO 4217 currency code"))?;
            if markets.is_empty() {
                return Err(PromotionRejection::MarketsRequired);
            }
            for market in &markets {
                if market.currency != currency {
                    return Err(PromotionRejection::CurrencyMismatch {
                        market: market.id.to_string(),
                        expected: market.currency.code().into(),
                        given: currency.code().into(),
                    });
                }
            }
            Some(currency.code().to_string())
        } else if currency_given && self.currency.is_some() {
            return Err(invalid("currency", "only a promotion with amounts has a currency"));
        } else {
            None
        };
        Ok(CheckedScope { markets: markets.iter().map(|m| m.id.to_string()).collect(), currency })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn rate(s: &str) -> Rate {
        Rate::parse_percent(s).unwrap()
    }

    #[test]
    fn kinds_refuse_parts_they_do_not_have_and_need_their_own() {
        let check = |kind: KindName, parts: KindParts, field: Option<&str>| {
            let got = build_kind(kind, parts);
            match field {
                None => assert!(got.is_ok(), "{got:?}"),
                Some(f) => {
                    assert!(matches!(&got, Err(PromotionRejection::Invalid { field, .. }) if field == f), "{got:?}")
                }
            }
        };
        let pct = Some(Discount::Percent(rate("10")));
        check(KindName::Catalog, KindParts::default(), Some("discount"));
        check(KindName::Catalog, KindParts { discount: pct.clone(), ..Default::default() }, None);
        check(KindName::Catalog, KindParts { discount: pct.clone(), buy: Some(1), ..Default::default() }, Some("buy"));
        check(
            KindName::Order,
            KindParts { discount: pct.clone(), percent_off: Some(rate("5")), ..Default::default() },
            Some("percent_off"),
        );
        check(KindName::BuyXGetY, KindParts { buy: Some(2), ..Default::default() }, Some("get"));
        check(
            KindName::BuyXGetY,
            KindParts { buy: Some(2), get: Some(1), discount: pct, ..Default::default() },
            Some("discount"),
        );
        check(
            KindName::FreeShipping,
            KindParts { target: Some(Target::Products(BTreeSet::new())), ..Default::default() },
            Some("target.ids"),
        );
        check(KindName::FreeShipping, KindParts { min_subtotal: Some(100), ..Default::default() }, None);
    }
}
