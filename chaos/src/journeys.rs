//! What shoppers do, step by step, as guests: browse product pages, fill a cart and check out
//! (retrying with the same `Idempotency-Key` when no answer came, replaying it now and then to
//! check the answer is the same), follow an order, and return one (support staff approve and
//! receive the parcel, which refunds it). Search is left out until the platform has it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::client::Reply;
use crate::history::{Ack, Journey, Line};
use crate::load::{Call, Ctx, Placed, Product};

/// A card the provider stand-in approves.
const APPROVED_CARD: &str = "4242424242424242";
/// Attempts of one checkout (the first included) with the same key.
const CHECKOUT_ATTEMPTS: u32 = 3;

/// A journey of a kind drawn from the configured mix.
pub async fn random(ctx: &Ctx, shopper: u64, region: &str, rng: &mut ChaCha8Rng) {
    let mix = &ctx.config.mix;
    let total = mix.browse + mix.buy + mix.track + mix.returns;
    let mut pick = rng.random_range(0..total.max(1));
    if pick < mix.browse {
        return browse(ctx, shopper, region, rng).await;
    }
    pick -= mix.browse;
    if pick < mix.buy {
        let first = ctx.zipf.sample(rng);
        let product = ctx.config.products[first].clone();
        return buy(ctx, shopper, region, rng, product).await;
    }
    pick -= mix.buy;
    if pick < mix.track {
        return track(ctx, shopper, region, rng).await;
    }
    give_back(ctx, shopper, region, rng).await
}

/// A flash-sale buyer: the sale's product, straight to checkout.
pub async fn flash_buy(ctx: &Ctx, shopper: u64, region: &str, rng: &mut ChaCha8Rng) {
    if let Some(flash) = &ctx.config.flash {
        buy(ctx, shopper, region, rng, flash.product.clone()).await;
    }
}

fn call<'a>(shopper: u64, journey: Journey, step: &'a str, home: &'a str, method: &'a str, path: &'a str) -> Call<'a> {
    Call { shopper, journey, step, home, method, path, headers: &[], body: None, key: None }
}

/// One to three product pages, popular ones more often, sometimes the categories first.
async fn browse(ctx: &Ctx, shopper: u64, region: &str, rng: &mut ChaCha8Rng) {
    let r = ctx.region(region);
    let (market, language) = (r.market.clone(), r.language.clone());
    if rng.random_bool(0.3) {
        let path = format!("/v1/{market}/{language}/categories");
        ctx.send(call(shopper, Journey::Browse, "categories", region, "GET", &path), |_| None).await;
    }
    for _ in 0..rng.random_range(1..=3) {
        let product = &ctx.config.products[ctx.zipf.sample(rng)];
        let path = format!("/v1/{market}/{language}/products/{}", product.product);
        ctx.send(call(shopper, Journey::Browse, "product", region, "GET", &path), |_| None).await;
    }
}

/// The shipping address of a market's shopper.
fn ship_to(market: &str) -> Value {
    match market {
        "us" => {
            json!({"name": "Jordan Lee", "line1": "350 Fifth Avenue", "city": "New York", "postal_code": "10118", "country": "US", "subdivision": "NY"})
        }
        "jp" => {
            json!({"name": "Sato Yuki", "line1": "1-1 Marunouchi", "city": "Tokyo", "postal_code": "100-0005", "country": "JP"})
        }
        _ => {
            json!({"name": "Camille Martin", "line1": "5 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"})
        }
    }
}

/// What a checkout answer acknowledged.
fn order_ack(body: &Value, cart: &str, lines: &[Line]) -> Option<Ack> {
    Some(Ack::Order {
        order: body["id"].as_str()?.to_string(),
        number: body["number"].as_str().unwrap_or_default().to_string(),
        cart: cart.to_string(),
        total_minor: body["totals"]["total"]["amount_minor"].as_i64()?,
        currency: body["currency"].as_str().unwrap_or_default().to_string(),
        status: body["status"].as_str().unwrap_or_default().to_string(),
        payment_status: body["payment"]["status"].as_str().unwrap_or_default().to_string(),
        lines: lines.to_vec(),
    })
}

