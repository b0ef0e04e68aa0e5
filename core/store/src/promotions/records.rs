//! A promotion's row as the store keeps it: the record the merchandiser sees, the stored form
//! of a definition (JSON: percentages as decimal strings, amounts in minor units), and the
//! conversions between the quote's microseconds and the database's timestamps.

use std::collections::BTreeSet;

use core_domain::promotions::{Discount, KindName, Promotion, PromotionKind, PromotionRejection, Target};
use regions::Rate;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

fn target_json(target: &Target) -> Value {
    match target {
        Target::All => json!({"type": "all"}),
        Target::Products(ids) => json!({"type": "products", "ids": ids}),
        Target::Categories(ids) => json!({"type": "categories", "ids": ids}),
    }
}

fn discount_json(discount: &Discount) -> Value {
    match discount {
        Discount::Percent(rate) => json!({"type": "percent", "percent": rate.percent_string()}),
        Discount::Amount(amount) => json!({"type": "amount", "amount_minor": amount}),
    }
}

/// The stored form of a definition: percentages as decimal strings, amounts in minor units.
pub(super) fn definition_json(kind: &PromotionKind) -> Value {
    match kind {
        PromotionKind::Catalog { target, discount } => {
            json!({"target": target_json(target), "discount": discount_json(discount)})
        }
        PromotionKind::Order { target, min_subtotal, discount } => json!({
            "target": target_json(target), "discount": discount_json(discount), "min_subtotal_minor": min_subtotal
        }),
        PromotionKind::BuyXGetY { target, buy, get, percent_off } => json!({
            "target": target_json(target), "buy": buy, "get": get, "percent_off": percent_off.percent_string()
        }),
        PromotionKind::FreeShipping { min_subtotal } => json!({"min_subtotal_minor": min_subtotal}),
    }
}

fn target_from_json(v: &Value) -> Option<Target> {
    let ids = || -> Option<BTreeSet<Uuid>> {
        v.get("ids")?.as_array()?.iter().map(|id| id.as_str().and_then(|s| Uuid::parse_str(s).ok())).collect()
    };
    Some(match v.get("type")?.as_str()? {
        "all" => Target::All,
        "products" => Target::Products(ids()?),
        "categories" => Target::Categories(ids()?),
        _ => return None,
    })
}

fn discount_from_json(v: &Value) -> Option<Discount> {
    Some(match v.get("type")?.as_str()? {
        "percent" => Discount::Percent(Rate::parse_percent(v.get("percent")?.as_str()?)?),
        "amount" => Discount::Amount(v.get("amount_minor")?.as_i64()?),
        _ => return None,
    })
}

pub(super) fn kind_from_json(kind: &str, def: &Value) -> Option<PromotionKind> {
    let target = || target_from_json(def.get("target")?);
    let discount = || discount_from_json(def.get("discount")?);
    let min_subtotal = || def.get("min_subtotal_minor")?.as_i64();
    let count = |field: &str| def.get(field)?.as_u64().and_then(|n| u32::try_from(n).ok());
    Some(match KindName::parse(kind)? {
        KindName::Catalog => PromotionKind::Catalog { target: target()?, discount: discount()? },
        KindName::Order => {
            PromotionKind::Order { target: target()?, min_subtotal: min_subtotal()?, discount: discount()? }
        }
        KindName::BuyXGetY => PromotionKind::BuyXGetY {
            target: target()?,
            buy: count("buy")?,
            get: count("get")?,
            percent_off: Rate::parse_percent(def.get("percent_off")?.as_str()?)?,
        },
        KindName::FreeShipping => PromotionKind::FreeShipping { min_subtotal: min_subtotal()? },
    })
}

pub(super) fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

pub(super) fn timestamp(field: &str, micros: i64) -> Result<OffsetDateTime, PromotionRejection> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|_| PromotionRejection::invalid(field, "out of the supported range of dates"))
}

/// The current time of a caller as a timestamp (quotes pass their own clock).
pub(super) fn now_timestamp(now: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000)
        .map_err(|_| StoreError::Schema(format!("time {now} out of range")))
}

pub(super) fn optional_timestamp(field: &str, t: Option<i64>) -> Result<Option<OffsetDateTime>, PromotionRejection> {
    t.map(|t| timestamp(field, t)).transpose()
}

/// A promotion as the merchandiser sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromotionRecord {
    /// What the quote applies.
    pub promotion: Promotion,
    /// Currency of the definition's amounts (`None` when it has none).
    pub currency: Option<String>,
    pub usage_limit: Option<i64>,
    pub per_customer_limit: Option<i32>,
    /// Redemptions counted against `usage_limit` (kept only while there is one).
    pub uses: i64,
    pub archived_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl PromotionRecord {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

/// A promotion from a row of the columns of `promotion_columns!`.
pub(super) fn record(r: &tokio_postgres::Row) -> Result<PromotionRecord, StoreError> {
    let id: Uuid = r.get("id");
    let kind_name: String = r.get("kind");
    let definition: Value = r.get("definition");
    let kind = kind_from_json(&kind_name, &definition)
        .ok_or_else(|| StoreError::Schema(format!("promotion {id}: unreadable definition")))?;
    Ok(PromotionRecord {
        promotion: Promotion {
            id,
            name: r.get("name"),
            priority: r.get("priority"),
            exclusive: r.get("exclusive"),
            kind,
            markets: r.get("markets"),
            starts_at: r.get::<_, Option<OffsetDateTime>>("starts_at").map(micros),
            ends_at: r.get::<_, Option<OffsetDateTime>>("ends_at").map(micros),
            requires_coupon: r.get("requires_coupon"),
        },
        currency: r.get("currency"),
        usage_limit: r.get("usage_limit"),
        per_customer_limit: r.get("per_customer_limit"),
        uses: r.get("uses"),
        archived_at: r.get("archived_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

/// Microseconds since the Unix epoch of a record's creation, for cursors.
pub fn created_micros(record: &PromotionRecord) -> i64 {
    micros(record.created_at)
}

#[cfg(test)]
mod tests {
    use core_domain::promotions::{KindParts, MAX_TIME_MICROS, MIN_TIME_MICROS, build_kind};

    use super::*;

    fn rate(s: &str) -> Rate {
        Rate::parse_percent(s).unwrap()
    }

    #[test]
    fn definitions_round_trip_through_their_stored_form() {
        let ids: BTreeSet<Uuid> = [Uuid::new_v4(), Uuid::new_v4()].into();
        let kinds = [
            PromotionKind::Catalog { target: Target::Products(ids.clone()), discount: Discount::Percent(rate("12.5")) },
            PromotionKind::Order { target: Target::All, min_subtotal: 5000, discount: Discount::Amount(500) },
            PromotionKind::BuyXGetY { target: Target::Categories(ids), buy: 2, get: 1, percent_off: rate("100") },
            PromotionKind::FreeShipping { min_subtotal: 0 },
        ];
        for kind in kinds {
            let json = definition_json(&kind);
            assert_eq!(kind_from_json(KindName::of(&kind).as_str(), &json), Some(kind.clone()), "{json}");
            assert_eq!(build_kind(KindName::of(&kind), KindParts::of(&kind)), Ok(kind));
        }
    }

    #[test]
    fn the_domain_range_of_times_is_what_the_store_can_represent() {
        assert!(timestamp("t", MIN_TIME_MICROS).is_ok());
        assert!(timestamp("t", MAX_TIME_MICROS).is_ok());
        assert!(timestamp("t", MIN_TIME_MICROS - 1).is_err());
        assert!(timestamp("t", MAX_TIME_MICROS + 1).is_err());
    }
}
