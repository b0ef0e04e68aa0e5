//! What a quote reads: the live automatic promotions of a market, and the promotions the
//! presented coupon codes activate (checked for the market, the time and the limits, without
//! consuming anything: [`super::redeem`] does, at checkout).

use core_domain::promotions::{CouponRejection, Presented, Promotion, presented_codes};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::CouponError;
use super::records::{PromotionRecord, now_timestamp, record};
use crate::{Prepared, StoreError};

/// The live automatic (no coupon) promotions of `market` at `now` (microseconds since the
/// Unix epoch): not archived, started, not ended, with uses left. Highest priority first.
pub async fn live_promotions(
    client: &impl GenericClient,
    market: &str,
    now: i64,
) -> Result<Vec<Promotion>, StoreError> {
    Ok(live_records(client, market, now).await?.into_iter().map(|r| r.promotion).collect())
}

async fn live_records(client: &impl GenericClient, market: &str, now: i64) -> Result<Vec<PromotionRecord>, StoreError> {
    let now = now_timestamp(now)?;
    let rows = client
        .query_cached(
            concat!(
                "SELECT ",
                promotion_columns!(),
                " FROM promotions p WHERE p.archived_at IS NULL AND p.requires_coupon = false \
                 AND (cardinality(p.markets) = 0 OR $1::TEXT = ANY(p.markets)) \
                 AND (p.starts_at IS NULL OR p.starts_at <= $2) AND (p.ends_at IS NULL OR p.ends_at > $2) \
                 AND (p.usage_limit IS NULL OR p.uses < p.usage_limit) \
                 ORDER BY p.priority DESC, p.id"
            ),
            &[&market, &now],
        )
        .await?;
    rows.iter().map(record).collect()
}

/// A presented code that resolved, with the promotion it activates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedCoupon {
    /// Normalized (upper case): what [`redeem`] takes.
    pub code: String,
    pub promotion: Promotion,
}

/// Checks presented coupon codes (any case) for `market` at `now` and for `customer` (when
/// known), and returns the promotion each activates, in the order presented, each promotion
/// once. The first code that does not work is the error: `unknown_coupon`,
/// `promotion_archived`, `coupon_not_valid_in_market`, `promotion_not_started`,
/// `promotion_expired`, `coupon_exhausted` (the code's or the promotion's total limit) or
/// `coupon_limit_reached_for_customer`. Consumes nothing: [`redeem`] does, at checkout.
///
/// Without a customer, per-customer limits are not checked here (a guest may still sign in);
/// [`redeem`] then requires one.
pub async fn resolve_coupons(
    client: &impl GenericClient,
    codes: &[String],
    market: &str,
    now: i64,
    customer: Option<&str>,
) -> Result<Vec<Promotion>, CouponError> {
    Ok(resolve_coupon_codes(client, codes, market, now, customer).await?.into_iter().map(|c| c.promotion).collect())
}

/// [`resolve_coupons`], keeping the code that activated each promotion.
pub async fn resolve_coupon_codes(
    client: &impl GenericClient,
    codes: &[String],
    market: &str,
    now: i64,
    customer: Option<&str>,
) -> Result<Vec<ResolvedCoupon>, CouponError> {
    let presented = presented_codes(codes)?;
    if presented.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query_cached(
            concat!(
                "SELECT c.code AS coupon_code, c.usage_limit AS coupon_limit, c.uses AS coupon_uses, \
                 u.uses AS customer_uses, ",
                promotion_columns!(),
                " FROM coupons c JOIN promotions p ON p.id = c.promotion_id \
                 LEFT JOIN promotion_customer_uses u ON u.promotion_id = p.id AND u.customer_id = $2 \
                 WHERE c.code = ANY($1)"
            ),
            &[&presented, &customer],
        )
        .await?;
    let mut out: Vec<ResolvedCoupon> = Vec::new();
    for code in presented {
        let Some(row) = rows.iter().find(|r| r.get::<_, String>("coupon_code") == code) else {
            return Err(CouponRejection::UnknownCoupon { code }.into());
        };
        let rec = record(row)?;
        let p = &rec.promotion;
        let who = || Presented::Coupon(code.clone());
        if rec.is_archived() {
            return Err(CouponRejection::Archived(who()).into());
        }
        if !p.markets.is_empty() && !p.markets.iter().any(|m| m == market) {
            return Err(CouponRejection::NotValidInMarket { presented: who(), market: market.into() }.into());
        }
        if p.starts_at.is_some_and(|s| now < s) {
            return Err(CouponRejection::NotStarted(who()).into());
        }
        if p.ends_at.is_some_and(|e| now >= e) {
            return Err(CouponRejection::Expired(who()).into());
        }
        let coupon_limit: Option<i64> = row.get("coupon_limit");
        let coupon_uses: i64 = row.get("coupon_uses");
        if coupon_limit.is_some_and(|l| coupon_uses >= l) || rec.usage_limit.is_some_and(|l| rec.uses >= l) {
            return Err(CouponRejection::Exhausted(who()).into());
        }
        let customer_uses: Option<i32> = row.get("customer_uses");
        if customer.is_some() && rec.per_customer_limit.is_some_and(|l| customer_uses.unwrap_or(0) >= l) {
            return Err(CouponRejection::LimitReachedForCustomer(who()).into());
        }
        if !out.iter().any(|c| c.promotion.id == p.id) {
            out.push(ResolvedCoupon { code, promotion: rec.promotion });
        }
    }
    Ok(out)
}

/// Everything a quote applies: the live automatic promotions of the market (less those the
/// customer may not use again) and those the presented coupons activate, each promotion once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuotePromotions {
    pub promotions: Vec<Promotion>,
    /// The code that activated each coupon promotion: what checkout passes to [`redeem`].
    pub codes: Vec<(Uuid, String)>,
}

impl QuotePromotions {
    /// The code that activated a promotion, if a coupon did.
    pub fn code_of(&self, promotion: Uuid) -> Option<&str> {
        self.codes.iter().find(|(id, _)| *id == promotion).map(|(_, c)| c.as_str())
    }
}

/// The promotions for a quote or a checkout: [`live_promotions`] plus
/// [`resolve_coupon_codes`], merged. With a customer, automatic promotions whose
/// per-customer limit the customer reached are left out.
pub async fn promotions_for_quote(
    client: &impl GenericClient,
    market: &str,
    now: i64,
    codes: &[String],
    customer: Option<&str>,
) -> Result<QuotePromotions, CouponError> {
    let mut live = live_records(client, market, now).await?;
    if let Some(customer) = customer {
        let limited: Vec<Uuid> =
            live.iter().filter(|r| r.per_customer_limit.is_some()).map(|r| r.promotion.id).collect();
        if !limited.is_empty() {
            let used = client
                .query_cached(
                    "SELECT promotion_id, uses FROM promotion_customer_uses \
                     WHERE customer_id = $1 AND promotion_id = ANY($2)",
                    &[&customer, &limited],
                )
                .await?;
            live.retain(|r| {
                let Some(limit) = r.per_customer_limit else { return true };
                let uses = used.iter().find(|u| u.get::<_, Uuid>(0) == r.promotion.id).map_or(0, |u| u.get(1));
                uses < limit
            });
        }
    }
    let mut out = QuotePromotions { promotions: live.into_iter().map(|r| r.promotion).collect(), codes: Vec::new() };
    for c in resolve_coupon_codes(client, codes, market, now, customer).await? {
        out.codes.push((c.promotion.id, c.code));
        if !out.promotions.iter().any(|p| p.id == c.promotion.id) {
            out.promotions.push(c.promotion);
        }
    }
    Ok(out)
}
