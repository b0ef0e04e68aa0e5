//! Checkout: a cart turned into an order and paid for, under the shopper's idempotency key.
//!
//! 1. One SERIALIZABLE transaction reprices the cart from the database, redeems its promotions
//!    (the uses can never pass their limits), reserves stock (one conditional update per line:
//!    no oversell), creates the order awaiting payment with its lines and tax lines, closes the
//!    cart and writes `order.placed` to the outbox. The key is stored on the order: a retry with
//!    the same key and body finds the same order; with another body it is refused.
//! 2. Then the payment provider authorizes the total, idempotently by order: a retried checkout
//!    (a dropped response) reaches the same authorization and never charges twice. Approved:
//!    the order is confirmed. Declined: it fails, its stock and promotion uses are given
//!    back and its cart is open again, for another card (a new checkout, another key). A 3-D
//!    Secure challenge: the order answers with the next action and completes on the provider's
//!    webhook. No answer in time: the order stays pending until the webhook or the
//!    reconciliation job settles it; a paid order is never left unconfirmed.

use core_domain::orders::{OrderStatus, PaymentStatus};
use core_partners::payments::{Authorization, GatewayError, PaymentGateway};
use core_store::Prepared;
use core_store::commerce::carts::{self as carts_store, Owner};
use core_store::commerce::order_quote::{OrderQuote, TaxRecord};
use core_store::commerce::orders::{self as orders_store, NewLine, NewOrder, OrderView, PaymentUpdate, Viewer};
use core_store::commerce::{CommerceError, inventory};
use http::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::metrics::METRICS;
use crate::quote::{CartToPrice, Promotions, Shipping, price_cart};

/// Where the order goes.
#[derive(Clone, Debug)]
pub struct ShipTo {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub subdivision: Option<String>,
    pub phone: Option<String>,
}

/// The shopper who checks out, when logged in.
#[derive(Clone, Debug)]
pub struct Buyer {
    pub user_id: Uuid,
    /// Where the shopper's data lives: the order is written there.
    pub home_region: String,
}

/// A checkout as the shopper asks for it.
#[derive(Clone, Debug)]
pub struct CheckoutRequest {
    pub cart_id: Uuid,
    /// Whose cart: the shopper's, or the guest's cart token.
    pub owner: Owner,
    pub buyer: Option<Buyer>,
    /// The shopper's idempotency key: a retry with the same key and request finds the same
    /// order.
    pub key: String,
    /// The card token the payment provider's tokenization gave the shopper's browser.
    pub payment_token: String,
    /// Contact email; required for guests.
    pub email: Option<String>,
    pub ship_to: ShipTo,
}

/// The order a checkout made, and whether this request made it (false: a retry found it).
#[derive(Debug)]
pub struct Checkout {
    pub order: OrderView,
    pub created: bool,
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::unprocessable(code, message)
}

fn check_ship_to(s: &ShipTo) -> AppResult<()> {
    let field_ok = |v: &str, max: usize| !v.trim().is_empty() && v.chars().count() <= max;
    for (field, value, max) in [
        ("ship_to.name", &s.name, 200),
        ("ship_to.line1", &s.line1, 200),
        ("ship_to.city", &s.city, 100),
        ("ship_to.postal_code", &s.postal_code, 20),
    ] {
        if !field_ok(value, max) {
            return Err(unprocessable("validation_failed", format!("`{field}` must be 1-{max} characters")));
        }
    }
    Ok(())
}

/// A human-friendly order number: the market and 8 unambiguous characters.
fn order_number(market: &str) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let code: String = (0..8).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
    format!("{}-{code}", market.to_ascii_uppercase())
}

