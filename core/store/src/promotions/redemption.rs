//! Redemption: one use of a promotion (and of its coupon) consumed inside the checkout's
//! transaction without ever going past a limit, under any concurrency; given back when an
//! order is cancelled before payment; counted for the merchandiser.

use core_domain::promotions::{CouponRejection, Presented, normalize_code};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::CouponError;
use crate::{Prepared, StoreError};

/// How many orders redeemed a promotion (from the log; counted whether or not it has limits).
pub async fn redemption_count(client: &impl GenericClient, id: Uuid) -> Result<i64, StoreError> {
    Ok(client
        .query_one_cached("SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1", &[&id])
        .await?
        .get(0))
}
/// One promotion applied to an order, to record at checkout.
#[derive(Clone, Copy, Debug)]
pub struct Redemption<'a> {
    pub promotion_id: Uuid,
    /// The coupon code that activated it (any case); `None` for an automatic promotion.
    pub code: Option<&'a str>,
    /// Required when the promotion has a per-customer limit.
    pub customer: Option<&'a str>,
    /// The order (at most one redemption per order and promotion).
    pub order_ref: &'a str,
    /// The order's region (the shopper's home region), where the log row lives.
    pub region: &'a str,
}

/// Consumes one use of a promotion (and of its coupon) inside the caller's order transaction,
/// and logs it; returns the redemption's id. Each limit (the code's, the promotion's total,
/// the customer's) is a conditional increment that cannot go past it, so concurrent checkouts
/// never exceed a limit; when one is reached the answer is the same error as
/// [`resolve_coupons`] gives (`coupon_exhausted`, `coupon_limit_reached_for_customer`, or
/// `promotion_exhausted` for an automatic promotion). Whether the promotion is live was
/// decided by the quote the order is built from; an archived promotion is refused.
///
/// On `Err`, roll the transaction back.
pub async fn redeem(client: &impl GenericClient, r: &Redemption<'_>) -> Result<Uuid, CouponError> {
    let code = match r.code {
        Some(c) => Some(
            normalize_code(c.trim())
                .ok_or_else(|| CouponRejection::UnknownCoupon { code: c.chars().take(64).collect() })?,
        ),
        None => None,
    };
    let who = match &code {
        Some(c) => Presented::Coupon(c.clone()),
        None => Presented::Automatic(r.promotion_id),
    };
    // One read of everything the checks need; the writes below re-check each limit.
    let state = client
        .query_opt_cached(
            "SELECT p.requires_coupon, p.archived_at IS NOT NULL, p.usage_limit, p.uses, p.per_customer_limit, \
             c.promotion_id, c.usage_limit, c.uses, u.uses \
             FROM promotions p \
             LEFT JOIN coupons c ON c.code = $2 \
             LEFT JOIN promotion_customer_uses u ON u.promotion_id = p.id AND u.customer_id = $3 \
             WHERE p.id = $1",
            &[&r.promotion_id, &code, &r.customer],
        )
        .await?;
    let Some(state) = state else {
        return Err(match code {
            Some(code) => CouponRejection::UnknownCoupon { code },
            None => CouponRejection::UnknownPromotion { id: r.promotion_id },
        }
        .into());
    };
    let requires_coupon: bool = state.get(0);
    let archived: bool = state.get(1);
    let usage_limit: Option<i64> = state.get(2);
    let uses: i64 = state.get(3);
    let per_customer_limit: Option<i32> = state.get(4);
    let coupon_promotion: Option<Uuid> = state.get(5);
    let coupon_limit: Option<i64> = state.get(6);
    let coupon_uses: Option<i64> = state.get(7);
    let customer_uses: Option<i32> = state.get(8);
    if let Some(code) = &code
        && coupon_promotion != Some(r.promotion_id)
    {
        return Err(CouponRejection::UnknownCoupon { code: code.clone() }.into());
    }
    if code.is_none() && requires_coupon {
        return Err(CouponRejection::CouponRequired { id: r.promotion_id }.into());
    }
    if archived {
        return Err(CouponRejection::Archived(who).into());
    }
    let coupon_counted = code.is_some() && coupon_limit.is_some();
    if coupon_limit.is_some_and(|l| coupon_uses.unwrap_or(0) >= l) || usage_limit.is_some_and(|l| uses >= l) {
        return Err(CouponRejection::Exhausted(who).into());
    }
    let customer_limit = match (per_customer_limit, r.customer) {
        (None, _) => None,
        (Some(_), None) => return Err(CouponRejection::CustomerRequired(who).into()),
        (Some(limit), Some(customer)) => {
            if customer_uses.unwrap_or(0) >= limit {
                return Err(CouponRejection::LimitReachedForCustomer(who).into());
            }
            Some((limit, customer))
        }
    };

    // The conditional increments: each succeeds only while its limit is not reached, whatever
    // other transactions did since the read above (they make this one fail with 40001, or
    // wait for it).
    if coupon_counted {
        let n = client
            .execute_cached("UPDATE coupons SET uses = uses + 1 WHERE code = $1 AND uses < usage_limit", &[&code])
            .await?;
        if n == 0 {
            return Err(CouponRejection::Exhausted(who).into());
        }
    }
    if usage_limit.is_some() {
        let n = client
            .execute_cached(
                "UPDATE promotions SET uses = uses + 1 \
                 WHERE id = $1 AND usage_limit IS NOT NULL AND uses < usage_limit",
                &[&r.promotion_id],
            )
            .await?;
        if n == 0 {
            return Err(CouponRejection::Exhausted(who).into());
        }
    }
    if let Some((limit, customer)) = customer_limit {
        let counted = client
            .query_opt_cached(
                "INSERT INTO promotion_customer_uses (promotion_id, customer_id, region, uses) \
                 VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (promotion_id, customer_id) DO UPDATE \
                 SET uses = promotion_customer_uses.uses + 1, updated_at = now() \
                 WHERE promotion_customer_uses.uses < $4 RETURNING uses",
                &[&r.promotion_id, &customer, &r.region, &limit],
            )
            .await?;
        if counted.is_none() {
            return Err(CouponRejection::LimitReachedForCustomer(who).into());
        }
    }
    let id = Uuid::new_v4();
    client
        .execute_cached(
            "INSERT INTO promotion_redemptions (id, promotion_id, code, customer_id, order_ref, region) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&id, &r.promotion_id, &code, &r.customer, &r.order_ref, &r.region],
        )
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict { constraint } if constraint == "promotion_redemptions_by_order" => {
                CouponError::Rejected(CouponRejection::AlreadyRedeemed)
            }
            other => CouponError::Store(other),
        })?;
    Ok(id)
}

