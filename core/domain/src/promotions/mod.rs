//! Promotions: what they are, when they are live, and which lines they target. The quote
//! ([`crate::quote`]) applies them in a fixed order.
//!
//! - **Catalog** promotions lower the unit price of the products they target (a flash sale):
//!   at most one applies to a line, the one with the highest priority (then the largest
//!   discount, then the smallest id).
//! - **Order** promotions (an amount or percentage off once a threshold is met), **buy X get
//!   Y**, and **free shipping** then apply in priority order (highest first, ties by id), each
//!   to what the previous ones left; an *exclusive* one that applies stops the ones after it.
//!
//! Nothing here reads a clock or a database: the caller says what time it is, which coupons
//! were presented, and which promotions have uses left.
//!
//! A merchandiser's definitions are built and checked in [`definitions`]; coupon codes' rules
//! are in [`coupons`].

pub mod coupons;
pub mod definitions;

use std::collections::BTreeSet;

pub use coupons::{
    CODE_ALPHABET, CouponRejection, CouponSource, GENERATED_CODE_LEN, MAX_CODE_LEN, MAX_EXPLICIT_COUPONS,
    MAX_GENERATED_COUPONS, MAX_PREFIX_LEN, MAX_PRESENTED_COUPONS, Presented, check_coupon_request, normalize_code,
    presented_codes,
};
pub use definitions::{
    CheckedScope, KindName, KindParts, MAX_TARGET_IDS, MAX_TIME_MICROS, MIN_TIME_MICROS, PromotionInput,
    PromotionRejection, build_kind,
};

use regions::Rate;
use uuid::Uuid;

/// How much a promotion takes off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discount {
    /// A percentage of the amount: the discounted amount is rounded, the discount is the
    /// difference (so "10 % off 1,234.35" is 1,110.92, not 1,110.91).
    Percent(Rate),
    /// A fixed amount in minor units of the market's currency, spread across the targeted
    /// lines in proportion to their amounts.
    Amount(i64),
}

/// What a promotion applies to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Target {
    #[default]
    All,
    Products(BTreeSet<Uuid>),
    /// Products in these categories or their descendants.
    Categories(BTreeSet<Uuid>),
}

impl Target {
    /// Whether a line of `product` in `categories` (its category and every ancestor) is
    /// targeted.
    pub fn matches(&self, product: Uuid, categories: &[Uuid]) -> bool {
        match self {
            Self::All => true,
            Self::Products(ids) => ids.contains(&product),
            Self::Categories(ids) => categories.iter().any(|c| ids.contains(c)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromotionKind {
    /// Lowers the unit price of the targeted products (shown in the catalog as the sale price).
    Catalog { target: Target, discount: Discount },
    /// Takes `discount` off the targeted lines once their subtotal reaches `min_subtotal`.
    Order { target: Target, min_subtotal: i64, discount: Discount },
    /// Among the targeted units, for every `buy + get` units the `get` cheapest are reduced by
    /// `percent_off` (100 % makes them free).
    BuyXGetY { target: Target, buy: u32, get: u32, percent_off: Rate },
    /// Shipping is free once the order's subtotal reaches `min_subtotal`.
    FreeShipping { min_subtotal: i64 },
}

/// A promotion as the quote sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promotion {
    pub id: Uuid,
    pub name: String,
    /// Higher first.
    pub priority: i32,
    /// Once it applies, no order-level promotion after it does.
    pub exclusive: bool,
    pub kind: PromotionKind,
    /// Markets it runs in (empty: all).
    pub markets: Vec<String>,
    /// Live from (inclusive) and until (exclusive), in microseconds since the Unix epoch.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    /// Whether a coupon code must be presented for it to apply.
    pub requires_coupon: bool,
}

impl Promotion {
    /// Whether it runs in `market` at `now`.
    pub fn is_live(&self, market: &str, now: i64) -> bool {
        (self.markets.is_empty() || self.markets.iter().any(|m| m == market))
            && self.starts_at.is_none_or(|s| now >= s)
            && self.ends_at.is_none_or(|e| now < e)
    }

    pub fn is_catalog(&self) -> bool {
        matches!(self.kind, PromotionKind::Catalog { .. })
    }
}

/// Validation of a promotion's definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromotionError {
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl PromotionError {
    pub fn code(&self) -> &'static str {
        "validation_failed"
    }
}

fn invalid(field: &'static str, reason: &str) -> PromotionError {
    PromotionError::Invalid { field, reason: reason.into() }
}

impl Promotion {
    /// Checks the definition: percentages in (0, 100], positive amounts and thresholds, a
    /// sensible window, buy/get counts.
    pub fn check(&self) -> Result<(), PromotionError> {
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(invalid("name", "1-200 characters"));
        }
        if let (Some(s), Some(e)) = (self.starts_at, self.ends_at)
            && e <= s
        {
            return Err(invalid("ends_at", "must be after starts_at"));
        }
        let check_discount = |d: &Discount| match d {
            Discount::Percent(r) if r.nanos() > 0 && r.nanos() <= regions::rules::RATE_SCALE => Ok(()),
            Discount::Percent(_) => Err(invalid("discount", "a percentage above 0 and at most 100")),
            Discount::Amount(a) if *a > 0 && *a <= crate::catalog::MAX_AMOUNT_MINOR => Ok(()),
            Discount::Amount(_) => Err(invalid("discount", "a positive amount in minor units")),
        };
        match &self.kind {
            PromotionKind::Catalog { discount, .. } => check_discount(discount),
            PromotionKind::Order { discount, min_subtotal, .. } => {
                if *min_subtotal < 0 {
                    return Err(invalid("min_subtotal", "must not be negative"));
                }
                check_discount(discount)
            }
            PromotionKind::BuyXGetY { buy, get, percent_off, .. } => {
                if *buy == 0 || *get == 0 || *buy > 100 || *get > 100 {
                    return Err(invalid("buy", "buy and get are 1 to 100 units"));
                }
                if percent_off.nanos() <= 0 || percent_off.nanos() > regions::rules::RATE_SCALE {
                    return Err(invalid("percent_off", "a percentage above 0 and at most 100"));
                }
                Ok(())
            }
            PromotionKind::FreeShipping { min_subtotal } => {
                if *min_subtotal < 0 {
                    return Err(invalid("min_subtotal", "must not be negative"));
                }
                Ok(())
            }
        }
    }
}
