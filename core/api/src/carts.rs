//! Carts: guest carts (reached with the `X-Cart-Token` they were created with) and shoppers'
//! carts (reached with their session), lines, coupons, destination, the shipping option, a
//! live quote on every read and change (with the cart's shipping options), and the merge of a
//! guest cart into the shopper's at login. A cart that is not the caller's does not exist
//! (404). The requests are read here; the steps are [`core_app::carts`].

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use core_app::carts::{self as app, Pricing};
use core_app::checkout::Buyer;
use core_store::commerce::carts::{Cart, Owner};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::answers::lines::{Label, VariantOptionDto};
use crate::answers::quote::QuoteDto;
use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/{market}/{language}/carts", post(create))
        .route("/v1/carts/{id}", axum::routing::get(get_cart))
        .route("/v1/carts/{id}/lines/{variant}", put(set_line).delete(remove_line))
        .route("/v1/carts/{id}/coupons", put(set_coupons))
        .route("/v1/carts/{id}/destination", put(set_destination))
        .route("/v1/carts/{id}/shipping", put(set_shipping))
        .route("/v1/carts/{id}/merge", post(merge))
}

pub use crate::access::{CART_TOKEN, owner};
pub use core_app::carts::{random_token, token_hash};

#[derive(Serialize, ToSchema)]
pub struct CartLineDto {
    variant_id: Uuid,
    sku: String,
    /// The product's name in the cart's language.
    name: String,
    /// The variant's distinguishing attributes (colour, size…) in the cart's language.
    options: Vec<VariantOptionDto>,
    quantity: i32,
}

/// A cart: what every cart call answers, creation included.
#[derive(Serialize, ToSchema)]
pub struct CartDto {
    id: Uuid,
    /// Guests, in the answer that created the cart only: the secret to send as `X-Cart-Token`
    /// with every request on this cart (it is not kept in clear, and never shown again).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    market: String,
    language: String,
    status: String,
    lines: Vec<CartLineDto>,
    coupons: Vec<String>,
    country: Option<String>,
    subdivision: Option<String>,
    /// The shipping option the shopper chose (`carrier:service`); none: the cheapest.
    shipping_option: Option<String>,
    /// RFC 3339: when an untouched cart expires.
    expires_at: String,
    /// The cart priced now (absent for an empty cart; taxes absent until a sales-tax
    /// destination is known: see `pretax_quote`).
    quote: Option<QuoteDto>,
    /// Lines and discounts before tax, when the destination needed for the tax is missing.
    pretax_quote: Option<QuoteDto>,
    /// Why the cart cannot be priced now (a coupon that no longer applies, a line no longer
    /// sold…), with its stable code.
    quote_error: Option<ErrorBody>,
}

pub(crate) async fn render(state: &AppState, cart: Cart, customer: Option<&str>) -> ApiResult<CartDto> {
    let (mut quote, mut pretax, mut quote_error) = (None, None, None);
    let market =
        state.regions.market(&cart.market).ok_or_else(|| core_app::AppError::internal("cart of an unknown market"))?;
    let variants: Vec<Uuid> = cart.lines.iter().map(|(v, _)| *v).collect();
    let (pricing, labels) = futures::join!(
        app::price(state, &cart, customer),
        core_app::catalog::line_labels(state, market, &cart.language, &variants)
    );
    let labels = labels?;
    match pricing? {
        Pricing::Empty => {}
        Pricing::Priced(p) => {
            quote = p.quote.map(|q| QuoteDto::priced(q, p.shipping.as_ref(), &labels));
            pretax = p.pretax.map(|q| QuoteDto::priced(q, p.shipping.as_ref(), &labels));
        }
        Pricing::Refused(e) => quote_error = Some(ErrorBody { code: e.code, message: e.message }),
    }
    let lines = cart
        .lines
        .iter()
        .map(|&(variant_id, quantity)| {
            let sku = labels.get(&variant_id).map_or_else(String::new, |(sku, _)| sku.clone());
            let Label { name, options } = Label::of(&labels, variant_id, &sku);
            CartLineDto { variant_id, sku, name, options, quantity }
        })
        .collect();
    Ok(CartDto {
        id: cart.id,
        token: None,
        market: cart.market,
        language: cart.language,
        status: cart.status,
        lines,
        coupons: cart.coupons,
        country: cart.country,
        subdivision: cart.subdivision,
        shipping_option: cart.shipping_option,
        expires_at: core_app::clock::rfc3339(cart.expires_at),
        quote,
        pretax_quote: pretax,
        quote_error,
    })
}

