//! Carts: a signed-in shopper's (reached with their session) or a guest's (reached with the
//! secret token it was created with, of which only a hash is kept); their lines, coupons,
//! destination and shipping option, each change one transaction on an open cart; the cart
//! priced on every read; and the merge of a guest cart into the shopper's at login. A cart that
//! is not the caller's does not exist (404 `cart_not_found`).

use core_store::commerce::carts::{self as store, Cart, Owner};
use http::StatusCode;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::checkout::Buyer;
use crate::error::{AppError, AppResult};
use crate::metrics::METRICS;
use crate::quote::{CartToPrice, PricedCart, Promotions, Shipping, check_destination};
use crate::{App, Scope, truncate};

/// 404 `cart_not_found`.
pub fn not_found() -> AppError {
    AppError::not_found("cart_not_found", "no such cart")
}

/// SHA-256 of a guest's cart token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 32 random bytes, base64url: a guest's cart token.
pub fn random_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new cart, and for a guest the token that reaches it (given once, never kept).
#[derive(Debug)]
pub struct NewCart {
    pub id: Uuid,
    pub owner: Owner,
    pub token: Option<String>,
}

/// Creates a cart in the scope's market and language: the shopper's, written in their home
/// region, or a guest's, written in the market's region.
pub async fn create(app: &App, scope: &Scope<'_>, buyer: Option<&Buyer>) -> AppResult<NewCart> {
    let (owner, token, region) = match buyer {
        Some(b) => (Owner::User(b.user_id), None, b.home_region.clone()),
        None => {
            let token = random_token();
            (Owner::Guest(token_hash(&token)), Some(token), scope.market.rules.data_region.clone())
        }
    };
    let input = (scope.market.id.to_string(), scope.language.to_string(), region, owner.clone());
    let id = app
        .write(&input, |tx, _, (market, language, region, owner)| {
            Box::pin(async move { store::create(tx, &market, &language, &region, &owner).await })
        })
        .await?;
    METRICS.carts_created.inc();
    Ok(NewCart { id, owner, token })
}

/// The cart, if `owner`'s.
pub async fn load(app: &App, id: Uuid, owner: &Owner) -> AppResult<Cart> {
    let client = app.store.client().await?;
    store::load(&client, id, owner, false).await?.ok_or_else(not_found)
}

/// A cart priced now.
pub enum Pricing {
    /// No lines: nothing to price.
    Empty,
    Priced(PricedCart),
    /// Why the cart cannot be priced now (a coupon that no longer applies, a line no longer
    /// sold…): a client error, answered with the cart.
    Refused(AppError),
}

/// Prices the cart for `customer` (a shopper's id, for per-customer promotion limits), with its
/// shipping options.
pub async fn price(app: &App, cart: &Cart, customer: Option<&str>) -> AppResult<Pricing> {
    let market = app.regions.market(&cart.market).ok_or_else(|| AppError::internal("cart of an unknown market"))?;
    let lines: Vec<(Uuid, u32)> = cart.lines.iter().map(|(v, q)| (*v, *q as u32)).collect();
    if lines.is_empty() {
        return Ok(Pricing::Empty);
    }
    // The carriers' rates first (cached, or asked with a bounded wait): never while a
    // connection is held.
    let country = cart.country.as_deref().unwrap_or(&market.country);
    let rates = app.shipping.sheet(market, country).await;
    let priced = crate::quote::price(
        app,
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
        Ok(p) => Ok(Pricing::Priced(p)),
        Err(e) if e.status.is_client_error() => Ok(Pricing::Refused(e)),
        Err(e) => Err(e),
    }
}

/// Sets the quantity of a variant in the cart (0 removes its line). More than the cart's market
/// can sell now is refused at once (409 `out_of_stock`), not at checkout; checkout reserves the
/// units for good.
pub async fn set_quantity(app: &App, id: Uuid, owner: &Owner, variant: Uuid, quantity: i32) -> AppResult<()> {
    if quantity > 0 {
        // The caller's cart only: another's answers 404 from the write, whatever the stock.
        let cart = {
            let client = app.store.client().await?;
            store::load(&client, id, owner, false).await?
        };
        if let Some(cart) = cart {
            let units = crate::stock::available(app, &cart.market, variant).await?;
            if units < i64::from(quantity) {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    "out_of_stock",
                    match units {
                        0 => "this item is out of stock".to_string(),
                        n => format!("only {n} of this item can be sold now"),
                    },
                ));
            }
        }
    }
    app.write(owner, |tx, _, owner| {
        Box::pin(async move { store::set_quantity(tx, id, &owner, variant, quantity).await })
    })
    .await
}