/// Turns the cart into an order and pays for it.
pub async fn checkout(app: &App, request: CheckoutRequest) -> AppResult<Checkout> {
    let CheckoutRequest { cart_id, owner, buyer, key, payment_token, email, ship_to } = request;
    let gateway = app.payments.clone().ok_or_else(|| {
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "payments_unavailable", "payments are not configured")
    })?;
    check_ship_to(&ship_to)?;
    let token = payment_token.trim().to_string();
    if token.is_empty() || token.len() > 200 {
        return Err(unprocessable("validation_failed", "`payment_token` is required"));
    }
    let email = match (&buyer, &email) {
        (_, Some(e)) if e.contains('@') && e.len() <= 254 => Some(e.trim().to_ascii_lowercase()),
        (_, Some(_)) => return Err(unprocessable("validation_failed", "`email` is not an email address")),
        (Some(_), None) => None,
        (None, None) => return Err(unprocessable("validation_failed", "guests give an `email`")),
    };
    let request_hash = {
        let mut h = Sha256::new();
        h.update(cart_id.as_bytes());
        h.update(
            serde_json::to_vec(&json!({
                "payment_token": token, "email": email,
                "ship_to": {"name": ship_to.name, "line1": ship_to.line1, "line2": ship_to.line2,
                            "city": ship_to.city, "postal_code": ship_to.postal_code,
                            "country": ship_to.country, "subdivision": ship_to.subdivision, "phone": ship_to.phone}
            }))
            .unwrap_or_default(),
        );
        hex::encode(h.finalize())
    };

    // A retry: the order this key made.
    {
        let client = app.store.client().await?;
        if let Some((order, hash)) = orders_store::by_checkout_key(&client, cart_id, &key).await? {
            if hash != request_hash {
                return Err(unprocessable(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different checkout",
                ));
            }
            drop(client);
            // If the first attempt never reached the provider (or its answer was lost), ask again:
            // the provider's idempotency by order makes this the same authorization.
            let view = load(app, order, &owner).await?;
            if view.status == OrderStatus::PendingPayment && view.payment.status == PaymentStatus::Pending {
                authorize(app, gateway.as_ref(), order, &token, view.total_minor, &view.currency).await?;
            }
            let order = load(app, order, &owner).await?;
            return Ok(Checkout { order, created: false });
        }
    }

    // Sold out already: answer at once, without waiting in line or opening a transaction.
    // (The transaction decides; this read only spares it the hopeless cases.)
    // It also picks, for each line, a bucket of stock that has the units: checkouts of the same
    // variant take turns per bucket (see `stock_turns`).
    let picks = sold_out_check(app, &app.store, cart_id, &owner).await?;
    // The carriers' rates for the destination, before the transaction (which makes no partner
    // call): cached, or asked with a bounded wait, else the market's fallback table.
    let rates = match app.regions.market_for_country(&ship_to.country) {
        Some(market) => app.shipping.sheet(market, &market.country).await,
        None => crate::shipping::RateSheet::default(),
    };
    let placed = {
        let turn = app.stock_turns.take(picks.iter().map(|(v, at)| (*v, at.as_ref().map_or(0, |(_, b)| *b)))).await;
        let (store, picks) = match (&app.hot_store, turn.waited) {
            (Some(hot), true) => {
                // While this checkout waited its turn, the ones ahead may have sold the last
                // units.
                (hot, sold_out_check(app, hot, cart_id, &owner).await?)
            }
            _ => (&app.store, picks),
        };
        place(app, store, cart_id, &owner, buyer.as_ref(), &key, &request_hash, &ship_to, email, &picks, &rates).await?
    };
    METRICS.orders.inc();
    authorize(app, gateway.as_ref(), placed.0, &token, placed.1, &placed.2).await?;
    let order = load(app, placed.0, &owner).await?;
    Ok(Checkout { order, created: true })
}

/// The order as its owner sees it.
async fn load(app: &App, order: Uuid, owner: &Owner) -> AppResult<OrderView> {
    let client = app.store.client().await?;
    orders_store::view(&client, order, &Viewer::Owner(owner.clone()))
        .await?
        .ok_or_else(|| AppError::not_found("order_not_found", "no such order"))
}

/// Each line's variant with a warehouse and bucket that can ship it all now (drawn at random
/// among the buckets of the first warehouse that has one; none when only several together
/// can), or 409 `out_of_stock` when the market's warehouses cannot serve a line. An unknown
/// cart passes (the transaction answers it).
async fn sold_out_check(app: &App, store: &core_store::Store, cart_id: Uuid, owner: &Owner) -> AppResult<Picks> {
    let client = store.client().await?;
    let Some((market, lines)) = inventory::cart_availability(&client, cart_id, owner).await? else {
        return Ok(Vec::new());
    };
    let serving = app.regions.warehouses_for(&market);
    let mut picks = Vec::with_capacity(lines.len());
    for line in &lines {
        let quantity = i64::from(line.quantity);
        let have: i64 =
            line.stock.iter().filter(|(w, _, _)| serving.iter().any(|(_, s)| &s.id == w)).map(|(_, _, n)| n).sum();
        if have < quantity {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                "out_of_stock",
                format!("not enough stock of variant `{}`", line.variant),
            ));
        }
        let pick = serving.iter().find_map(|(_, w)| {
            let fits: Vec<i16> =
                line.stock.iter().filter(|(at, _, n)| at == &w.id && *n >= quantity).map(|(_, b, _)| *b).collect();
            (!fits.is_empty()).then(|| (w.id.clone(), fits[rand::random_range(0..fits.len())]))
        });
        picks.push((line.variant, pick));
    }
    Ok(picks)
}

/// For each line's variant, where its units were seen: (warehouse, bucket).
type Picks = Vec<(Uuid, Option<(String, i16)>)>;

