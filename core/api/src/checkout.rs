//! `POST /v1/carts/{id}/checkout` with an `Idempotency-Key`: the request read here, the
//! checkout itself is [`core_app::checkout`].

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use core_app::checkout::{Buyer, CheckoutRequest, ShipTo};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::answers::orders::OrderDto;
use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/carts/{id}/checkout", post(checkout))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ShipToIn {
    name: String,
    line1: String,
    line2: Option<String>,
    city: String,
    postal_code: String,
    country: String,
    subdivision: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutIn {
    /// The card token the payment provider's tokenization gave the shopper's browser. Card
    /// numbers are never accepted here.
    payment_token: String,
    /// Contact email; required for guests.
    email: Option<String>,
    ship_to: ShipToIn,
}

#[utoipa::path(post, path = "/v1/carts/{id}/checkout", tag = "checkout", request_body = CheckoutIn,
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, description = "required: a retry with the same key returns the same order"),
        ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 201, body = OrderDto, description = "order created (confirmed, payment failed, awaiting the shopper's 3-D Secure action, or pending the provider)"),
        (status = 200, body = OrderDto, description = "a retry: the order this key created"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "out of stock, cart closed, promotion used up"),
        (status = 422, body = ErrorBody)))]
/// Turns the cart into an order and pays for it.
pub async fn checkout(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<CheckoutIn>, JsonRejection>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let cart_id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("cart_not_found", "no such cart"))?;
    let owner = crate::access::owner(&shopper, &headers)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "idempotency_key_required",
                "checkout needs an Idempotency-Key header (1-255 visible characters)",
            )
        })?
        .to_string();
    let Json(body) = body?;
    let ship = body.ship_to;
    let request = CheckoutRequest {
        cart_id,
        owner,
        buyer: shopper.0.map(|s| Buyer { user_id: s.user_id, home_region: s.home_region }),
        key,
        payment_token: body.payment_token,
        email: body.email,
        ship_to: ShipTo {
            name: ship.name,
            line1: ship.line1,
            line2: ship.line2,
            city: ship.city,
            postal_code: ship.postal_code,
            country: ship.country,
            subdivision: ship.subdivision,
            phone: ship.phone,
        },
    };
    let done = core_app::checkout::checkout(&state, request).await?;
    let status = if done.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(OrderDto::from(done.order))).into_response())
}
