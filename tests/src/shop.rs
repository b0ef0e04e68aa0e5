//! Shopper and merchant steps over HTTP, shared by the purchase tests and the checkout
//! benchmark: products with stock, accounts, carts, card tokens from the provider stand-in,
//! and an order's live status stream.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::{Answer, PAYMENTS_API_KEY, admin, request};

/// A published product with one variant priced in `prices` (`{"fr": 2999, …}`) and `stock`
/// units in `warehouse` (given with the product), made through the admin API on the core's
/// staff listener `staff`, as a merchandiser does. Returns the variant id.
pub async fn product_with_stock(
    staff: u16,
    code: &str,
    prices: &[(&str, i64)],
    warehouse: &str,
    stock: i64,
) -> Result<String> {
    let markets: Vec<&str> = prices.iter().map(|(m, _)| *m).collect();
    let price_map: serde_json::Map<String, Value> =
        prices.iter().map(|(m, a)| (m.to_string(), json!({"amount_minor": a}))).collect();
    let slug = code.to_lowercase();
    let category = json!({"code": "general", "translations": {
        "en": {"name": "General", "slug": "general"}, "fr": {"name": "Général", "slug": "general"},
        "de": {"name": "Allgemein", "slug": "allgemein"}, "ja": {"name": "一般", "slug": "general"}}});
    let made = admin(staff, "POST", "/admin/v1/categories", Some(&category)).await?;
    ensure!(made.status == 201 || made.status == 409, "creating the category: {} {}", made.status, made.body);
    let created = ok(admin(
        staff,
        "POST",
        "/admin/v1/products",
        Some(&json!({
            "code": code, "category": "general", "markets": markets,
            "translations": {
                "en": {"name": format!("Product {code}"), "slug": format!("product-{slug}")},
                "fr": {"name": format!("Produit {code}"), "slug": format!("produit-{slug}")},
                "de": {"name": format!("Produkt {code}"), "slug": format!("produkt-{slug}")},
                "ja": {"name": format!("製品 {code}"), "slug": format!("product-{slug}")},
                "es": {"name": format!("Producto {code}"), "slug": format!("producto-{slug}")}
            },
            "variants": [{"sku": format!("{code}-1"), "prices": price_map,
                "stock": [{"warehouse": warehouse, "on_hand": stock}]}]
        })),
    )
    .await?)?;
    let product = created["id"].as_str().context("product id")?.to_string();
    let variant = created["variants"][0]["id"].as_str().context("variant id")?.to_string();
    ok(admin(staff, "POST", &format!("/admin/v1/products/{product}/publish"), None).await?)?;
    Ok(variant)
}

/// Signs a shopper up in `market` and logs them in; returns the session token.
pub async fn shopper(edge: u16, email: &str, market: &str) -> Result<String> {
    let password = "correct horse battery staple";
    let body = json!({"email": email, "password": password, "name": "Test Shopper", "market": market});
    ok(request(edge, "POST", "/v1/accounts", &[], Some(&body)).await?)?;
    let session =
        ok(request(edge, "POST", "/v1/sessions", &[], Some(&json!({"email": email, "password": password}))).await?)?;
    Ok(session["token"].as_str().context("session token")?.to_string())
}

/// Who is shopping: a session token, or a guest's cart token.
#[derive(Clone, Debug)]
pub enum Who {
    Shopper(String),
    Guest(String),
}

impl Who {
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Who::Shopper(token) => vec![("authorization", format!("Bearer {token}"))],
            Who::Guest(token) => vec![("x-cart-token", token.clone())],
        }
    }
}

