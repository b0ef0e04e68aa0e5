//! `POST /v1/{market}/{language}/quote`: a cart priced in full. Prices come from the database
//! (never from the client or a cache), the currency from the market, promotions from what is
//! live and the coupons presented, tax from the market's provider. Checkout uses the same path.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use core_domain::quote::{self, QuoteError};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiResult, ErrorBody};
use crate::state::{AppState, truncate};
use core_app::quote::{CartToPrice, Promotions, Shipping, check_destination};

pub use crate::answers::quote::QuoteDto;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/{market}/{language}/quote", post(quote))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLineIn {
    variant_id: Uuid,
    quantity: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationIn {
    /// ISO 3166-1 alpha-2; must be the market's country.
    country: String,
    /// State or province (ISO 3166-2 suffix: `NY`, `QC`), required in sales-tax markets.
    subdivision: Option<String>,
    /// Kept for carriers' rates (shipping is a placeholder for now).
    #[allow(dead_code)]
    postal_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteIn {
    lines: Vec<QuoteLineIn>,
    destination: DestinationIn,
    /// Coupon codes (case-insensitive).
    #[serde(default)]
    coupons: Vec<String>,
    /// A shipping charge to price with, in minor units (carts and checkout price shipping from
    /// the carriers' options instead).
    #[serde(default)]
    shipping_minor: i64,
    /// Optional: when given it must be the market's currency (the server never takes a
    /// currency from the client).
    currency: Option<String>,
    /// The shopper, for per-customer coupon limits.
    customer_id: Option<String>,
}

#[utoipa::path(post, path = "/v1/{market}/{language}/quote", tag = "checkout", request_body = QuoteIn,
    params(("market" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = QuoteDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "unknown variant or coupon, not sold here, bad quantity, destination outside the market, currency mismatch…"),
        (status = 503, body = ErrorBody, description = "tax provider unavailable")))]
/// Prices a cart: lines, discounts, taxes, shipping and totals in minor units.
pub async fn quote(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<QuoteIn>, JsonRejection>,
) -> ApiResult<Json<QuoteDto>> {
    let Path((market, language)) = path?;
    let scope = state.scope(&market, &language)?;
    let Json(body) = body?;
    let market = scope.market;

    if let Some(currency) = &body.currency
        && currency != market.currency.code()
    {
        return Err(core_app::AppError::unprocessable(
            "currency_mismatch",
            format!("market `{}` charges in {}, not {}", market.id, market.currency, truncate(currency)),
        )
        .into());
    }
    check_destination(&state, market, &body.destination.country)?;
    if body.lines.len() > quote::MAX_LINES {
        return Err(QuoteError::TooManyLines.into());
    }
    let lines: Vec<(Uuid, u32)> = body.lines.iter().map(|l| (l.variant_id, l.quantity)).collect();
    let subdivision = body.destination.subdivision.as_deref().map(str::to_ascii_uppercase);
    let priced = core_app::quote::price(
        &state,
        market,
        &CartToPrice {
            lines: &lines,
            coupons: &body.coupons,
            customer: body.customer_id.as_deref(),
            subdivision: subdivision.as_deref(),
            shipping: Shipping::Amount(body.shipping_minor),
        },
        Promotions::CachedWhenAnonymous,
    )
    .await?;
    let quote = priced
        .quote
        .ok_or(QuoteError::Tax(core_domain::tax::TaxError::MissingSubdivision { market: market.id.to_string() }))?;
    let labels = core_app::catalog::line_labels(
        &state,
        market,
        scope.language.as_str(),
        &lines.iter().map(|l| l.0).collect::<Vec<_>>(),
    )
    .await?;
    Ok(Json(QuoteDto::priced(quote, None, &labels)))
}
