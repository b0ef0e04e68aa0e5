//! The promotions a quote considers: the live automatic promotions of the market, and those
//! activated by the coupons presented (checked, not used up: checkout redeems them). Without
//! coupons or a known shopper, quotes take the automatic promotions from the core's
//! short-lived cache.

use core_domain::promotions::Promotion;
use regions::Market;
use uuid::Uuid;

use super::Promotions;
use crate::App;
use crate::error::AppResult;

/// The promotions, and the coupon code that activated each coupon promotion.
pub async fn for_cart(
    app: &App,
    client: &impl core_store::Db,
    market: &Market,
    coupons: &[String],
    customer: Option<&str>,
    now: i64,
    source: Promotions,
) -> AppResult<(Vec<Promotion>, Vec<(Uuid, String)>)> {
    if source == Promotions::CachedWhenAnonymous && coupons.is_empty() && customer.is_none() {
        return Ok((app.live_promotions(market.id.as_str(), now).await?.as_ref().clone(), Vec::new()));
    }
    let found =
        core_store::promotions::promotions_for_quote(client, market.id.as_str(), now, coupons, customer).await?;
    let codes = found.promotions.iter().filter_map(|p| found.code_of(p.id).map(|c| (p.id, c.to_string()))).collect();
    Ok((found.promotions, codes))
}