/// The transaction of step 1. Returns (order id, total, currency).
#[allow(clippy::too_many_arguments)]
async fn place(
    app: &App,
    store: &core_store::Store,
    cart_id: Uuid,
    owner: &Owner,
    buyer: Option<&Buyer>,
    key: &str,
    request_hash: &str,
    ship_to: &ShipTo,
    email: Option<String>,
    picks: &Picks,
    rates: &crate::shipping::RateSheet,
) -> AppResult<(Uuid, i64, String)> {
    let customer = buyer.map(|b| b.user_id.to_string());
    let home_region = buyer.map(|b| b.home_region.clone());
    let address = json!({
        "name": ship_to.name, "line1": ship_to.line1, "line2": ship_to.line2, "city": ship_to.city,
        "postal_code": ship_to.postal_code, "country": ship_to.country.to_ascii_uppercase(),
        "subdivision": ship_to.subdivision.as_deref().map(str::to_ascii_uppercase), "phone": ship_to.phone,
    });
    let (country, subdivision) =
        (ship_to.country.to_ascii_uppercase(), ship_to.subdivision.as_deref().map(str::to_ascii_uppercase));
    let order_id = Uuid::new_v4();
    let outcome: Result<(Uuid, i64, String), AppError> = store
        .transaction(|tx| {
            let (app, owner, customer, home_region) =
                (app.clone(), owner.clone(), customer.clone(), home_region.clone());
            let (ship_to, country, subdivision, email) =
                (address.clone(), country.clone(), subdivision.clone(), email.clone());
            let (key, request_hash, picks, rates) =
                (key.to_string(), request_hash.to_string(), picks.clone(), rates.clone());
            Box::pin(async move {
                // A concurrent retry with the same key may have won the race. Asked together with
                // the cart (one round trip); the retry's answer comes first.
                let (earlier, cart) = futures::join!(
                    orders_store::by_checkout_key(tx, cart_id, &key),
                    carts_store::open_for_change(tx, cart_id, &owner)
                );
                if let Some((order, hash)) = earlier? {
                    if hash != request_hash {
                        return Err(unprocessable(
                            "idempotency_key_reused",
                            "this Idempotency-Key was used for a different checkout",
                        ));
                    }
                    let row = tx
                        .query_one_cached("SELECT total_minor, currency FROM orders WHERE id = $1", &[&order])
                        .await
                        .map_err(core_store::StoreError::from)?;
                    return Ok((order, row.get(0), row.get(1)));
                }
                let cart = cart?;
                if cart.lines.is_empty() {
                    return Err(CommerceError::EmptyCart.into());
                }
                let market =
                    app.regions.market(&cart.market).ok_or_else(|| AppError::internal("cart of an unknown market"))?;
                crate::quote::check_destination(&app, market, &country)?;
                let lines: Vec<(Uuid, u32)> = cart.lines.iter().map(|(v, q)| (*v, *q as u32)).collect();
                let ids: Vec<Uuid> = cart.lines.iter().map(|(v, _)| *v).collect();
                // The lines' names as the shopper saw them, read with the prices (one round
                // trip), kept on the order.
                let to_price = CartToPrice {
                    lines: &lines,
                    coupons: &cart.coupons,
                    customer: customer.as_deref(),
                    subdivision: subdivision.as_deref(),
                    shipping: Shipping::Options { rates: &rates, chosen: cart.shipping_option.as_deref() },
                };
                let (priced, labels) = futures::join!(
                    price_cart(&app, tx, market, &to_price, Promotions::Database),
                    crate::catalog::line_labels_in(&app, tx, market, &cart.language, &ids)
                );
                let priced = priced?;
                let mut labels = labels?;
                let quote = priced
                    .quote
                    .ok_or_else(|| unprocessable("missing_subdivision", "a state or province is needed for the tax"))?;
                let charged = priced.shipping.as_ref().and_then(|s| s.charged());
                let region = home_region.unwrap_or_else(|| market.rules.data_region.clone());
                let order_ref = order_id.to_string();
                let new = NewOrder {
                    id: order_id,
                    number: order_number(market.id.as_str()),
                    cart_id,
                    checkout_key: key.clone(),
                    request_hash: request_hash.clone(),
                    owner: owner.clone(),
                    market: market.id.to_string(),
                    region: region.clone(),
                    currency: quote.currency.to_string(),
                    prices_include_tax: quote.prices_include_tax,
                    subtotal_minor: quote.subtotal,
                    discount_minor: quote.discount_total,
                    shipping_minor: quote.shipping_total,
                    tax_minor: quote.tax_total,
                    total_minor: quote.total,
                    email,
                    ship_to: Some(ship_to),
                    country,
                    subdivision,
                    shipping_carrier: charged.map(|o| o.carrier.clone()),
                    shipping_service: charged.map(|o| o.service.clone()),
                    quote: OrderQuote::new(
                        &quote,
                        priced.shipping.as_ref().map(|s| (&s.options, s.chosen.as_deref())),
                        time::OffsetDateTime::now_utc().date(),
                    ),
                    lines: quote
                        .lines
                        .iter()
                        .map(|l| NewLine {
                            variant_id: l.variant_id,
                            sku: l.sku.clone(),
                            product_id: l.product_id,
                            quantity: l.quantity as i32,
                            unit_price_minor: l.unit_price,
                            subtotal_minor: l.subtotal,
                            discount_minor: l.discount_total,
                            total_minor: l.total,
                            tax_minor: l.tax_total,
                            taxes: TaxRecord::of(&l.taxes),
                            label: labels.remove(&l.variant_id).map(|(_, label)| label).unwrap_or_default(),
                        })
                        .collect(),
                    provider: "standin".into(),
                };
                // The writes go out as one pipeline (the server runs them in order; one round
                // trip instead of one per statement): the order, closing the cart, then the
                // contended rows last, so that they are held for the shortest time: promotion
                // counters, then stock.
                let warehouses: Vec<String> =
                    app.regions.warehouses_for(market.id.as_str()).iter().map(|(_, w)| w.id.clone()).collect();
                let now = time::OffsetDateTime::now_utc();
                let redemptions: Vec<core_store::promotions::Redemption<'_>> = priced
                    .codes
                    .iter()
                    .map(|(promotion, code)| core_store::promotions::Redemption {
                        promotion_id: *promotion,
                        code: code.as_deref(),
                        customer: customer.as_deref(),
                        order_ref: &order_ref,
                        region: &region,
                    })
                    .collect();
                let order_written = async {
                    orders_store::insert(tx, &new).await?;
                    carts_store::close(tx, cart_id).await.map_err(AppError::from)
                };
                type Write<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>;
                let mut writes: Vec<Write<'_>> = vec![Box::pin(order_written)];
                for r in &redemptions {
                    writes.push(Box::pin(async move {
                        core_store::promotions::redeem(tx, r).await.map(|_| ()).map_err(AppError::from)
                    }));
                }
                for l in &quote.lines {
                    let warehouses = &warehouses;
                    let prefer = picks
                        .iter()
                        .find(|(v, _)| *v == l.variant_id)
                        .and_then(|(_, at)| at.as_ref())
                        .map(|(w, b)| (w.as_str(), *b));
                    writes.push(Box::pin(async move {
                        inventory::reserve(
                            tx,
                            order_id,
                            &l.sku,
                            l.variant_id,
                            i64::from(l.quantity),
                            warehouses,
                            prefer,
                            now,
                        )
                        .await
                        .map(|_| ())
                        .map_err(AppError::from)
                    }));
                }
                core_store::pipeline(writes).await?;
                Ok((order_id, quote.total, quote.currency.to_string()))
            })
        })
        .await;
    outcome
}