/// Gives back the uses an order consumed (an order cancelled before payment): removes its
/// redemptions and decrements the counters they were counted on. Returns how many
/// redemptions were released (0 when the order had none, so a retry is harmless).
pub async fn release(client: &impl GenericClient, order_ref: &str) -> Result<u64, StoreError> {
    let rows = client
        .query_cached(
            "DELETE FROM promotion_redemptions WHERE order_ref = $1 RETURNING promotion_id, code, customer_id",
            &[&order_ref],
        )
        .await?;
    for row in &rows {
        let promotion: Uuid = row.get(0);
        let code: Option<String> = row.get(1);
        let customer: Option<String> = row.get(2);
        if let Some(code) = &code {
            client
                .execute_cached(
                    "UPDATE coupons SET uses = uses - 1 WHERE code = $1 AND usage_limit IS NOT NULL AND uses > 0",
                    &[code],
                )
                .await?;
        }
        client
            .execute_cached(
                "UPDATE promotions SET uses = uses - 1 WHERE id = $1 AND usage_limit IS NOT NULL AND uses > 0",
                &[&promotion],
            )
            .await?;
        if let Some(customer) = &customer {
            client
                .execute_cached(
                    "UPDATE promotion_customer_uses SET uses = uses - 1, updated_at = now() \
                     WHERE promotion_id = $1 AND customer_id = $2 AND uses > 0",
                    &[&promotion, customer],
                )
                .await?;
        }
    }
    Ok(rows.len() as u64)
}
