//! Carts: guest carts (reached with the `X-Cart-Token` they were created with) and shoppers'
//! carts (reached with their session), lines, coupons, destination, the shipping option, a
//! live quote on every read and change (with the cart's shipping options), and the merge of a guest cart into the shopper's at login. A cart that is not
//! the caller's does not exist (404).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use core_store::commerce::carts::{self as store, Cart, Owner};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::answers::quote::QuoteDto;
use crate::auth::MaybeShopper;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use core_app::quote::{CartToPrice, Promotions, Shipping, check_destination, price_cart};

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

pub use crate::access::{CART_TOKEN, owner, token_hash};

#[derive(Serialize, ToSchema)]
pub struct CartLineDto {
    variant_id: Uuid,
    quantity: i32,
}

#[derive(Serialize, ToSchema)]
pub struct CartDto {
    id: Uuid,
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

#[derive(Serialize, ToSchema)]
pub struct CreatedCart {
    cart: CartDto,
    /// For guests: the secret to send as `X-Cart-Token` with every request on this cart.
    cart_token: Option<String>,
}

pub(crate) async fn render(state: &AppState, cart: Cart, customer: Option<&str>) -> ApiResult<CartDto> {
    let market = state.regions.market(&cart.market).ok_or_else(|| ApiError::internal("cart of an unknown market"))?;
    let lines: Vec<(Uuid, u32)> = cart.lines.iter().map(|(v, q)| (*v, *q as u32)).collect();
    let (mut quote, mut pretax, mut quote_error) = (None, None, None);
    if !lines.is_empty() {
        // The carriers' rates first (cached, or asked with a bounded wait): never while a
        // connection is held.
        let country = cart.country.as_deref().unwrap_or(&market.country);
        let rates = state.shipping.sheet(market, country).await;
        let client = state.store.client().await?;
        let priced = price_cart(
            state,
            &client,
            market,
            &CartToPrice {
                lines: &lines,
                coupons: &cart.coupons,
                customer,
                subdivision: cart.subdivision.as_deref(),
                shipping: Shipping::Options { rates: &rates, chosen: cart.shipping_option.as_deref() },
            },
            Promotions::CachedWhenAnonymous,
        )
        .await;
        match priced {
            Ok(p) => {
                quote = p.quote.map(|q| QuoteDto::priced(q, p.shipping.as_ref()));
                pretax = p.pretax.map(|q| QuoteDto::priced(q, p.shipping.as_ref()));
            }
            Err(e) if e.status.is_client_error() => {
                quote_error = Some(ErrorBody { code: e.code, message: e.message });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(CartDto {
        id: cart.id,
        market: cart.market,
        language: cart.language,
        status: cart.status,
        lines: cart.lines.iter().map(|(v, q)| CartLineDto { variant_id: *v, quantity: *q }).collect(),
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
    let client = state.store.client().await?;
    let cart = store::load(&client, id, owner, false)
        .await?
        .ok_or_else(|| ApiError::not_found("cart_not_found", "no such cart"))?;
    drop(client);
    render(state, cart, customer_of(shopper).as_deref()).await
}

#[utoipa::path(post, path = "/v1/{market}/{language}/carts", tag = "checkout", params(("market" = String, Path), ("language" = String, Path)),
    responses((status = 201, body = CreatedCart), (status = 404, body = ErrorBody)))]
/// Creates a cart: the shopper's (with a session) or a guest's (answered with its token).
pub async fn create(
    State(state): State<AppState>,
    shopper: MaybeShopper,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Response> {
    let Path((market, language)) = path?;
    let scope = state.scope(&market, &language)?;
    let (owner, token, region) = match &shopper.0 {
        Some(s) => (Owner::User(s.user_id), None, s.home_region.clone()),
        None => {
            let token = random_token();
            (Owner::Guest(token_hash(&token)), Some(token), scope.market.rules.data_region.clone())
        }
    };
    let (market_id, language) = (scope.market.id.to_string(), scope.language.to_string());
    let id = state
        .store
        .transaction(|tx| {
            let (owner, market_id, language, region) =
                (owner.clone(), market_id.clone(), language.clone(), region.clone());
            Box::pin(async move { store::create(tx, &market_id, &language, &region, &owner).await })
        })
        .await?;
    let cart = load_rendered(&state, id, &owner, &shopper).await?;
    core_app::metrics::METRICS.carts_created.inc();
    Ok((StatusCode::CREATED, Json(CreatedCart { cart, cart_token: token })).into_response())
}

/// 32 random bytes, base64url.
pub fn random_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn cart_id(s: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| ApiError::not_found("cart_not_found", "no such cart"))
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

async fn change<F>(
    state: &AppState,
    shopper: &MaybeShopper,
    headers: &HeaderMap,
    id: &str,
    f: F,
) -> ApiResult<Json<CartDto>>
where
    F: Fn(Uuid, Owner) -> ChangeFn,
{
    let id = cart_id(id)?;
    let owner = owner(shopper, headers)?;
    let op = f(id, owner.clone());
    state.store.transaction(|tx| op(tx)).await?;
    Ok(Json(load_rendered(state, id, &owner, shopper).await?))
}

type ChangeFn = Box<
    dyn for<'t> Fn(&'t core_store::Transaction<'t>) -> core_store::TxFuture<'t, (), core_store::commerce::CommerceError>
        + Send
        + Sync,
>;

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
    let quantity = body.quantity;
    change(&state, &shopper, &headers, &id, move |cart, owner| {
        Box::new(move |tx| {
            let owner = owner.clone();
            Box::pin(async move { store::set_quantity(tx, cart, &owner, variant, quantity).await })
        })
    })
    .await
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
    change(&state, &shopper, &headers, &id, move |cart, owner| {
        Box::new(move |tx| {
            let owner = owner.clone();
            Box::pin(async move { store::set_quantity(tx, cart, &owner, variant, 0).await })
        })
    })
    .await
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
    let codes: Vec<String> = body.codes.iter().map(|c| c.trim().to_ascii_uppercase()).collect();
    // Check the codes now, so that the shopper hears at once that one does not apply.
    let owner = owner(&shopper, &headers)?;
    let cart_uuid = cart_id(&id)?;
    {
        let client = state.store.client().await?;
        let cart = store::load(&client, cart_uuid, &owner, false)
            .await?
            .ok_or_else(|| ApiError::not_found("cart_not_found", "no such cart"))?;
        let now = core_app::clock::now_micros();
        let customer = customer_of(&shopper);
        core_store::promotions::resolve_coupons(&client, &codes, &cart.market, now, customer.as_deref()).await?;
    }
    change(&state, &shopper, &headers, &id, move |cart, owner| {
        let codes = codes.clone();
        Box::new(move |tx| {
            let (owner, codes) = (owner.clone(), codes.clone());
            Box::pin(async move { store::set_coupons(tx, cart, &owner, &codes).await })
        })
    })
    .await
}

/// The market of a cart the caller owns (404 otherwise).
async fn cart_market<'s>(
    state: &'s AppState,
    shopper: &MaybeShopper,
    headers: &HeaderMap,
    id: &str,
) -> ApiResult<&'s regions::Market> {
    let owner = owner(shopper, headers)?;
    let client = state.store.client().await?;
    let cart = store::load(&client, cart_id(id)?, &owner, false)
        .await?
        .ok_or_else(|| ApiError::not_found("cart_not_found", "no such cart"))?;
    state.regions.market(&cart.market).ok_or_else(|| ApiError::internal("cart of an unknown market"))
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
    let market = cart_market(&state, &shopper, &headers, &id).await?;
    check_destination(&state, market, &body.country)?;
    let subdivision = body.subdivision.map(|s| s.trim().to_ascii_uppercase());
    if let (regions::TaxRegime::SalesTax { subdivisions }, Some(s)) = (&market.tax.regime, &subdivision)
        && !subdivisions.contains_key(s)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_subdivision",
            format!("market `{}` does not ship to `{}`", market.id, crate::state::truncate(s)),
        ));
    }
    let country = market.country.clone();
    change(&state, &shopper, &headers, &id, move |cart, owner| {
        let (country, subdivision) = (country.clone(), subdivision.clone());
        Box::new(move |tx| {
            let (owner, country, subdivision) = (owner.clone(), country.clone(), subdivision.clone());
            Box::pin(async move { store::set_destination(tx, cart, &owner, &country, subdivision.as_deref()).await })
        })
    })
    .await
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
    let market = cart_market(&state, &shopper, &headers, &id).await?;
    let option = body.option.trim().to_string();
    if !market.shipping.iter().any(|s| s.option_id() == option) {
        let known: Vec<String> = market.shipping.iter().map(regions::ShippingService::option_id).collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_shipping_option",
            format!(
                "`{}` is not a shipping option of market `{}` (options: {})",
                crate::state::truncate(&option),
                market.id,
                known.join(", ")
            ),
        ));
    }
    change(&state, &shopper, &headers, &id, move |cart, owner| {
        let option = option.clone();
        Box::new(move |tx| {
            let (owner, option) = (owner.clone(), option.clone());
            Box::pin(async move { store::set_shipping_option(tx, cart, &owner, &option).await })
        })
    })
    .await
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
    let into = state
        .store
        .transaction(|tx| {
            let guest = guest.clone();
            Box::pin(async move { store::merge(tx, guest_cart, &guest, user).await })
        })
        .await?;
    let me = MaybeShopper(Some(shopper));
    Ok(Json(load_rendered(&state, into, &Owner::User(user), &me).await?))
}