fn customer_of(shopper: &MaybeShopper) -> Option<String> {
    shopper.0.as_ref().map(|s| s.user_id.to_string())
}

async fn load_rendered(state: &AppState, id: Uuid, owner: &Owner, shopper: &MaybeShopper) -> ApiResult<CartDto> {
    let cart = app::load(state, id, owner).await?;
    render(state, cart, customer_of(shopper).as_deref()).await
}

#[utoipa::path(post, path = "/v1/{market}/{language}/carts", tag = "checkout", params(("market" = String, Path), ("language" = String, Path)),
    responses((status = 201, body = CartDto, description = "the new cart; a guest's carries its `token`"), (status = 404, body = ErrorBody)))]
/// Creates a cart: the shopper's (with a session) or a guest's (answered with its `token`,
/// once).
pub async fn create(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Response> {
    let Path((market, language)) = path?;
    let scope = state.scope(&market, &language)?;
    let buyer = shopper.0.as_ref().map(|s| Buyer { user_id: s.user_id, home_region: s.home_region.clone() });
    let new = app::create(&state, &scope, buyer.as_ref()).await?;
    let cart = load_rendered(&state, new.id, &new.owner, &shopper).await?;
    Ok((StatusCode::CREATED, Json(CartDto { token: new.token, ..cart })).into_response())
}

fn cart_id(s: &str) -> ApiResult<Uuid> {
    Ok(Uuid::parse_str(s).map_err(|_| app::not_found())?)
}

#[utoipa::path(get, path = "/v1/carts/{id}", tag = "checkout", params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody)))]
/// The cart with its live quote.
pub async fn get_cart(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<CartDto>> {
    let Path(id) = path?;
    let owner = owner(&shopper, &headers)?;
    Ok(Json(load_rendered(&state, cart_id(&id)?, &owner, &shopper).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    /// 1 to 999; 0 removes the line.
    quantity: i32,
}

/// The cart and its owner the request names (404 `cart_not_found` when either is missing: a
/// cart that is not the caller's does not exist).
fn cart_of(shopper: &MaybeShopper, headers: &HeaderMap, id: &str) -> ApiResult<(Uuid, Owner)> {
    let id = cart_id(id)?;
    Ok((id, owner(shopper, headers)?))
}

#[utoipa::path(put, path = "/v1/carts/{id}/lines/{variant}", tag = "checkout", request_body = LineIn,
    params(("id" = Uuid, Path), ("variant" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Sets the quantity of a variant in the cart (0 removes it).
pub async fn set_line(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<LineIn>, JsonRejection>,
) -> ApiResult<Json<CartDto>> {
    let Path((id, variant)) = path?;
    let Json(body) = body?;
    let variant = Uuid::parse_str(&variant)
        .map_err(|_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_variant", "no such variant"))?;
    let (cart, owner) = cart_of(&shopper, &headers, &id)?;
    app::set_quantity(&state, cart, &owner, variant, body.quantity).await?;
    Ok(Json(load_rendered(&state, cart, &owner, &shopper).await?))
}

#[utoipa::path(delete, path = "/v1/carts/{id}/lines/{variant}", tag = "checkout",
    params(("id" = Uuid, Path), ("variant" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody)))]
/// Removes a line.
pub async fn remove_line(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Json<CartDto>> {
    let Path((id, variant)) = path?;
    let variant = Uuid::parse_str(&variant).map_err(|_| ApiError::not_found("line_not_found", "no such line"))?;
    let (cart, owner) = cart_of(&shopper, &headers, &id)?;
    app::set_quantity(&state, cart, &owner, variant, 0).await?;
    Ok(Json(load_rendered(&state, cart, &owner, &shopper).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartCouponsIn {
    /// Coupon codes (any case), at most 10.
    codes: Vec<String>,
}

#[utoipa::path(put, path = "/v1/carts/{id}/coupons", tag = "checkout", request_body = CartCouponsIn,
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Replaces the cart's coupons; an unknown or unusable one is refused with its code.
pub async fn set_coupons(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<CartCouponsIn>, JsonRejection>,
) -> ApiResult<Json<CartDto>> {
    let Path(id) = path?;
    let Json(body) = body?;
    if body.codes.len() > 10 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many_coupons", "at most 10 coupons"));
    }
    let (cart, owner) = cart_of(&shopper, &headers, &id)?;
    app::set_coupons(&state, cart, &owner, &body.codes, customer_of(&shopper).as_deref()).await?;
    Ok(Json(load_rendered(&state, cart, &owner, &shopper).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartDestinationIn {
    country: String,
    subdivision: Option<String>,
}

#[utoipa::path(put, path = "/v1/carts/{id}/destination", tag = "checkout", request_body = CartDestinationIn,
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Sets where the cart ships (its tax depends on it in sales-tax markets).
pub async fn set_destination(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<CartDestinationIn>, JsonRejection>,
) -> ApiResult<Json<CartDto>> {
    let Path(id) = path?;
    let Json(body) = body?;
    let (cart, owner) = cart_of(&shopper, &headers, &id)?;
    app::set_destination(&state, cart, &owner, &body.country, body.subdivision.as_deref()).await?;
    Ok(Json(load_rendered(&state, cart, &owner, &shopper).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingIn {
    /// An option id of the cart's quote (`carrier:service`, e.g. `parcelo:express`).
    option: String,
}

#[utoipa::path(put, path = "/v1/carts/{id}/shipping", tag = "checkout", request_body = ShippingIn,
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header)),
    responses((status = 200, body = CartDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`unknown_shipping_option`: not a shipping option of the cart's market")))]
/// Chooses how the cart ships: checkout charges this option (repriced then); without a choice,
/// the cheapest. A choice no longer offered for the cart's weight is charged as the cheapest.
pub async fn set_shipping(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<ShippingIn>, JsonRejection>,
) -> ApiResult<Json<CartDto>> {
    let Path(id) = path?;
    let Json(body) = body?;
    let (cart, owner) = cart_of(&shopper, &headers, &id)?;
    app::set_shipping(&state, cart, &owner, &body.option).await?;
    Ok(Json(load_rendered(&state, cart, &owner, &shopper).await?))
}

#[utoipa::path(post, path = "/v1/carts/{id}/merge", tag = "checkout", params(("id" = Uuid, Path), ("X-Cart-Token" = String, Header)),
    responses((status = 200, body = CartDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// At login: merges the guest cart (its token in `X-Cart-Token`) into the shopper's cart of the
/// same market, and answers the shopper's cart.
pub async fn merge(
    State(state): State<AppState>,
    shopper: crate::auth::Shopper,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<CartDto>> {
    let Path(id) = path?;
    let guest = owner(&MaybeShopper(None), &headers)?;
    let guest_cart = cart_id(&id)?;
    let user = shopper.user_id;
    let into = app::merge(&state, guest_cart, &guest, user).await?;
    let me = MaybeShopper(Some(shopper));
    Ok(Json(load_rendered(&state, into, &Owner::User(user), &me).await?))
}