/// Replaces the cart's coupons (codes in any case), each checked now so that the shopper hears
/// at once that one does not apply.
pub async fn set_coupons(
    app: &App,
    id: Uuid,
    owner: &Owner,
    codes: &[String],
    customer: Option<&str>,
) -> AppResult<()> {
    let codes: Vec<String> = codes.iter().map(|c| c.trim().to_ascii_uppercase()).collect();
    {
        let client = app.store.client().await?;
        let cart = store::load(&client, id, owner, false).await?.ok_or_else(not_found)?;
        let now = crate::clock::now_micros();
        core_store::promotions::resolve_coupons(&client, &codes, &cart.market, now, customer).await?;
    }
    app.write(&(owner.clone(), codes), |tx, _, (owner, codes)| {
        Box::pin(async move { store::set_coupons(tx, id, &owner, &codes).await })
    })
    .await
}

/// The market of a cart `owner` has.
async fn market_of<'a>(app: &'a App, id: Uuid, owner: &Owner) -> AppResult<&'a regions::Market> {
    let cart = load(app, id, owner).await?;
    app.regions.market(&cart.market).ok_or_else(|| AppError::internal("cart of an unknown market"))
}

/// Sets where the cart ships: the market's country (its tax depends on the state or province
/// in sales-tax markets).
pub async fn set_destination(
    app: &App,
    id: Uuid,
    owner: &Owner,
    country: &str,
    subdivision: Option<&str>,
) -> AppResult<()> {
    let market = market_of(app, id, owner).await?;
    check_destination(app, market, country)?;
    let subdivision = subdivision.map(|s| s.trim().to_ascii_uppercase());
    if let (regions::TaxRegime::SalesTax { subdivisions }, Some(s)) = (&market.tax.regime, &subdivision)
        && !subdivisions.contains_key(s)
    {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_subdivision",
            format!("market `{}` does not ship to `{}`", market.id, truncate(s)),
        ));
    }
    let input = (owner.clone(), market.country.clone(), subdivision);
    app.write(&input, |tx, _, (owner, country, subdivision)| {
        Box::pin(async move { store::set_destination(tx, id, &owner, &country, subdivision.as_deref()).await })
    })
    .await
}

/// Chooses how the cart ships (`carrier:service`, an option of its market): checkout charges
/// this option, repriced then.
pub async fn set_shipping(app: &App, id: Uuid, owner: &Owner, option: &str) -> AppResult<()> {
    let market = market_of(app, id, owner).await?;
    // Codes are lowercase snake case; the carriers' own spellings (`classicpost:ECO`) are
    // accepted for compatibility.
    let option = match option.trim().split_once(':') {
        Some((carrier, service)) => {
            let carrier = carrier.to_ascii_lowercase();
            let service = core_partners::carriers::service_code(&carrier, service);
            format!("{carrier}:{service}")
        }
        None => option.trim().to_string(),
    };
    if !market.shipping.iter().any(|s| s.option_id() == option) {
        let known: Vec<String> = market.shipping.iter().map(regions::ShippingService::option_id).collect();
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_shipping_option",
            format!(
                "`{}` is not a shipping option of market `{}` (options: {})",
                truncate(&option),
                market.id,
                known.join(", ")
            ),
        ));
    }
    app.write(&(owner.clone(), option), |tx, _, (owner, option)| {
        Box::pin(async move { store::set_shipping_option(tx, id, &owner, &option).await })
    })
    .await
}

/// Merges the guest's cart into the shopper's cart of the same market (one is made if needed);
/// answers the shopper's cart.
pub async fn merge(app: &App, guest_cart: Uuid, guest: &Owner, user: Uuid) -> AppResult<Uuid> {
    app.write(guest, |tx, _, guest| Box::pin(async move { store::merge(tx, guest_cart, &guest, user).await })).await
}
