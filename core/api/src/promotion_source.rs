//! The promotions a quote considers: the live automatic promotions of the market, and those
//! activated by the coupons presented.

use core_domain::promotions::Promotion;
use regions::Market;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn for_quote(
    _state: &AppState,
    _market: &Market,
    coupons: &[String],
    _customer: Option<&str>,
    _now: i64,
) -> ApiResult<Vec<Promotion>> {
    if let Some(code) = coupons.first() {
        return Err(ApiError::new(
            http::StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_coupon",
            format!("no coupon `{code}`"),
        ));
    }
    Ok(Vec::new())
}
