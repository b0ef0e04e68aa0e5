//! The promotions a quote considers: the live automatic promotions of the market, and those
//! activated by the coupons presented (checked, not used up: checkout redeems them). Without
//! coupons or a known shopper, the automatic promotions come from the core's short-lived cache.

use core_domain::promotions::Promotion;
use regions::Market;

use crate::error::ApiResult;
use crate::state::AppState;

pub async fn for_quote(
    state: &AppState,
    market: &Market,
    coupons: &[String],
    customer: Option<&str>,
    now: i64,
) -> ApiResult<Vec<Promotion>> {
    if coupons.is_empty() && customer.is_none() {
        // Nothing shopper-specific to check: the market's live automatic promotions.
        return Ok(state.live_promotions(market.id.as_str(), now).await?.as_ref().clone());
    }
    let client = state.store.client().await?;
    let found =
        core_store::promotions::promotions_for_quote(&client, market.id.as_str(), now, coupons, customer).await?;
    Ok(found.promotions)
}