/// Step 2: asks the provider to authorize, and records what it says. A timeout or an
/// unavailable provider leaves the order pending for the webhook or the reconciliation job.
async fn authorize(
    app: &App,
    gateway: &dyn PaymentGateway,
    order: Uuid,
    token: &str,
    amount: i64,
    currency: &str,
) -> AppResult<()> {
    match gateway.authorize(order, token, amount, currency).await {
        Ok(auth) => {
            match auth.status.as_str() {
                "declined" => METRICS.payment_declined.inc(),
                "authorized" | "captured" => METRICS.payments_authorized.inc(),
                _ => {}
            }
            crate::payments::apply_authorization(app, order, &auth, "checkout").await
        }
        Err(GatewayError::Refused { code, .. }) => {
            METRICS.payment_refused.inc();
            // The provider refused the request (an unknown or expired token…): the payment fails.
            let auth = Authorization {
                id: String::new(),
                status: "declined".into(),
                amount_minor: amount,
                captured_minor: None,
                refunded_minor: None,
                decline_code: Some(code),
                next_action: None,
                reference: Some(order.to_string()),
            };
            crate::payments::apply_authorization(app, order, &auth, "checkout").await
        }
        Err(e) => {
            METRICS.payment_unknown_outcome.inc();
            tracing::warn!(order = %order, error = %e, "authorization outcome unknown; left to the webhook and reconciliation");
            let update = PaymentUpdate::default();
            let _ = app
                .store
                .transaction(|tx| {
                    let update = update.clone();
                    Box::pin(async move {
                        orders_store::update_payment(tx, order, PaymentStatus::Pending, &update, "provider timeout")
                            .await
                    })
                })
                .await;
            Ok(())
        }
    }
}