/// A request as `who`, with extra headers.
pub async fn call(
    port: u16,
    who: &Who,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Answer> {
    let owned = who.headers();
    let mut headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    headers.extend_from_slice(extra);
    request(port, method, path, &headers, body).await
}

/// A new cart in `market`/`language` holding `lines` (variant, quantity). For a guest
/// (`session` None) the cart token comes back in the `Who`.
pub async fn cart(
    edge: u16,
    session: Option<&str>,
    market: &str,
    language: &str,
    lines: &[(&str, i64)],
) -> Result<(String, Who)> {
    let auth = session.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let created =
        ok(request(edge, "POST", &format!("/v1/{market}/{language}/carts"), &headers, Some(&json!({}))).await?)?;
    let id = created["id"].as_str().context("cart id")?.to_string();
    let who = match session {
        Some(t) => Who::Shopper(t.to_string()),
        None => Who::Guest(created["token"].as_str().context("cart token")?.to_string()),
    };
    for (variant, quantity) in lines {
        let path = format!("/v1/carts/{id}/lines/{variant}");
        ok(call(edge, &who, "PUT", &path, &[], Some(&json!({"quantity": quantity}))).await?)?;
    }
    Ok((id, who))
}

/// The checkout body for a French address paying with `token`.
pub fn checkout_body(token: &str, email: Option<&str>) -> Value {
    let mut body = json!({
        "payment_token": token,
        "ship_to": {"name": "Camille Martin", "line1": "5 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
    });
    if let Some(e) = email {
        body["email"] = json!(e);
    }
    body
}

/// A test card the provider approves.
pub const APPROVED_CARD: &str = "4242424242424242";

/// A new guest buys `quantity` units of `variant` in fr/fr through `edge`, paying with an
/// approved card: the placed order (`201`) and the guest.
pub async fn guest_buys(edge: u16, payments: u16, variant: &str, quantity: i64, key: &str) -> Result<(Value, Who)> {
    let (cart_id, who) = cart(edge, None, "fr", "fr", &[(variant, quantity)]).await?;
    let card = card_token(payments, APPROVED_CARD).await?;
    let body = checkout_body(&card, Some("guest@example.com"));
    let path = format!("/v1/carts/{cart_id}/checkout");
    let placed = call(edge, &who, "POST", &path, &[("idempotency-key", key)], Some(&body)).await?;
    ensure!(placed.status == 201, "checkout answered {}: {}", placed.status, placed.body);
    Ok((placed.body, who))
}

/// A card token from the provider stand-in (what the shopper's browser does).
pub async fn card_token(payments: u16, number: &str) -> Result<String> {
    let body = json!({"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"});
    let answer = request(payments, "POST", "/v1/tokens", &[], Some(&body)).await?;
    let body = ok(answer)?;
    Ok(body["token"].as_str().context("card token")?.to_string())
}

/// A call to the provider stand-in's merchant or control API.
pub async fn provider(payments: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Answer> {
    let auth = format!("Bearer {PAYMENTS_API_KEY}");
    request(payments, method, path, &[("authorization", &auth)], body).await
}

/// The body of a 2xx answer, or an error naming what came back.
pub fn ok(answer: Answer) -> Result<Value> {
    ensure!((200..300).contains(&answer.status), "status {}: {}", answer.status, answer.body);
    Ok(answer.body)
}

/// Follows `GET path` as server-sent events: each event's `data` parsed as JSON arrives on the
/// channel; the channel closes when the stream ends.
pub async fn follow_events(
    port: u16,
    path: &str,
    headers: &[(&str, String)],
) -> Result<mpsc::UnboundedReceiver<Value>> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req =
        hyper::Request::get(path).header("host", format!("127.0.0.1:{port}")).header("accept", "text/event-stream");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let response =
        tokio::time::timeout(Duration::from_secs(10), sender.send_request(req.body(Empty::<Bytes>::new())?)).await??;
    if response.status() != 200 {
        bail!("event stream answered {}", response.status());
    }
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    ensure!(content_type.starts_with("text/event-stream"), "event stream of type {content_type}");
    let (tx, rx) = mpsc::unbounded_channel();
    let mut body = response.into_body();
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Some(Ok(frame)) = body.frame().await {
            let Ok(data) = frame.into_data() else { continue };
            buffer.push_str(&String::from_utf8_lossy(&data));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect::<Vec<_>>()
                    .join("\n");
                if let Ok(value) = serde_json::from_str::<Value>(&data)
                    && tx.send(value).is_err()
                {
                    return;
                }
            }
        }
    });
    Ok(rx)
}