/// A product page, a cart with the product (and sometimes another), a card token, and the
/// checkout: retried with its key while no answer comes, replayed now and then.
async fn buy(ctx: &Ctx, shopper: u64, region: &str, rng: &mut ChaCha8Rng, product: Product) {
    let r = ctx.region(region);
    let (market, language) = (r.market.clone(), r.language.clone());
    let path = format!("/v1/{market}/{language}/products/{}", product.product);
    ctx.send(call(shopper, Journey::Browse, "product", region, "GET", &path), |_| None).await;

    let path = format!("/v1/{market}/{language}/carts");
    let body = json!({});
    let created = Call { body: Some(&body), ..call(shopper, Journey::Cart, "cart_create", region, "POST", &path) };
    let (reply, _) = ctx.send(created, |_| None).await;
    let (Some(cart), Some(token)) = (
        reply.body().and_then(|b| b["id"].as_str()).map(str::to_string),
        reply.body().and_then(|b| b["token"].as_str()).map(str::to_string),
    ) else {
        return;
    };
    let auth = [("x-cart-token", token.as_str())];
    let mut lines = vec![Line { variant: product.variant.clone(), quantity: rng.random_range(1..=2) }];
    if rng.random_bool(0.3) {
        let other = &ctx.config.products[ctx.zipf.sample(rng)];
        if other.variant != product.variant {
            lines.push(Line { variant: other.variant.clone(), quantity: 1 });
        }
    }
    for line in &lines {
        let path = format!("/v1/carts/{cart}/lines/{}", line.variant);
        let body = json!({"quantity": line.quantity});
        let put = Call {
            headers: &auth,
            body: Some(&body),
            ..call(shopper, Journey::Cart, "cart_line", region, "PUT", &path)
        };
        let (reply, _) = ctx.send(put, |_| None).await;
        if !reply.status().is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
    }

    // The shopper's browser gets a card token from the provider: not ours to serve.
    let card = json!({"number": APPROVED_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"});
    let tokenize =
        Call { body: Some(&card), ..call(shopper, Journey::Other, "card_token", region, "POST", "/v1/tokens") };
    let reply = ctx.send_to(ctx.config.payments, tokenize, |_| None).await;
    let Some(payment_token) = reply.body().and_then(|b| b["token"].as_str()).map(str::to_string) else { return };

    let key = format!("chaos-{}-{shopper}", ctx.config.seed);
    let body = json!({"payment_token": payment_token, "email": format!("shopper{shopper}@example.com"), "ship_to": ship_to(&market)});
    let path = format!("/v1/carts/{cart}/checkout");
    let mut placed = None;
    for attempt in 1..=CHECKOUT_ATTEMPTS {
        let step = if attempt == 1 { "checkout" } else { "checkout_retry" };
        let checkout = Call {
            headers: &auth,
            body: Some(&body),
            key: Some(&key),
            ..call(shopper, Journey::Checkout, step, region, "POST", &path)
        };
        let (reply, _) = ctx.send(checkout, |b| order_ack(b, &cart, &lines)).await;
        match &reply {
            Reply::Answer { status, body, .. } if (200..300).contains(status) => {
                placed =
                    body["id"].as_str().map(|id| (id.to_string(), body["status"].as_str().unwrap_or("").to_string()));
                break;
            }
            // Refused by a business rule (sold out, declined): the shopper stops.
            Reply::Answer { status, .. } if *status < 500 && *status != 429 => break,
            // No answer, or a server error: the same key again, a little later.
            _ => tokio::time::sleep(std::time::Duration::from_millis(500 * u64::from(attempt))).await,
        }
    }
    let Some((order, status)) = placed else { return };
    // Now and then the shopper's browser sends the checkout again (a double click, a retried
    // request): the same answer must come back. Rarer: the key reused with another body.
    if rng.random_bool(0.1) {
        let replay = Call {
            headers: &auth,
            body: Some(&body),
            key: Some(&key),
            ..call(shopper, Journey::Checkout, "checkout_replay", region, "POST", &path)
        };
        ctx.send(replay, |b| order_ack(b, &cart, &lines)).await;
    } else if rng.random_bool(0.03) {
        let mut other = body.clone();
        other["email"] = json!(format!("other{shopper}@example.com"));
        let conflict = Call {
            headers: &auth,
            body: Some(&other),
            key: Some(&key),
            ..call(shopper, Journey::Checkout, "checkout_other_body", region, "POST", &path)
        };
        ctx.send(conflict, |b| order_ack(b, &cart, &lines)).await;
    }
    ctx.orders.lock().await.push(Placed {
        order,
        region: region.to_string(),
        cart_token: token,
        lines,
        status,
        returned: false,
    });
}

/// What an order read showed.
fn seen(body: &Value) -> Option<Ack> {
    Some(Ack::OrderSeen {
        order: body["id"].as_str()?.to_string(),
        status: body["status"].as_str()?.to_string(),
        payment_status: body["payment"]["status"].as_str().unwrap_or_default().to_string(),
    })
}

/// Reads an order placed earlier by a shopper of `region`; returns its status.
async fn read_order(ctx: &Ctx, shopper: u64, region: &str, placed: &Placed) -> Option<String> {
    let auth = [("x-cart-token", placed.cart_token.as_str())];
    let path = format!("/v1/orders/{}", placed.order);
    let read = Call { headers: &auth, ..call(shopper, Journey::Tracking, "order", region, "GET", &path) };
    let (reply, _) = ctx.send(read, seen).await;
    reply.body().and_then(|b| b["status"].as_str()).map(str::to_string)
}

/// An earlier order of this region: its page, then its parcels once shipped.
async fn track(ctx: &Ctx, shopper: u64, region: &str, rng: &mut ChaCha8Rng) {
    let placed = {
        let orders = ctx.orders.lock().await;
        let mine: Vec<&Placed> = orders.iter().filter(|p| p.region == region).collect();
        if mine.is_empty() {
            return browse(ctx, shopper, region, rng).await;
        }
        mine[rng.random_range(0..mine.len())].clone()
    };
    let Some(status) = read_order(ctx, shopper, region, &placed).await else { return };
    if let Some(p) = ctx.orders.lock().await.iter_mut().find(|p| p.order == placed.order) {
        p.status = status.clone();
    }
    if status == "shipped" || status == "delivered" {
        let auth = [("x-cart-token", placed.cart_token.as_str())];
        let path = format!("/v1/orders/{}/tracking", placed.order);
        let tracking = Call { headers: &auth, ..call(shopper, Journey::Tracking, "tracking", region, "GET", &path) };
        ctx.send(tracking, |_| None).await;
    }
}

/// A shipped order of this region, one unit of its first line sent back; support staff approve
/// the return and receive the parcel (which refunds it and restocks the unit).
async fn give_back(ctx: &Ctx, shopper: u64, region: &str, rng: &mut ChaCha8Rng) {
    let placed = {
        let mut orders = ctx.orders.lock().await;
        let shipped: Vec<usize> = orders
            .iter()
            .enumerate()
            .filter(|(_, p)| p.region == region && !p.returned && p.status == "shipped")
            .map(|(i, _)| i)
            .collect();
        if shipped.is_empty() {
            drop(orders);
            return track(ctx, shopper, region, rng).await;
        }
        let i = shipped[rng.random_range(0..shipped.len())];
        orders[i].returned = true;
        orders[i].clone()
    };
    let auth = [("x-cart-token", placed.cart_token.as_str())];
    let line = &placed.lines[0];
    let body = json!({"reason": "does not fit", "lines": [{"variant_id": line.variant, "quantity": 1}]});
    let path = format!("/v1/orders/{}/returns", placed.order);
    let key = format!("chaos-return-{}-{shopper}", ctx.config.seed);
    let order = placed.order.clone();
    let ask = Call {
        headers: &auth,
        body: Some(&body),
        key: Some(&key),
        ..call(shopper, Journey::Returns, "return", region, "POST", &path)
    };
    let (reply, _) = ctx
        .send(ask, |b| {
            Some(Ack::Return {
                order: order.clone(),
                return_id: b["id"].as_str()?.to_string(),
                refund_minor: b["refund"]["amount_minor"].as_i64()?,
            })
        })
        .await;
    let Some(return_id) = reply.body().and_then(|b| b["id"].as_str()).map(str::to_string) else { return };
    // Support staff, on the order's region's staff listener.
    let staff = ctx.region(&placed.region).staff;
    let bearer = format!("Bearer {}", ctx.config.staff_token);
    let auth = [("authorization", bearer.as_str())];
    for step in ["approve", "receive"] {
        let path = format!("/admin/v1/returns/{return_id}/{step}");
        let act = Call { headers: &auth, ..call(shopper, Journey::Other, step, region, "POST", &path) };
        if !ctx.send_to(staff, act, |_| None).await.status().is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
    }
}
